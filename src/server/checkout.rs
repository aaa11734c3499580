//! The checkout for a service and the order it makes. A draft order is written at the
//! first step and saved at each one, so leaving and coming back (on any device when
//! signed in; in the same browser for a guest, whose drafts are kept in their session)
//! resumes where the customer stopped. Paying in credits spends them in the same
//! transaction that marks the order paid; paying by card goes through the provider and
//! `orders::fulfil`, as for credit packs. After payment the practitioner accepts the
//! order and completes it; every move is in the order's history.

use crate::domain::booking::BookingStatus;
use crate::domain::catalog::Question;
use crate::domain::checkout::{Details, DetailsForm, answer_key, check_answers, covering_pack};
use crate::domain::orders::{OrderStatus, PaidWith, charged, parse_order_number};
use crate::domain::types::{
    CheckoutStart, CheckoutView, OrderRole, PractitionerSummary, ServiceOrderRow, ServiceOrderView, SessionUser,
    TimelineEntry,
};
use crate::domain::{AppError, Credits, Locale, Role, UserCode};
use crate::server::accounts::{password_link, zone_of};
use crate::server::clock::{from_db, to_db};
use crate::server::email::{self, templates};
use crate::server::error::Failure;
use crate::server::ledger::{self, Kind, Movement};
use crate::server::orders::{self, PAYMENT_WINDOW};
use crate::server::state::AppState;
use crate::server::{packages, services};
use jiff::{SignedDuration, Timestamp};
use sqlx::PgConnection;
use std::collections::BTreeMap;
use uuid::Uuid;

/// The session key under which a guest's draft orders are kept.
pub const GUEST_ORDERS: &str = "checkout.guest_orders";
/// How long the link to choose a password, sent to an account made at checkout, works.
pub const SET_PASSWORD_LINK: SignedDuration = SignedDuration::from_hours(72);

/// Who is at the checkout: the signed-in person, if any, and the orders this browser
/// started as a guest.
#[derive(Debug, Clone, Default)]
pub struct Visitor {
    pub user: Option<SessionUser>,
    pub guest_orders: Vec<String>,
}

impl Visitor {
    /// The visitor of a request: who is signed in, and the guest orders in its session.
    pub async fn of(state: &AppState, session: &tower_sessions::Session) -> Result<Visitor, Failure> {
        let user = crate::server::sessions::load_user(state, session).await?;
        let guest_orders = session
            .get::<Vec<String>>(GUEST_ORDERS)
            .await
            .map_err(|e| Failure::bug(format!("reading the session: {e}")))?
            .unwrap_or_default();
        Ok(Visitor { user, guest_orders })
    }

    fn holds(&self, user_id: Uuid, number: &str) -> bool {
        self.user.as_ref().is_some_and(|u| u.id == user_id) || self.guest_orders.iter().any(|n| n == number)
    }
}

/// A service order's own columns beside the ones every order has.
struct Facts {
    id: Uuid,
    number: String,
    user_id: Uuid,
    practitioner_id: Uuid,
    service_slug: String,
    delivery: String,
    title: String,
    status: String,
    step: i16,
    questions: serde_json::Value,
    answers: serde_json::Value,
    contact_name: Option<String>,
    contact_email: Option<String>,
    expires_at: time::OffsetDateTime,
}

impl Facts {
    fn status(&self) -> Result<OrderStatus, Failure> {
        OrderStatus::parse(&self.status).ok_or_else(|| Failure::bug("an order in an unknown status"))
    }

    fn questions(&self) -> Result<Vec<Question>, Failure> {
        serde_json::from_value(self.questions.clone()).map_err(|e| Failure::bug(format!("an order's questions: {e}")))
    }

    fn answers(&self) -> Result<BTreeMap<String, String>, Failure> {
        serde_json::from_value(self.answers.clone()).map_err(|e| Failure::bug(format!("an order's answers: {e}")))
    }
}

/// The order's checkout facts, locked until the caller's transaction ends: every step
/// and every payment of one order happen one after another.
async fn lock(conn: &mut PgConnection, number: &str) -> Result<Option<Facts>, Failure> {
    Ok(sqlx::query_as!(
        Facts,
        r#"SELECT o.id, o.number, o.user_id, o.practitioner_id AS "practitioner_id!", s.slug AS service_slug,
                  s.delivery, o.item_name AS title, o.status, o.step, o.questions AS "questions!",
                  o.answers, o.contact_name, o.contact_email, o.expires_at
           FROM orders o JOIN services s ON s.id = o.service_id
           WHERE o.number = $1 AND o.kind = 'service' FOR UPDATE OF o"#,
        number
    )
    .fetch_optional(conn)
    .await?)
}

/// A draft (or unpaid order) the visitor may fill in and pay; anyone else is told it
/// does not exist.
async fn lock_own(conn: &mut PgConnection, visitor: &Visitor, number: &str) -> Result<Facts, Failure> {
    let number = parse_order_number(number).ok_or(AppError::NotFound)?;
    let order = lock(conn, &number).await?.ok_or(AppError::NotFound)?;
    if !visitor.holds(order.user_id, &order.number) {
        return Err(AppError::NotFound.into());
    }
    Ok(order)
}

/// Refuses a change to an order that has left the draft (or has expired).
fn still_open(order: &Facts, now: Timestamp) -> Result<(), Failure> {
    let status = order.status()?;
    if status == OrderStatus::Draft && from_db(order.expires_at) > now {
        return Ok(());
    }
    let why = match status {
        OrderStatus::Draft | OrderStatus::Expired => {
            "This order was not paid within 24 hours and has expired. Start again from the service's page."
        }
        s if s.was_paid() => "This order is already paid; its answers can no longer change.",
        OrderStatus::Cancelled => "This order was cancelled. Start again from the service's page.",
        _ => "This order is waiting for its card payment; its answers can no longer change.",
    };
    Err(AppError::invalid("order", why).into())
}

/// What step 1 of a new order shows, or the visitor's open draft for the service, to
/// resume instead of starting another.
pub enum Started {
    Resume(String),
    New(Box<CheckoutStart>),
}

/// A service a customer can order now: published, of a listed type, by a live
/// practitioner; a session at a set time only with the time chosen (`timed`).
async fn orderable(
    conn: &mut PgConnection,
    visitor: &Visitor,
    slug: &str,
    timed: bool,
) -> Result<(crate::domain::types::ServiceView, Uuid, PractitionerSummary), Failure> {
    let (service, owner, practitioner) = services::on_sale(conn, slug.trim()).await?;
    if service.delivery.is_scheduled() != timed {
        let why = if timed {
            "This service is not a session at a set time; order it without choosing a time."
        } else {
            "This service is a session at a set time: choose a time on its booking page first."
        };
        return Err(AppError::invalid("service", why).into());
    }
    if visitor.user.as_ref().is_some_and(|u| u.id == owner) {
        return Err(AppError::invalid("service", "This is your own service; you cannot order it.").into());
    }
    Ok((service, owner, practitioner))
}

/// A time chosen on the slot picker, and the zone it was read in.
#[derive(Debug, Clone)]
pub struct Chosen {
    pub at: Timestamp,
    pub zone: crate::domain::TimeZone,
}

/// Opens the checkout for the service at `slug`; for a session, at the time `chosen`
/// (which must be free now).
pub async fn start(
    state: &AppState,
    visitor: &Visitor,
    slug: &str,
    chosen: Option<Chosen>,
) -> Result<Started, Failure> {
    let mut conn = state.pool.acquire().await?;
    let (service, _, practitioner) = orderable(&mut conn, visitor, slug, chosen.is_some()).await?;
    let (name, email) = match &visitor.user {
        Some(u) => (u.name.clone(), u.email.clone().unwrap_or_default()),
        None => Default::default(),
    };
    let signed_in = visitor.user.is_some();
    if let Some(c) = chosen {
        crate::server::booking::check_new(&mut conn, slug, c.at, state.clock.now(), &c.zone).await?;
        let minutes = service.duration_minutes.unwrap_or_default();
        let slot = crate::domain::types::BookingTime {
            starts_at: c.at,
            ends_at: c.at + SignedDuration::from_mins(i64::from(minutes)),
            label: crate::domain::datetime::show(c.at, &c.zone, crate::domain::datetime::Style::DateTime),
            zone: c.zone,
        };
        return Ok(Started::New(Box::new(CheckoutStart {
            service,
            practitioner,
            name,
            email,
            signed_in,
            slot: Some(slot),
        })));
    }
    let open = sqlx::query_scalar!(
        "SELECT number FROM orders
         WHERE kind = 'service' AND service_id = $1 AND status = 'draft' AND expires_at > $2
           AND (user_id = $3 OR number = ANY($4))
         ORDER BY updated_at DESC LIMIT 1",
        service.id,
        state.clock.now_db(),
        visitor.user.as_ref().map(|u| u.id),
        &visitor.guest_orders,
    )
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(number) = open {
        return Ok(Started::Resume(number));
    }
    Ok(Started::New(Box::new(CheckoutStart { service, practitioner, name, email, signed_in, slot: None })))
}

/// Where step 1 is saved: a new order for a service, or an order already started.
pub enum Target<'a> {
    New { slug: &'a str, key: Uuid, chosen: Option<Chosen> },
    Existing(&'a str),
}

/// The result of step 1: the order, and whether a guest started it (so the caller
/// keeps it in their session).
pub struct Saved {
    pub number: String,
    pub by_guest: bool,
}

/// Saves step 1. A new order is a draft holding a copy of the service as it is now. A
/// guest gets an account made for the email they give (with an email to choose a
/// password); an email that already has an account must sign in instead. The form's
/// key makes a second submission of the same form (even at the same moment) find the
/// first one's order, so a guest never gets two accounts or two orders from one form.
#[tracing::instrument(skip_all)]
pub async fn save_details(
    state: &AppState,
    visitor: &Visitor,
    target: Target<'_>,
    form: &DetailsForm,
) -> Result<Saved, Failure> {
    let details = form.parse()?;
    let now = state.clock.now();
    let mut tx = state.pool.begin().await?;
    let saved = match target {
        Target::Existing(number) => {
            let order = lock_own(&mut tx, visitor, number).await?;
            still_open(&order, now)?;
            let reached = if order.questions()?.is_empty() { 2 } else { 1 };
            sqlx::query!(
                "UPDATE orders SET contact_name = $2, contact_email = $3, step = GREATEST(step, $4), updated_at = $5
                 WHERE id = $1",
                order.id,
                details.name.as_str(),
                details.email.as_str(),
                reached,
                to_db(now)
            )
            .execute(&mut *tx)
            .await?;
            Saved { number: order.number, by_guest: false }
        }
        Target::New { slug, key, chosen } => {
            let (service, owner, _) = orderable(&mut tx, visitor, slug, chosen.is_some()).await?;
            let duration = match &chosen {
                Some(c) => Some(crate::server::booking::check_new(&mut tx, slug, c.at, now, &c.zone).await?),
                None => None,
            };
            let zone = chosen.as_ref().map(|c| c.zone.as_str()).unwrap_or("UTC");
            let customer = match &visitor.user {
                Some(u) => u.id,
                None => match guest_account(&mut tx, state, &details, zone, key, now).await? {
                    GuestAccount::Made(id) => id,
                    GuestAccount::SameForm(number) => {
                        tx.rollback().await?;
                        return Ok(Saved { number, by_guest: true });
                    }
                },
            };
            let (id, number) = insert_draft(&mut tx, state, customer, key, &service, owner, &details, now).await?;
            if let (Some(c), Some(duration)) = (&chosen, duration) {
                crate::server::booking::attach(&mut tx, id, owner, customer, c.at, duration, now).await?;
            }
            Saved { number, by_guest: visitor.user.is_none() }
        }
    };
    tx.commit().await?;
    Ok(saved)
}

enum GuestAccount {
    Made(Uuid),
    /// The same form was already submitted and made this order.
    SameForm(String),
}

async fn guest_account(
    conn: &mut PgConnection,
    state: &AppState,
    details: &Details,
    zone: &str,
    key: Uuid,
    now: Timestamp,
) -> Result<GuestAccount, Failure> {
    // A concurrent submission of the same email waits here for the first to commit.
    let made = sqlx::query!(
        "INSERT INTO users (email, name, role, time_zone) VALUES ($1, $2, 'customer', $3) ON CONFLICT (email) DO NOTHING
         RETURNING id, code",
        details.email.as_str(),
        details.name.as_str(),
        zone
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(user) = made else {
        let earlier = sqlx::query_scalar!(
            "SELECT o.number FROM orders o JOIN users u ON u.id = o.user_id WHERE u.email = $1 AND o.request_key = $2",
            details.email.as_str(),
            key
        )
        .fetch_optional(&mut *conn)
        .await?;
        return match earlier {
            Some(number) => Ok(GuestAccount::SameForm(number)),
            None => Err(AppError::invalid(
                "email",
                "An account already uses this email address. Log in to continue with this order.",
            )
            .into()),
        };
    };
    let link = password_link(conn, state, user.id, SET_PASSWORD_LINK).await?;
    let mail = templates::set_password(details.name.as_str(), link, &zone_of(zone));
    email::enqueue(conn, Some(user.id), details.email.as_str(), &mail, now).await?;
    tracing::info!(user = user.code, "account made at checkout");
    Ok(GuestAccount::Made(user.id))
}

#[allow(clippy::too_many_arguments)]
async fn insert_draft(
    conn: &mut PgConnection,
    state: &AppState,
    customer: Uuid,
    key: Uuid,
    service: &crate::domain::types::ServiceView,
    owner: Uuid,
    details: &Details,
    now: Timestamp,
) -> Result<(Uuid, String), Failure> {
    let number = orders::unused_number(conn).await?;
    let questions = serde_json::to_value(&service.questions).map_err(|e| Failure::bug(e.to_string()))?;
    let reached: i16 = if service.questions.is_empty() { 2 } else { 1 };
    let card = service.price.card;
    let made = sqlx::query!(
        "INSERT INTO orders (number, user_id, request_key, kind, service_id, practitioner_id, item_name, credits,
                             bonus_credits, price_credits, price_minor, currency, questions, contact_name, contact_email,
                             step, status, provider, created_at, expires_at, updated_at)
         VALUES ($1, $2, $3, 'service', $4, $5, $6, 0, 0, $7, $8, $9, $10, $11, $12, $13, 'draft', $14, $15, $16, $15)
         ON CONFLICT (user_id, request_key) DO NOTHING RETURNING id",
        number,
        customer,
        key,
        service.id,
        owner,
        service.title,
        service.price.credits.map(|c| c.get()),
        card.map(|m| m.minor()),
        card.map(|m| m.currency().code()),
        questions,
        details.name.as_str(),
        details.email.as_str(),
        reached,
        state.config.payments.name(),
        to_db(now),
        to_db(now + PAYMENT_WINDOW),
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(made) = made else {
        // The same signed-in form, submitted twice: the first one's order.
        let first =
            sqlx::query!("SELECT id, number FROM orders WHERE user_id = $1 AND request_key = $2", customer, key)
                .fetch_one(&mut *conn)
                .await?;
        return Ok((first.id, first.number));
    };
    orders::record(conn, made.id, None, OrderStatus::Draft, Some(customer), "Checkout started", now).await?;
    tracing::info!(%number, service = %service.id, "service order started");
    Ok((made.id, number))
}

/// Saves step 2: the answers to the service's questions, as they were when the order
/// was started.
pub async fn save_answers(
    state: &AppState,
    visitor: &Visitor,
    number: &str,
    raw: &BTreeMap<String, String>,
) -> Result<String, Failure> {
    let now = state.clock.now();
    let mut tx = state.pool.begin().await?;
    let order = lock_own(&mut tx, visitor, number).await?;
    still_open(&order, now)?;
    if order.step < 1 {
        return Err(AppError::invalid("name", "Give your details first.").into());
    }
    let answers = check_answers(&order.questions()?, raw)?;
    let answers = serde_json::to_value(&answers).map_err(|e| Failure::bug(e.to_string()))?;
    sqlx::query!(
        "UPDATE orders SET answers = $2, step = GREATEST(step, 2), updated_at = $3 WHERE id = $1",
        order.id,
        answers,
        to_db(now)
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(order.number)
}

/// Step 3: pays for the order, in credits or by card. Returns where to send the
/// customer: the order's page once paid in credits, or the provider's checkout.
#[tracing::instrument(skip_all, fields(method = method.as_str()))]
pub async fn pay(state: &AppState, visitor: &Visitor, number: &str, method: PaidWith) -> Result<String, Failure> {
    let now = state.clock.now();
    let mut tx = state.pool.begin().await?;
    let order = lock_own(&mut tx, visitor, number).await?;
    let status = order.status()?;
    if status.was_paid() {
        return Ok(page_of(&order.number));
    }
    if status != OrderStatus::Draft {
        // A card checkout was opened for it: that checkout is where it is paid (for a
        // session, with its time held again if the hold ran out).
        let hold = crate::server::booking::hold_for_card(&mut tx, order.id, now).await?;
        tx.commit().await?;
        return card_checkout(state, &order, hold).await;
    }
    still_open(&order, now)?;
    if order.step < 2 {
        return Err(AppError::invalid("order", "Answer the service's questions first.").into());
    }
    let questions = order.questions()?;
    let stored = order.answers()?;
    let as_posted =
        questions.iter().filter_map(|q| stored.get(&q.id.to_string()).map(|a| (answer_key(q), a.clone()))).collect();
    check_answers(&questions, &as_posted)?;
    if services::on_sale(&mut tx, &order.service_slug).await.is_err() {
        return Err(AppError::invalid(
            "order",
            "This service is no longer offered, so it cannot be paid for. Nothing was charged.",
        )
        .into());
    }
    let price = orders::find_in(&mut tx, &order.number).await?.ok_or(AppError::NotFound)?.price()?;
    match method {
        PaidWith::Credits => {
            let credits =
                price.credits.ok_or_else(|| AppError::invalid("method", "This service is paid by card only."))?;
            pay_in_credits(&mut tx, state, &order, credits, now).await?;
            tx.commit().await?;
            Ok(page_of(&order.number))
        }
        PaidWith::Card => {
            if price.card.is_none() {
                return Err(AppError::invalid("method", "This service is paid in credits only.").into());
            }
            sqlx::query!("UPDATE orders SET step = 3, updated_at = $2 WHERE id = $1", order.id, to_db(now))
                .execute(&mut *tx)
                .await?;
            let hold = crate::server::booking::hold_for_card(&mut tx, order.id, now).await?;
            tx.commit().await?;
            card_checkout(state, &order, hold).await
        }
    }
}

/// Opens the provider's checkout; for a session, one that ends with the hold on its time.
async fn card_checkout(state: &AppState, order: &Facts, hold: Option<Timestamp>) -> Result<String, Failure> {
    let email = match &order.contact_email {
        Some(e) => Some(e.clone()),
        None => {
            sqlx::query_scalar!("SELECT email FROM users WHERE id = $1", order.user_id).fetch_one(&state.pool).await?
        }
    };
    orders::open_checkout(state, order.user_id, email, &order.number, hold).await
}

/// Spends the credits and marks the order paid, in the caller's transaction. Not enough
/// credits is `InsufficientCredits` with the shortfall, and nothing is written.
async fn pay_in_credits(
    conn: &mut PgConnection,
    state: &AppState,
    order: &Facts,
    credits: Credits,
    now: Timestamp,
) -> Result<(), Failure> {
    let reference = format!("order:{}", order.number);
    let key = format!("{reference}:spend");
    let m = Movement {
        kind: Kind::Spend,
        key: &key,
        actor: Some(order.user_id),
        reference: Some(&reference),
        reason: Some(&order.title),
        at: now,
    };
    crate::server::booking::confirm_for_credits(conn, order.id, now).await?;
    ledger::spend(conn, order.user_id, credits, &m).await?;
    sqlx::query!(
        "UPDATE orders SET status = 'paid', paid_with = 'credits', paid_at = $2, step = 3, updated_at = $2 WHERE id = $1",
        order.id,
        to_db(now)
    )
    .execute(&mut *conn)
    .await?;
    let note = format!("Paid with {credits}");
    orders::record(conn, order.id, Some(OrderStatus::Draft), OrderStatus::Paid, Some(order.user_id), &note, now)
        .await?;
    paid(conn, state, order.id, now).await?;
    state.metrics.payments.with_label_values(&["credits", "paid"]).inc();
    tracing::info!(number = %order.number, credits = credits.get(), "service order paid in credits");
    Ok(())
}

fn page_of(number: &str) -> String {
    format!("/orders/{number}")
}

/// Tells both sides a service order was paid (in credits, or by card from
/// `orders::fulfil`), in the paying transaction.
pub(super) async fn paid(
    conn: &mut PgConnection,
    state: &AppState,
    order_id: Uuid,
    now: Timestamp,
) -> Result<(), Failure> {
    let o = sqlx::query!(
        r#"SELECT o.number, o.user_id, o.item_name, o.paid_with, o.contact_email,
                  c.name AS customer, c.email AS customer_email, c.time_zone AS customer_zone,
                  p.name AS practitioner, p.email AS practitioner_email, p.id AS practitioner_id,
                  COALESCE((SELECT a.time_zone FROM availability a WHERE a.practitioner_id = p.id), p.time_zone) AS "practitioner_zone!",
                  (SELECT b.starts_at FROM bookings b WHERE b.order_id = o.id) AS session
           FROM orders o JOIN users c ON c.id = o.user_id JOIN users p ON p.id = o.practitioner_id WHERE o.id = $1"#,
        order_id
    )
    .fetch_one(&mut *conn)
    .await?;
    let when = |zone: &str| {
        o.session.map(|at| {
            crate::domain::datetime::show(from_db(at), &zone_of(zone), crate::domain::datetime::Style::DateTime)
        })
    };
    let row = orders::find_in(conn, &o.number).await?.ok_or_else(|| Failure::bug("a paid order vanished"))?;
    let paid_with = o.paid_with.as_deref().and_then(PaidWith::parse);
    let amount = charged(&row.price()?, paid_with).label(Locale::default());
    let url = format!("{}{}", state.config.public_url, page_of(&o.number));
    let mut facts =
        templates::ServiceOrderFacts { name: &o.customer, number: &o.number, service: &o.item_name, paid: amount, url };
    if let Some(to) = o.contact_email.as_deref().or(o.customer_email.as_deref()) {
        let mail = match when(&o.customer_zone) {
            Some(when) => templates::booking_confirmed(&facts, &when, &o.practitioner),
            None => templates::service_order_paid(&facts, &o.practitioner),
        };
        let mail = crate::server::calendar::with_session_file(conn, state, order_id, o.user_id, mail).await?;
        email::enqueue(conn, Some(o.user_id), to, &mail, now).await?;
    }
    facts.name = &o.practitioner;
    if let Some(to) = o.practitioner_email.as_deref() {
        let mail = match when(&o.practitioner_zone) {
            Some(when) => templates::booking_received(&facts, &when, &o.customer),
            None => templates::service_order_received(&facts, &o.customer),
        };
        let mail = crate::server::calendar::with_session_file(conn, state, order_id, o.practitioner_id, mail).await?;
        email::enqueue(conn, Some(o.practitioner_id), to, &mail, now).await?;
    }
    Ok(())
}

/// The checkout of one of the visitor's service orders.
pub async fn view(state: &AppState, visitor: &Visitor, number: &str) -> Result<CheckoutView, Failure> {
    // Outside a transaction the row lock lasts only for its statement: a page waits for
    // a step being saved, and holds nothing while it renders.
    let mut conn = state.pool.acquire().await?;
    let order = lock_own(&mut conn, visitor, number).await?;
    let row = orders::find_in(&mut conn, &order.number).await?.ok_or(AppError::NotFound)?;
    let practitioner = order_practitioner(&mut conn, order.practitioner_id).await?;
    let zone = reader_zone(&mut conn, visitor, order.user_id).await?;
    let slot = crate::server::booking::time_of(&mut conn, order.id, &zone).await?;
    drop(conn);
    let signed_in = visitor.user.as_ref().is_some_and(|u| u.id == order.user_id);
    let balance = if signed_in {
        Some(crate::server::credits::spendable(&state.pool, order.user_id, state.clock.now()).await?)
    } else {
        None
    };
    let mut view = CheckoutView {
        number: order.number.clone(),
        status: order.status()?,
        title: order.title.clone(),
        service_slug: order.service_slug.clone(),
        delivery: crate::domain::catalog::Delivery::parse(&order.delivery)
            .ok_or_else(|| Failure::bug("a stored delivery"))?,
        practitioner,
        price: row.price()?,
        questions: order.questions()?,
        answers: order.answers()?,
        name: order.contact_name.clone().unwrap_or_default(),
        email: order.contact_email.clone().unwrap_or_default(),
        completed: order.step,
        expires_at: from_db(order.expires_at),
        balance,
        signed_in,
        offer: None,
        slot,
    };
    if let (Some(short), true) = (view.shortfall(), signed_in) {
        let packs = packages::on_sale(state).await?;
        view.offer = covering_pack(&packs, short).cloned();
    }
    Ok(view)
}

/// The zone an order's page shows times in: the signed-in reader's, else (a guest) the
/// customer account's.
pub(super) async fn reader_zone(
    conn: &mut PgConnection,
    visitor: &Visitor,
    customer: Uuid,
) -> Result<crate::domain::TimeZone, Failure> {
    match &visitor.user {
        Some(u) => Ok(u.time_zone.clone()),
        None => crate::server::booking::customer_zone(conn, customer).await,
    }
}

/// How an order names its practitioner, whether or not they are still live.
async fn order_practitioner(conn: &mut PgConnection, user_id: Uuid) -> Result<PractitionerSummary, Failure> {
    let p = sqlx::query!(
        r#"SELECT COALESCE(p.slug, '') AS "slug!", u.name, COALESCE(p.headline, '') AS "headline!",
                  COALESCE(p.practice_type, '') AS "practice_type!"
           FROM users u LEFT JOIN practitioner_profiles p ON p.user_id = u.id WHERE u.id = $1"#,
        user_id
    )
    .fetch_one(conn)
    .await?;
    Ok(PractitionerSummary {
        slug: p.slug,
        name: p.name,
        headline: p.headline,
        practice_type: p.practice_type,
        photo: None,
    })
}

/// A service order as the visitor may reach it, and who they are to it.
pub(crate) struct Access {
    pub(crate) id: Uuid,
    pub(crate) number: String,
    pub(crate) customer_id: Uuid,
    pub(crate) practitioner_id: Uuid,
    pub(crate) contact_email: Option<String>,
    pub(crate) title: String,
    pub(crate) status: OrderStatus,
    pub(crate) role: OrderRole,
}

impl Access {
    /// The person acting: the customer's account for a guest, else the signed-in user.
    pub(crate) fn actor(&self, visitor: &Visitor) -> Uuid {
        acting_user(self.role, visitor, self.customer_id)
    }

    /// The other side of the thread from the actor: the practitioner for the customer,
    /// the customer for anyone else.
    pub(crate) fn other_side(&self) -> Uuid {
        if self.role == OrderRole::Customer { self.practitioner_id } else { self.customer_id }
    }

    /// Whether files and messages can be exchanged yet: once the order is paid.
    pub(crate) fn is_open_for_exchange(&self) -> bool {
        self.status.was_paid()
    }
}

/// Who acts on an order for a visitor in `role`: the customer's account for its
/// customer (a guest included), else the signed-in user.
fn acting_user(role: OrderRole, visitor: &Visitor, customer_id: Uuid) -> Uuid {
    match (role, &visitor.user) {
        (OrderRole::Customer, _) | (_, None) => customer_id,
        (_, Some(u)) => u.id,
    }
}

/// The service order `number` as the visitor may reach it (locked when `lock`), or not
/// found when it is not theirs to see.
pub(crate) async fn access(conn: &mut PgConnection, visitor: &Visitor, number: &str) -> Result<Access, Failure> {
    let number = parse_order_number(number).ok_or(AppError::NotFound)?;
    let order = lock(conn, &number).await?.ok_or(AppError::NotFound)?;
    let role = role_of(visitor, &order).ok_or(AppError::NotFound)?;
    Ok(Access {
        id: order.id,
        number: order.number.clone(),
        customer_id: order.user_id,
        practitioner_id: order.practitioner_id,
        contact_email: order.contact_email.clone(),
        title: order.title.clone(),
        status: order.status()?,
        role,
    })
}

/// Whose order this is to `user`: its customer, its practitioner, an admin, or no one
/// (then it does not exist for them).
fn role_of(visitor: &Visitor, order: &Facts) -> Option<OrderRole> {
    let user = visitor.user.as_ref();
    if visitor.holds(order.user_id, &order.number) {
        Some(OrderRole::Customer)
    } else if user.is_some_and(|u| u.id == order.practitioner_id) {
        Some(OrderRole::Practitioner)
    } else if user.is_some_and(|u| u.role == Role::Admin) {
        Some(OrderRole::Admin)
    } else {
        None
    }
}

/// A service order's page. A card payment still awaited is first checked with the
/// provider, so the page shows the truth even before the event arrives.
pub async fn order_page(state: &AppState, visitor: &Visitor, number: &str) -> Result<ServiceOrderView, Failure> {
    let number = parse_order_number(number).ok_or(AppError::NotFound)?;
    // Read outside a transaction, as `view` is: nothing stays locked while the page renders.
    let mut conn = state.pool.acquire().await?;
    let order = lock(&mut conn, &number).await?.ok_or(AppError::NotFound)?;
    role_of(visitor, &order).ok_or(AppError::NotFound)?;
    if matches!(order.status()?, OrderStatus::PendingPayment | OrderStatus::PaymentFailed) {
        orders::confirm_with_provider(state, &number).await?;
    }
    let order = lock(&mut conn, &number).await?.ok_or(AppError::NotFound)?;
    let viewer = role_of(visitor, &order).ok_or(AppError::NotFound)?;
    let row = orders::find_in(&mut conn, &number).await?.ok_or(AppError::NotFound)?;
    let practitioner = order_practitioner(&mut conn, order.practitioner_id).await?;
    let customer_name = match &order.contact_name {
        Some(n) => n.clone(),
        None => {
            sqlx::query_scalar!("SELECT name FROM users WHERE id = $1", order.user_id).fetch_one(&mut *conn).await?
        }
    };
    let timeline = sqlx::query!(
        r#"SELECT t.at, t.to_status, t.reason, u.name AS "by?"
           FROM order_transitions t LEFT JOIN users u ON u.id = t.actor_id
           WHERE t.order_id = $1 ORDER BY t.id"#,
        order.id
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|t| {
        Ok(TimelineEntry {
            at: from_db(t.at),
            status: OrderStatus::parse(&t.to_status)
                .ok_or_else(|| Failure::bug("a transition to an unknown status"))?,
            note: t.reason,
            by: t.by,
        })
    })
    .collect::<Result<Vec<_>, Failure>>()?;
    let reader = acting_user(viewer, visitor, order.user_id);
    let zone = reader_zone(&mut conn, visitor, order.user_id).await?;
    let booking = crate::server::booking::panel(&mut conn, state, &row, viewer, &zone).await?;
    let documents = crate::server::exchange::documents(&mut conn, order.id).await?;
    let messages = crate::server::exchange::thread(&mut conn, order.id, reader, viewer != OrderRole::Admin).await?;
    drop(conn);
    let status = order.status()?;
    Ok(ServiceOrderView {
        order: row.view()?,
        viewer,
        service_slug: order.service_slug.clone(),
        practitioner,
        customer_name,
        questions: order.questions()?,
        answers: order.answers()?,
        timeline,
        documents,
        messages,
        can_write: viewer != OrderRole::Admin && status.was_paid(),
        booking,
    })
}

/// What the assigned practitioner does with a paid order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    Accept,
    Complete,
}

/// The assigned practitioner accepts a paid order or completes one in progress. Only
/// those moves, only by them; a repeat of the same move changes nothing.
pub async fn work(state: &AppState, user: &SessionUser, number: &str, step: Work) -> Result<(), Failure> {
    let now = state.clock.now();
    let number = parse_order_number(number).ok_or(AppError::NotFound)?;
    let mut tx = state.pool.begin().await?;
    let order = lock(&mut tx, &number).await?.ok_or(AppError::NotFound)?;
    if order.practitioner_id != user.id {
        return Err(AppError::NotFound.into());
    }
    let (from, to, note) = match step {
        Work::Accept => (OrderStatus::Paid, OrderStatus::InProgress, "Accepted by the practitioner"),
        Work::Complete => (OrderStatus::InProgress, OrderStatus::Completed, "Completed by the practitioner"),
    };
    let status = order.status()?;
    if status == to {
        return Ok(());
    }
    if status != from {
        let what = if step == Work::Accept { "accepted" } else { "completed" };
        return Err(AppError::invalid(
            "order",
            format!("This order is {} and cannot be {what} now.", status.label().to_lowercase()),
        )
        .into());
    }
    let row = orders::find_in(&mut tx, &number).await?.ok_or(AppError::NotFound)?;
    orders::transition(&mut tx, &row, to, Some(user.id), note, now).await?;
    sqlx::query!("UPDATE orders SET updated_at = $2 WHERE id = $1", order.id, to_db(now)).execute(&mut *tx).await?;
    let customer =
        sqlx::query!("SELECT name, email FROM users WHERE id = $1", order.user_id).fetch_one(&mut *tx).await?;
    let facts = templates::ServiceOrderFacts {
        name: order.contact_name.as_deref().unwrap_or(&customer.name),
        number: &order.number,
        service: &order.title,
        paid: String::new(),
        url: format!("{}{}", state.config.public_url, page_of(&order.number)),
    };
    if let Some(to_address) = order.contact_email.as_deref().or(customer.email.as_deref()) {
        let mail = templates::service_order_moved(&facts, &user.name, step == Work::Complete);
        email::enqueue(&mut tx, Some(order.user_id), to_address, &mail, now).await?;
    }
    tx.commit().await?;
    tracing::info!(%number, to = to.as_str(), "service order moved");
    Ok(())
}

/// An admin gives an order to another live practitioner; the history says who had it.
pub async fn reassign(state: &AppState, admin: &SessionUser, number: &str, to: &str) -> Result<(), Failure> {
    let now = state.clock.now();
    let number = parse_order_number(number).ok_or(AppError::NotFound)?;
    let code = UserCode::parse(to).ok_or_else(|| {
        AppError::invalid("practitioner", "Enter the practitioner's account code, as shown on their page.")
    })?;
    let mut tx = state.pool.begin().await?;
    let order = lock(&mut tx, &number).await?.ok_or(AppError::NotFound)?;
    if order.delivery != "written" {
        return Err(AppError::invalid(
            "practitioner",
            "A session is booked in its practitioner's own calendar, so it cannot be reassigned; cancel it instead.",
        )
        .into());
    }
    let target = sqlx::query!(
        "SELECT u.id, u.name FROM users u JOIN practitioner_profiles p ON p.user_id = u.id
         WHERE u.code = $1 AND p.onboarding_state = 'approved' AND u.disabled_at IS NULL",
        code.number()
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::invalid("practitioner", "No approved practitioner has that account code."))?;
    if target.id == order.practitioner_id {
        return Err(AppError::invalid("practitioner", "The order is already with this practitioner.").into());
    }
    if target.id == order.user_id {
        return Err(AppError::invalid("practitioner", "That practitioner is the customer of this order.").into());
    }
    let status = order.status()?;
    if matches!(status, OrderStatus::Completed | OrderStatus::Cancelled | OrderStatus::Expired | OrderStatus::Refunded)
    {
        return Err(AppError::invalid(
            "practitioner",
            format!("This order is {}; it can no longer be reassigned.", status.label().to_lowercase()),
        )
        .into());
    }
    let before =
        sqlx::query_scalar!("SELECT name FROM users WHERE id = $1", order.practitioner_id).fetch_one(&mut *tx).await?;
    sqlx::query!(
        "UPDATE orders SET practitioner_id = $2, updated_at = $3 WHERE id = $1",
        order.id,
        target.id,
        to_db(now)
    )
    .execute(&mut *tx)
    .await?;
    let note = format!("Reassigned from {before} to {}", target.name);
    orders::record(&mut tx, order.id, Some(status), status, Some(admin.id), &note, now).await?;
    crate::server::audit::record(
        &mut tx,
        admin.id,
        "order.reassign",
        order.id,
        &serde_json::json!({ "to": target.id }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A customer's service orders (`as_practitioner` false) or the orders a practitioner
/// is to deliver, newest first.
pub async fn list(
    state: &AppState,
    user: &SessionUser,
    as_practitioner: bool,
) -> Result<Vec<ServiceOrderRow>, Failure> {
    let rows = sqlx::query!(
        r#"SELECT o.number, o.item_name, o.status, o.price_credits, o.price_minor, o.currency, o.paid_with, o.created_at,
                  CASE WHEN $2 THEN COALESCE(o.contact_name, c.name) ELSE p.name END AS "with!",
                  (SELECT count(*) FROM order_messages m
                    WHERE m.order_id = o.id AND m.author_id <> $1
                      AND m.id > COALESCE((SELECT r.last_read_id FROM order_thread_reads r
                                           WHERE r.order_id = o.id AND r.user_id = $1), 0)) AS "unread!",
                  b.starts_at AS "session?", b.status AS "booking?"
           FROM orders o JOIN users c ON c.id = o.user_id JOIN users p ON p.id = o.practitioner_id
                LEFT JOIN bookings b ON b.order_id = o.id
           WHERE o.kind = 'service' AND CASE WHEN $2 THEN o.practitioner_id = $1 AND o.paid_at IS NOT NULL
                                             ELSE o.user_id = $1 END
           ORDER BY o.created_at DESC LIMIT 100"#,
        user.id,
        as_practitioner
    )
    .fetch_all(&state.pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            let price = services::stored_price(r.price_credits, r.price_minor, r.currency.as_deref())?;
            Ok(ServiceOrderRow {
                number: r.number,
                title: r.item_name,
                with: r.with,
                status: OrderStatus::parse(&r.status).ok_or_else(|| Failure::bug("an order in an unknown status"))?,
                price: charged(&price, r.paid_with.as_deref().and_then(PaidWith::parse)).label(Locale::default()),
                placed_at: from_db(r.created_at),
                unread: r.unread,
                session: r.session.filter(|_| r.booking.as_deref() != Some(BookingStatus::Released.as_str())).map(
                    |at| {
                        crate::domain::datetime::show(
                            from_db(at),
                            &user.time_zone,
                            crate::domain::datetime::Style::DateTime,
                        )
                    },
                ),
            })
        })
        .collect()
}

/// What a practitioner earned per month (in their time zone), newest first: credits as
/// the ledger recorded their orders' spends, and card payments per currency, both net
/// of what was refunded (a cancelled session keeps what its policy did not return).
pub async fn earnings(state: &AppState, user: &SessionUser) -> Result<Vec<crate::domain::types::EarningsRow>, Failure> {
    let rows = sqlx::query!(
        r#"SELECT to_char(o.paid_at AT TIME ZONE $2, 'YYYY-MM') AS "month!",
                  count(*) AS "orders!",
                  COALESCE(sum((SELECT -sum(x.change) FROM ledger_transactions t
                                JOIN ledger_transfers x ON x.transaction_id = t.id AND x.platform = 'spent'
                                WHERE t.reference = 'order:' || o.number)), 0)::bigint AS "credits!",
                  array_agg(o.price_minor - o.refunded_minor) FILTER (WHERE o.paid_with = 'card') AS card_minor,
                  array_agg(o.currency) FILTER (WHERE o.paid_with = 'card') AS card_currency
           FROM orders o
           WHERE o.kind = 'service' AND o.practitioner_id = $1 AND o.paid_at IS NOT NULL
           GROUP BY 1 ORDER BY 1 DESC LIMIT 24"#,
        user.id,
        user.time_zone.as_str()
    )
    .fetch_all(&state.pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            let mut totals: BTreeMap<String, i64> = BTreeMap::new();
            for (minor, code) in r.card_minor.unwrap_or_default().into_iter().zip(r.card_currency.unwrap_or_default()) {
                *totals.entry(code).or_default() += minor;
            }
            let money = totals
                .into_iter()
                .map(|(code, minor)| {
                    crate::domain::Currency::parse(&code)
                        .map(|c| crate::domain::Money::from_minor(minor, c))
                        .map_err(|_| Failure::bug("an order in an unknown currency"))
                })
                .collect::<Result<Vec<_>, Failure>>()?;
            Ok(crate::domain::types::EarningsRow { month: r.month, orders: r.orders, credits: r.credits, money })
        })
        .collect()
}

//! Opening the checkout for a service and filling in a draft order's steps: the
//! customer's details (step 1, which makes the draft, and for a guest the account it
//! belongs to) and the answers to the service's questions (step 2).

use super::{SET_PASSWORD_LINK, Visitor, lock_own, still_open};
use crate::domain::checkout::{Details, DetailsForm, check_answers};
use crate::domain::orders::OrderStatus;
use crate::domain::types::{CheckoutStart, PractitionerSummary};
use crate::domain::{AppError, OrderNumber};
use crate::server::accounts::{password_link, zone_of};
use crate::server::clock::to_db;
use crate::server::email::{self, templates};
use crate::server::error::Failure;
use crate::server::orders::{self, PAYMENT_WINDOW};
use crate::server::services;
use crate::server::state::AppState;
use jiff::{SignedDuration, Timestamp};
use sqlx::PgConnection;
use std::collections::BTreeMap;
use uuid::Uuid;

/// What step 1 of a new order shows, or the visitor's open draft for the service, to
/// resume instead of starting another.
pub enum Started {
    Resume(OrderNumber),
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
        r#"SELECT number AS "number: crate::domain::OrderNumber" FROM orders
         WHERE kind = 'service' AND service_id = $1 AND status = 'draft' AND expires_at > $2
           AND (user_id = $3 OR number = ANY($4))
         ORDER BY updated_at DESC LIMIT 1"#,
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
    Existing(&'a OrderNumber),
}

/// The result of step 1: the order, and whether a guest started it (so the caller
/// keeps it in their session).
pub struct Saved {
    pub number: OrderNumber,
    pub by_guest: bool,
}

/// Saves step 1. A new order is a draft holding a copy of the service as it is now. A
/// guest's order belongs to the account of the email they give: one is made for a new
/// address (with an email to choose a password); for an address that has an account,
/// the order joins it and its owner is told by email. The guest goes on the same way in
/// both cases, so the form tells nobody who has an account; what a guest sees of the
/// order is only what they typed, and only the signed-in owner can spend its credits.
/// The form's key makes a second submission of the same form (even at the same moment)
/// find the first one's order, so a guest never gets two accounts or two orders from
/// one form.
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
                    GuestAccount::Customer(id) => id,
                    GuestAccount::SameForm(number) => {
                        tx.rollback().await?;
                        return Ok(Saved { number, by_guest: true });
                    }
                },
            };
            let started_by = visitor.user.as_ref().map(|u| u.id);
            let (id, number) =
                insert_draft(&mut tx, state, customer, started_by, key, &service, owner, &details, now).await?;
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
    /// The account the order belongs to: made for a new address, or the address's own.
    Customer(Uuid),
    /// The same form was already submitted and made this order.
    SameForm(OrderNumber),
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
            r#"SELECT o.number AS "number: crate::domain::OrderNumber"
               FROM orders o JOIN users u ON u.id = o.user_id WHERE u.email = $1 AND o.request_key = $2"#,
            details.email.as_str(),
            key
        )
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(number) = earlier {
            return Ok(GuestAccount::SameForm(number));
        }
        let known = sqlx::query!("SELECT id, name, time_zone FROM users WHERE email = $1", details.email.as_str())
            .fetch_one(&mut *conn)
            .await?;
        if crate::server::accounts::address_notice_due(conn, known.id, now).await? {
            let when = crate::domain::datetime::show(
                now,
                &zone_of(&known.time_zone),
                crate::domain::datetime::Style::DateTime,
            );
            let mail = templates::guest_order_started(&known.name, &when, &state.config.public_url);
            email::enqueue(conn, Some(known.id), details.email.as_str(), &mail, now).await?;
        }
        tracing::info!("order started at checkout with the address of an existing account");
        return Ok(GuestAccount::Customer(known.id));
    };
    let link = password_link(conn, state, user.id, SET_PASSWORD_LINK).await?;
    let mail = templates::set_password(details.name.as_str(), link, &zone_of(zone));
    email::enqueue(conn, Some(user.id), details.email.as_str(), &mail, now).await?;
    tracing::info!(user = user.code, "account made at checkout");
    Ok(GuestAccount::Customer(user.id))
}

async fn insert_draft(
    conn: &mut PgConnection,
    state: &AppState,
    customer: Uuid,
    started_by: Option<Uuid>,
    key: Uuid,
    service: &crate::domain::types::ServiceView,
    owner: Uuid,
    details: &Details,
    now: Timestamp,
) -> Result<(Uuid, OrderNumber), Failure> {
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
        number.as_str(),
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
        let first = sqlx::query!(
            r#"SELECT id, number AS "number: crate::domain::OrderNumber" FROM orders
               WHERE user_id = $1 AND request_key = $2"#,
            customer,
            key
        )
        .fetch_one(&mut *conn)
        .await?;
        return Ok((first.id, first.number));
    };
    // A guest's order names no one on its history: the account may be a stranger's to them.
    orders::record(conn, made.id, None, OrderStatus::Draft, started_by, "Checkout started", now).await?;
    tracing::info!(%number, service = %service.id, "service order started");
    Ok((made.id, number))
}

/// Saves step 2: the answers to the service's questions, as they were when the order
/// was started.
pub async fn save_answers(
    state: &AppState,
    visitor: &Visitor,
    number: &OrderNumber,
    raw: &BTreeMap<String, String>,
) -> Result<OrderNumber, Failure> {
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

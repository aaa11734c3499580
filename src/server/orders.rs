//! Orders for credit packs: placing one, paying for it through the provider, and the
//! one function that turns a collected payment into a paid order with its invoice
//! number and credits. That function (`fulfil`) serves the webhook, the success page
//! and the reconciler alike; it locks the order row, so any number of concurrent calls
//! for one order grant its credits once.

use crate::domain::catalog::Price;
use crate::domain::ledger::LotSource;
use crate::domain::orders::{OrderKind, OrderStatus, PaidWith, invoice_number, order_number, parse_order_number};
use crate::domain::types::{
    AdminOrderRow, OrderDetail, OrderTransitionRow, OrderView, PaymentEventRow, PaymentsOverview, ReconciliationRow,
    SessionUser,
};
use crate::domain::{AppError, Credits, Currency, Locale, Money, Role, UserCode};
use crate::server::accounts::zone_of;
use crate::server::clock::{from_db, to_db};
use crate::server::email::{self, templates};
use crate::server::error::Failure;
use crate::server::jobs::{Job, JobError};
use crate::server::ledger::{self, Kind, Movement};
use crate::server::packages;
use crate::server::payments::{Collected, NewCheckout};
use crate::server::state::AppState;
use jiff::{SignedDuration, Timestamp};
use sqlx::PgConnection;
use uuid::Uuid;

/// How long an order waits for its payment.
pub const PAYMENT_WINDOW: SignedDuration = SignedDuration::from_hours(24);

pub(super) struct Row {
    pub(super) id: Uuid,
    pub(super) number: String,
    pub(super) user_id: Uuid,
    pub(super) kind: String,
    pub(super) item_name: String,
    pub(super) credits: i64,
    pub(super) bonus_credits: i64,
    validity_days: Option<i32>,
    pub(super) price_minor: Option<i64>,
    currency: Option<String>,
    pub(super) price_credits: Option<i64>,
    paid_with: Option<String>,
    status: String,
    pub(super) invoice_number: Option<String>,
    created_at: time::OffsetDateTime,
    expires_at: time::OffsetDateTime,
    paid_at: Option<time::OffsetDateTime>,
    pub(super) refunded_minor: i64,
    for_order: Option<String>,
}

impl Row {
    pub(super) fn status(&self) -> Result<OrderStatus, Failure> {
        OrderStatus::parse(&self.status).ok_or_else(|| Failure::bug("an order in an unknown status"))
    }

    pub(super) fn is_service(&self) -> bool {
        self.kind == "service"
    }

    /// The price it was placed at, in the one form every page writes out.
    pub(super) fn price(&self) -> Result<Price, Failure> {
        crate::server::services::stored_price(self.price_credits, self.price_minor, self.currency.as_deref())
    }

    /// What the order costs by card (every pack order has one; a service order when the
    /// service had a card price).
    pub(super) fn card_price(&self) -> Result<Money, Failure> {
        self.price()?.card.ok_or_else(|| Failure::bug(format!("order {} has no card price", self.number)))
    }

    pub(super) fn currency(&self) -> Result<Currency, Failure> {
        Ok(self.card_price()?.currency())
    }

    pub(super) fn view(&self) -> Result<OrderView, Failure> {
        Ok(OrderView {
            number: self.number.clone(),
            kind: if self.is_service() { OrderKind::Service } else { OrderKind::CreditPack },
            item_name: self.item_name.clone(),
            credits: self.credits,
            bonus_credits: self.bonus_credits,
            price: self.price()?,
            paid_with: self
                .paid_with
                .as_deref()
                .map(|p| PaidWith::parse(p).ok_or_else(|| Failure::bug("an order paid in an unknown way")))
                .transpose()?,
            status: self.status()?,
            invoice_number: self.invoice_number.clone(),
            created_at: from_db(self.created_at),
            expires_at: from_db(self.expires_at),
            paid_at: self.paid_at.map(from_db),
            refunded_minor: self.refunded_minor,
            credit_notes: Vec::new(),
            for_order: self.for_order.clone(),
        })
    }
}

pub(super) async fn lock(conn: &mut PgConnection, number: &str) -> Result<Option<Row>, Failure> {
    Ok(sqlx::query_as!(
        Row,
        "SELECT id, number, user_id, kind, item_name, credits, bonus_credits, validity_days, price_minor, currency,
                price_credits, paid_with, status, invoice_number, created_at, expires_at, paid_at, refunded_minor,
                (SELECT f.number FROM orders f WHERE f.id = orders.for_order_id) AS for_order
         FROM orders WHERE number = $1 FOR UPDATE",
        number
    )
    .fetch_optional(conn)
    .await?)
}

pub(super) async fn find(state: &AppState, number: &str) -> Result<Option<Row>, Failure> {
    find_in(&mut *state.pool.acquire().await?, number).await
}

pub(super) async fn find_in(conn: &mut PgConnection, number: &str) -> Result<Option<Row>, Failure> {
    Ok(sqlx::query_as!(
        Row,
        "SELECT id, number, user_id, kind, item_name, credits, bonus_credits, validity_days, price_minor, currency,
                price_credits, paid_with, status, invoice_number, created_at, expires_at, paid_at, refunded_minor,
                (SELECT f.number FROM orders f WHERE f.id = orders.for_order_id) AS for_order
         FROM orders WHERE number = $1",
        number
    )
    .fetch_optional(conn)
    .await?)
}

/// Moves a locked order from its current status to `to` and records who and why.
pub(super) async fn transition(
    conn: &mut PgConnection,
    order: &Row,
    to: OrderStatus,
    actor: Option<Uuid>,
    reason: &str,
    at: Timestamp,
) -> Result<(), Failure> {
    let from = order.status()?;
    if !from.can_move_to(to) {
        return Err(Failure::bug(format!(
            "order {} cannot move from {} to {}",
            order.number,
            from.as_str(),
            to.as_str()
        )));
    }
    sqlx::query!("UPDATE orders SET status = $2 WHERE id = $1", order.id, to.as_str()).execute(&mut *conn).await?;
    record(conn, order.id, Some(from), to, actor, reason, at).await
}

pub(super) async fn record(
    conn: &mut PgConnection,
    order_id: Uuid,
    from: Option<OrderStatus>,
    to: OrderStatus,
    actor: Option<Uuid>,
    reason: &str,
    at: Timestamp,
) -> Result<(), Failure> {
    sqlx::query!(
        "INSERT INTO order_transitions (order_id, from_status, to_status, actor_id, reason, at) VALUES ($1, $2, $3, $4, $5, $6)",
        order_id,
        from.map(|s| s.as_str()),
        to.as_str(),
        actor,
        reason,
        to_db(at)
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Where the provider sends the customer back to: a pack's result page, or a service
/// order's own page (which shows its payment state the same way).
fn page_for(order: &Row, paid: bool) -> String {
    if order.is_service() {
        return format!("/orders/{}", order.number);
    }
    let page = if paid { "success" } else { "failed" };
    format!("/checkout/{page}?order={}", order.number)
}

/// Places an order for a package at its current price and opens a checkout for it.
/// Returns where to send the customer. `request_key` is the one the form was rendered
/// with: submitting it again returns the same order's checkout.
#[tracing::instrument(skip_all, fields(user = %user.code, %package_id))]
pub async fn place(
    state: &AppState,
    user: &SessionUser,
    package_id: Uuid,
    request_key: Uuid,
    for_order: Option<&str>,
) -> Result<String, Failure> {
    let now = state.clock.now();
    let mut tx = state.pool.begin().await?;
    // Only one of the customer's own service orders; anything else is quietly dropped,
    // since it changes nothing about what is bought.
    let for_order_id = match for_order.and_then(parse_order_number) {
        Some(n) => {
            sqlx::query_scalar!(
                "SELECT id FROM orders WHERE number = $1 AND user_id = $2 AND kind = 'service'",
                n,
                user.id
            )
            .fetch_optional(&mut *tx)
            .await?
        }
        None => None,
    };
    let earlier =
        sqlx::query_scalar!("SELECT number FROM orders WHERE user_id = $1 AND request_key = $2", user.id, request_key)
            .fetch_optional(&mut *tx)
            .await?;
    if let Some(number) = earlier {
        tx.rollback().await?;
        return resume(state, user, &number).await;
    }
    let package = packages::get(&mut tx, package_id)
        .await?
        .ok_or_else(|| AppError::invalid("package_id", "That credit pack does not exist. Choose one from the list."))?;
    if !package.draft.active {
        return Err(AppError::invalid("package_id", "That credit pack is no longer on sale. Choose another.").into());
    }
    let number = unused_number(&mut tx).await?;
    let d = &package.draft;
    let id = sqlx::query_scalar!(
        "INSERT INTO orders (number, user_id, request_key, package_id, item_name, credits, bonus_credits, validity_days,
                             price_minor, currency, status, provider, created_at, expires_at, updated_at, for_order_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending_payment', $11, $12, $13, $12, $14) RETURNING id",
        number,
        user.id,
        request_key,
        package.id,
        d.name,
        d.credits,
        d.bonus_credits,
        d.validity_days,
        d.price_minor,
        d.currency.code(),
        state.config.payments.name(),
        to_db(now),
        to_db(now + PAYMENT_WINDOW),
        for_order_id,
    )
    .fetch_one(&mut *tx)
    .await?;
    record(&mut tx, id, None, OrderStatus::PendingPayment, Some(user.id), "Order placed", now).await?;
    tx.commit().await?;
    tracing::info!(%number, price = d.price_minor, "order placed");
    open_checkout(state, user.id, user.email.clone(), &number, None).await
}

/// A confirmation number no order has yet.
pub(super) async fn unused_number(conn: &mut PgConnection) -> Result<String, Failure> {
    loop {
        let bytes = Uuid::new_v4().into_bytes();
        let number = order_number([bytes[0], bytes[1], bytes[2], bytes[3], bytes[4]]);
        let taken = sqlx::query_scalar!("SELECT EXISTS (SELECT 1 FROM orders WHERE number = $1) AS \"taken!\"", number)
            .fetch_one(&mut *conn)
            .await?;
        if !taken {
            return Ok(number);
        }
    }
}

/// Where a customer goes to pay for an order they already placed: a new checkout when
/// it still awaits payment (a retry after a failure), else its result page.
pub async fn resume(state: &AppState, user: &SessionUser, number: &str) -> Result<String, Failure> {
    let order = owned(state, user, number).await?;
    if order.status()?.awaits_payment() {
        open_checkout(state, user.id, user.email.clone(), number, None).await
    } else {
        Ok(page_for(&order, order.status()?.was_paid()))
    }
}

/// Opens a new checkout session for an order awaiting payment, moving a failed order
/// back to pending. The provider is called outside any transaction; the session is
/// recorded after it answers.
pub(super) async fn open_checkout(
    state: &AppState,
    actor: Uuid,
    email: Option<String>,
    number: &str,
    hold: Option<Timestamp>,
) -> Result<String, Failure> {
    let now = state.clock.now();
    let mut tx = state.pool.begin().await?;
    let order = lock(&mut tx, number).await?.ok_or(AppError::NotFound)?;
    let status = order.status()?;
    if !status.awaits_payment() || from_db(order.expires_at) <= now {
        tx.rollback().await?;
        return Ok(page_for(&order, status.was_paid()));
    }
    match status {
        OrderStatus::PaymentFailed => {
            transition(&mut tx, &order, OrderStatus::PendingPayment, Some(actor), "Payment retried", now).await?
        }
        OrderStatus::Draft => {
            transition(&mut tx, &order, OrderStatus::PendingPayment, Some(actor), "Paying by card", now).await?
        }
        _ => {}
    }
    let attempt = sqlx::query_scalar!("SELECT count(*) AS \"n!\" FROM checkout_sessions WHERE order_id = $1", order.id)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    let description = if order.is_service() {
        order.item_name.clone()
    } else {
        format!("{} ({} credits)", order.item_name, order.credits + order.bonus_credits)
    };
    let new = NewCheckout {
        order_number: order.number.clone(),
        description,
        amount: order.card_price()?,
        customer_email: email,
        success_path: page_for(&order, true),
        cancel_path: page_for(&order, false),
        expires_at: hold.map_or(from_db(order.expires_at), |h| h.min(from_db(order.expires_at))),
        idempotency_key: format!("order:{number}:checkout:{}", attempt + 1),
    };
    let provider = &state.config.payments;
    let checkout = provider.open_checkout(state, &new).await?;
    sqlx::query!(
        "INSERT INTO checkout_sessions (id, order_id, provider, url, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO NOTHING",
        checkout.id,
        order.id,
        provider.name(),
        checkout.url,
        to_db(now)
    )
    .execute(&state.pool)
    .await?;
    Ok(checkout.url)
}

/// Whether this call paid the order, or found it already paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fulfilment {
    Paid,
    AlreadyPaid,
}

/// Turns a collected payment into a paid order inside the caller's transaction: the
/// status with its history, the year's next invoice number, the credits (and bonus as
/// promotional credit) and the confirmation email. A second call for the same order
/// finds it paid and does nothing; the ledger's keys would refuse a second grant too.
pub async fn fulfil(
    conn: &mut PgConnection,
    state: &AppState,
    paid: &Collected,
    via: &str,
) -> Result<Fulfilment, Failure> {
    let started = std::time::Instant::now();
    let done = fulfil_timed(conn, state, paid, via).await;
    if done.as_ref().is_ok_and(|d| *d == Fulfilment::Paid) {
        state.metrics.fulfilment.with_label_values(&[via]).observe(started.elapsed().as_secs_f64());
    }
    done
}

async fn fulfil_timed(
    conn: &mut PgConnection,
    state: &AppState,
    paid: &Collected,
    via: &str,
) -> Result<Fulfilment, Failure> {
    let number = paid.order_number.as_deref().ok_or_else(|| Failure::bug("a payment without an order number"))?;
    let order =
        lock(conn, number).await?.ok_or_else(|| Failure::bug(format!("a payment for unknown order {number}")))?;
    let status = order.status()?;
    if status.was_paid() || order.paid_at.is_some() {
        return Ok(Fulfilment::AlreadyPaid);
    }
    if !paid.paid {
        return Err(Failure::bug(format!("order {number}: fulfil called for an unpaid session")));
    }
    let price = order.card_price()?;
    let currency = price.currency();
    if paid.amount_total != price.minor() || !paid.currency.eq_ignore_ascii_case(currency.code()) {
        return Err(Failure::bug(format!(
            "order {number}: collected {} {} but the order costs {} {}",
            paid.amount_total,
            paid.currency,
            price.minor(),
            currency.code()
        )));
    }
    let now = state.clock.now();
    let (year, n) = next_document_number(conn, "invoice", now).await?;
    let invoice = invoice_number(year, n);
    sqlx::query!(
        "UPDATE orders SET invoice_number = $2, paid_at = $3, status = 'paid', paid_with = 'card', paid_session_id = $4,
                           payment_intent = $5, updated_at = $3
         WHERE id = $1",
        order.id,
        invoice,
        to_db(now),
        paid.session_id,
        paid.payment_intent
    )
    .execute(&mut *conn)
    .await?;
    record(conn, order.id, Some(status), OrderStatus::Paid, None, &format!("Payment confirmed ({via})"), now).await?;
    if order.is_service() {
        if crate::server::booking::on_card_paid(conn, state, &order, now).await?
            != crate::server::booking::CardOutcome::Refunding
        {
            crate::server::checkout::paid(conn, state, order.id, now).await?;
        }
        state.metrics.payments.with_label_values(&[state.config.payments.name(), "paid"]).inc();
        tracing::info!(%number, %invoice, via, "service order paid by card");
        return Ok(Fulfilment::Paid);
    }
    let reference = format!("order:{number}");
    let expires_at = order.validity_days.map(|d| now + SignedDuration::from_hours(24 * i64::from(d)));
    let grants = [
        (order.credits, LotSource::Paid, Kind::Purchase, "credits"),
        (order.bonus_credits, LotSource::Promotional, Kind::Bonus, "bonus"),
    ];
    for (amount, source, kind, part) in grants {
        if amount == 0 {
            continue;
        }
        let key = format!("{reference}:{part}");
        let m = Movement {
            kind,
            key: &key,
            actor: None,
            reference: Some(&reference),
            reason: Some(&order.item_name),
            at: now,
        };
        let credits = Credits::new(amount).map_err(|e| Failure::bug(e.to_string()))?;
        ledger::grant(conn, order.user_id, credits, source, expires_at, &m).await?;
    }
    let user = sqlx::query!("SELECT name, email, time_zone FROM users WHERE id = $1", order.user_id)
        .fetch_one(&mut *conn)
        .await?;
    let facts = facts(state, &user.name, &order)?;
    let mail =
        templates::order_paid(&facts, order.credits, order.bonus_credits, &invoice, now, &zone_of(&user.time_zone));
    if let Some(to) = &user.email {
        email::enqueue(conn, Some(order.user_id), to, &mail, now).await?;
    }
    state.metrics.payments.with_label_values(&[state.config.payments.name(), "paid"]).inc();
    tracing::info!(%number, %invoice, via, "order paid");
    Ok(Fulfilment::Paid)
}

/// The next number of a gap-free series (`invoice`, `credit_note`) for the year of
/// `now`, taken inside the caller's transaction: the number is used exactly when that
/// transaction commits, and a concurrent one waits for it.
pub(super) async fn next_document_number(
    conn: &mut PgConnection,
    series: &str,
    now: Timestamp,
) -> Result<(i16, i32), Failure> {
    let year = jiff::tz::TimeZone::UTC.to_datetime(now).year();
    let n = sqlx::query_scalar!(
        "INSERT INTO document_counters (series, year, last_number) VALUES ($1, $2, 1)
         ON CONFLICT (series, year) DO UPDATE SET last_number = document_counters.last_number + 1 RETURNING last_number",
        series,
        i32::from(year)
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok((year, n))
}

/// What the emails about a card payment say of the order.
pub(super) fn facts<'a>(state: &AppState, name: &'a str, order: &'a Row) -> Result<templates::OrderFacts<'a>, Failure> {
    Ok(templates::OrderFacts {
        name,
        number: &order.number,
        package: &order.item_name,
        price: order.card_price()?.format(Locale::default()),
        url: format!("{}/dashboard#orders", state.config.public_url),
    })
}

/// The provider reports the payment failed: the order waits for a retry until it
/// expires. Nothing happens to an order that has moved on.
pub async fn payment_failed(conn: &mut PgConnection, state: &AppState, number: &str) -> Result<(), Failure> {
    let Some(order) = lock(conn, number).await? else {
        return Err(Failure::bug(format!("a failed payment for unknown order {number}")));
    };
    if order.status()? != OrderStatus::PendingPayment {
        return Ok(());
    }
    let now = state.clock.now();
    transition(conn, &order, OrderStatus::PaymentFailed, None, "The payment was declined", now).await?;
    crate::server::booking::release_hold(conn, number, false, now).await?;
    let user = sqlx::query!("SELECT name, email, time_zone FROM users WHERE id = $1", order.user_id)
        .fetch_one(&mut *conn)
        .await?;
    let mut facts = facts(state, &user.name, &order)?;
    facts.url = format!("{}{}", state.config.public_url, page_for(&order, false));
    let mail = templates::payment_failed(&facts, from_db(order.expires_at), &zone_of(&user.time_zone));
    if let Some(to) = &user.email {
        email::enqueue(conn, Some(order.user_id), to, &mail, now).await?;
    }
    state.metrics.payments.with_label_values(&[state.config.payments.name(), "failed"]).inc();
    Ok(())
}

/// Cancels an order that was never paid, in the caller's transaction.
pub(crate) async fn cancel(
    conn: &mut PgConnection,
    number: &str,
    actor: Uuid,
    reason: &str,
    at: Timestamp,
) -> Result<(), Failure> {
    let order = lock(conn, number).await?.ok_or(AppError::NotFound)?;
    transition(conn, &order, OrderStatus::Cancelled, Some(actor), reason, at).await?;
    crate::server::booking::release_for_order(conn, order.id, at).await
}

/// Expires the order if it still awaits payment and its window has passed.
pub async fn expire_if_due(conn: &mut PgConnection, state: &AppState, number: &str) -> Result<bool, Failure> {
    let now = state.clock.now();
    let Some(order) = lock(conn, number).await? else { return Ok(false) };
    if !order.status()?.awaits_payment() || from_db(order.expires_at) > now {
        return Ok(false);
    }
    transition(conn, &order, OrderStatus::Expired, None, "Not paid within 24 hours", now).await?;
    crate::server::booking::release_for_order(conn, order.id, now).await?;
    Ok(true)
}

/// Expires every order whose payment window has passed, then closes their open
/// checkouts at the provider. Returns how many expired.
pub async fn expire_due(state: &AppState) -> Result<usize, Failure> {
    let due = sqlx::query_scalar!(
        "SELECT number FROM orders WHERE status IN ('draft', 'pending_payment', 'payment_failed') AND expires_at <= $1 LIMIT 500",
        state.clock.now_db()
    )
    .fetch_all(&state.pool)
    .await?;
    let mut expired = 0;
    for number in due {
        let mut tx = state.pool.begin().await?;
        if expire_if_due(&mut tx, state, &number).await? {
            expired += 1;
        }
        tx.commit().await?;
        let sessions = sqlx::query_scalar!(
            "SELECT s.id FROM checkout_sessions s JOIN orders o ON o.id = s.order_id WHERE o.number = $1",
            number
        )
        .fetch_all(&state.pool)
        .await?;
        for session in sessions {
            state.config.payments.close(state, &session).await?;
        }
    }
    Ok(expired)
}

/// Expires unpaid orders; runs every ten minutes.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct ExpireOrders;

impl Job for ExpireOrders {
    const NAME: &'static str = "expire_orders";

    async fn run(self, state: &AppState) -> Result<(), JobError> {
        let n = expire_due(state).await.map_err(|e| JobError::Transient(crate::server::error::chain(&e)))?;
        if n > 0 {
            tracing::info!(expired = n, "unpaid orders expired");
        }
        Ok(())
    }
}

/// Asks the provider about each of the order's checkouts and fulfils the order if one
/// was paid: what the success page and the reconciler do when no event has arrived.
pub async fn confirm_with_provider(state: &AppState, number: &str) -> Result<Option<Fulfilment>, Failure> {
    let sessions = sqlx::query_scalar!(
        "SELECT s.id FROM checkout_sessions s JOIN orders o ON o.id = s.order_id WHERE o.number = $1 ORDER BY s.created_at DESC",
        number
    )
    .fetch_all(&state.pool)
    .await?;
    for session in sessions {
        let Some(collected) = state.config.payments.look_up(state, &session).await? else { continue };
        if collected.paid && collected.order_number.as_deref() == Some(number) {
            let mut tx = state.pool.begin().await?;
            let done = fulfil(&mut tx, state, &collected, "provider check").await?;
            tx.commit().await?;
            return Ok(Some(done));
        }
    }
    Ok(None)
}

/// An order its owner (or an admin) may see; anyone else is told it does not exist.
async fn owned(state: &AppState, user: &SessionUser, number: &str) -> Result<Row, Failure> {
    let number = parse_order_number(number).ok_or(AppError::NotFound)?;
    let order = find(state, &number).await?.ok_or(AppError::NotFound)?;
    if order.user_id != user.id && user.role != Role::Admin {
        return Err(AppError::NotFound.into());
    }
    Ok(order)
}

/// The order as its result page shows it. An order still awaiting payment is first
/// checked with the provider, so the page shows the truth even before the event.
pub async fn result(state: &AppState, user: &SessionUser, number: &str) -> Result<OrderView, Failure> {
    let order = owned(state, user, number).await?;
    if order.status()?.awaits_payment() {
        confirm_with_provider(state, &order.number).await?;
        return owned(state, user, &order.number).await?.view();
    }
    order.view()
}

/// The customer's credit-pack orders, newest first, with the credit notes of their refunds.
pub async fn list_for(state: &AppState, user_id: Uuid) -> Result<Vec<OrderView>, Failure> {
    let rows = sqlx::query_as!(
        Row,
        "SELECT id, number, user_id, kind, item_name, credits, bonus_credits, validity_days, price_minor, currency,
                price_credits, paid_with, status, invoice_number, created_at, expires_at, paid_at, refunded_minor,
                (SELECT f.number FROM orders f WHERE f.id = orders.for_order_id) AS for_order
         FROM orders WHERE user_id = $1 AND kind = 'credit_pack' ORDER BY created_at DESC LIMIT 50",
        user_id
    )
    .fetch_all(&state.pool)
    .await?;
    let refunded: Vec<Uuid> = rows.iter().filter(|r| r.refunded_minor > 0).map(|r| r.id).collect();
    let notes = sqlx::query!(
        "SELECT order_id, credit_note_number AS \"note!\" FROM refunds
         WHERE order_id = ANY($1) AND status = 'succeeded' ORDER BY completed_at, credit_note_number",
        &refunded
    )
    .fetch_all(&state.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let mut view = r.view()?;
            view.credit_notes = notes.iter().filter(|n| n.order_id == r.id).map(|n| n.note.clone()).collect();
            Ok(view)
        })
        .collect()
}

/// How far back the reconciler looks for orders still awaiting payment.
pub const RECONCILE_WINDOW: SignedDuration = SignedDuration::from_hours(72);

/// What a reconciliation run found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Reconciled {
    /// Orders still awaiting payment whose checkouts were asked about.
    pub checked: usize,
    /// Orders the provider had been paid for that were not yet paid here.
    pub repaired: usize,
}

/// Asks the provider about every recent order still awaiting payment (or expired with
/// a checkout that may have been paid late) and fulfils the ones it was paid for: what
/// a lost event left behind. Safe to run at any time, on any number of instances.
pub async fn reconcile(state: &AppState) -> Result<Reconciled, Failure> {
    let since = to_db(state.clock.now() - RECONCILE_WINDOW);
    let numbers = sqlx::query_scalar!(
        "SELECT DISTINCT o.number FROM orders o JOIN checkout_sessions s ON s.order_id = o.id
         WHERE o.status IN ('pending_payment', 'payment_failed', 'expired') AND s.created_at >= $1",
        since
    )
    .fetch_all(&state.pool)
    .await?;
    let mut done = Reconciled::default();
    for number in numbers {
        done.checked += 1;
        if confirm_with_provider(state, &number).await? == Some(Fulfilment::Paid) {
            done.repaired += 1;
            tracing::warn!(%number, "reconciliation paid an order whose payment event never arrived");
        }
    }
    state.metrics.reconciliation_repairs.inc_by(done.repaired as u64);
    sqlx::query!(
        "INSERT INTO reconciliations (ran_at, checked, repaired) VALUES ($1, $2, $3)",
        state.clock.now_db(),
        done.checked as i32,
        done.repaired as i32
    )
    .execute(&state.pool)
    .await?;
    Ok(done)
}

/// Reconciles payments every fifteen minutes.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct ReconcilePayments;

impl Job for ReconcilePayments {
    const NAME: &'static str = "reconcile_payments";

    async fn run(self, state: &AppState) -> Result<(), JobError> {
        let done = reconcile(state).await.map_err(|e| JobError::Transient(crate::server::error::chain(&e)))?;
        if done.repaired > 0 {
            tracing::info!(checked = done.checked, repaired = done.repaired, "payments reconciled");
        }
        Ok(())
    }
}

/// The admin payments page: the newest orders and provider events, and the last
/// reconciliation.
pub async fn payments_overview(state: &AppState) -> Result<PaymentsOverview, Failure> {
    let rows = sqlx::query_as!(
        Row,
        "SELECT id, number, user_id, kind, item_name, credits, bonus_credits, validity_days, price_minor, currency,
                price_credits, paid_with, status, invoice_number, created_at, expires_at, paid_at, refunded_minor,
                (SELECT f.number FROM orders f WHERE f.id = orders.for_order_id) AS for_order
         FROM orders ORDER BY created_at DESC, number LIMIT 100"
    )
    .fetch_all(&state.pool)
    .await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.user_id).collect();
    let codes: std::collections::HashMap<Uuid, i64> =
        sqlx::query!("SELECT id, code FROM users WHERE id = ANY($1)", &ids)
            .fetch_all(&state.pool)
            .await?
            .into_iter()
            .map(|u| (u.id, u.code))
            .collect();
    let orders = rows
        .iter()
        .map(|r| {
            let code = codes.get(&r.user_id).copied().and_then(UserCode::from_number);
            Ok(AdminOrderRow {
                order: r.view()?,
                customer: code.ok_or_else(|| Failure::bug("an order's customer has no code"))?,
            })
        })
        .collect::<Result<Vec<_>, Failure>>()?;
    let events = sqlx::query!(
        "SELECT id, type, status, attempts, last_error, received_at FROM payment_events ORDER BY received_at DESC, id LIMIT 100"
    )
    .fetch_all(&state.pool)
    .await?
    .into_iter()
    .map(|r| PaymentEventRow {
        id: r.id,
        kind: r.r#type,
        status: r.status,
        attempts: r.attempts,
        last_error: r.last_error,
        received_at: from_db(r.received_at),
    })
    .collect();
    let last_reconciliation =
        sqlx::query!("SELECT ran_at, checked, repaired FROM reconciliations ORDER BY ran_at DESC, id DESC LIMIT 1")
            .fetch_optional(&state.pool)
            .await?
            .map(|r| ReconciliationRow { ran_at: from_db(r.ran_at), checked: r.checked, repaired: r.repaired });
    Ok(PaymentsOverview { orders, events, last_reconciliation })
}

/// An order with its customer, status history and checkout sessions, for admins.
pub async fn detail(state: &AppState, number: &str) -> Result<OrderDetail, Failure> {
    let number = parse_order_number(number).ok_or(AppError::NotFound)?;
    let order = find(state, &number).await?.ok_or(AppError::NotFound)?;
    let customer =
        sqlx::query!("SELECT code, email FROM users WHERE id = $1", order.user_id).fetch_one(&state.pool).await?;
    let transitions = sqlx::query!(
        r#"SELECT t.at, t.from_status, t.to_status, t.reason, u.code AS "actor?"
           FROM order_transitions t LEFT JOIN users u ON u.id = t.actor_id
           WHERE t.order_id = $1 ORDER BY t.id"#,
        order.id
    )
    .fetch_all(&state.pool)
    .await?
    .into_iter()
    .map(|r| {
        let status = |s: &str| OrderStatus::parse(s).ok_or_else(|| Failure::bug("a transition to an unknown status"));
        Ok(OrderTransitionRow {
            at: from_db(r.at),
            from: r.from_status.as_deref().map(status).transpose()?,
            to: status(&r.to_status)?,
            actor: r.actor.and_then(UserCode::from_number),
            reason: r.reason,
        })
    })
    .collect::<Result<Vec<_>, Failure>>()?;
    let sessions = sqlx::query_scalar!(
        "SELECT id FROM checkout_sessions WHERE order_id = $1 ORDER BY created_at DESC, id",
        order.id
    )
    .fetch_all(&state.pool)
    .await?;
    let (refunds, refundable_credits) = crate::server::refunds::of_order(state, &order).await?;
    Ok(OrderDetail {
        order: order.view()?,
        refunds,
        refundable_credits,
        customer: UserCode::from_number(customer.code).ok_or_else(|| Failure::bug("a user code out of range"))?,
        customer_email: customer.email,
        transitions,
        sessions,
    })
}

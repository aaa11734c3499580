//! Step 3, paying for a service order: in credits, spent in the transaction that marks
//! the order paid, or by card through the provider's checkout; and the emails that tell
//! both sides it was paid.

use super::{EXPIRED, Facts, Visitor, ended, lock_own, page_of, still_open};
use crate::domain::checkout::{answer_key, check_answers};
use crate::domain::ledger::{LedgerKey, OrderReference};
use crate::domain::orders::{OrderStatus, PaidWith, charged};
use crate::domain::{AppError, Credits, Locale, OrderNumber};
use crate::server::clock::{from_db, to_db};
use crate::server::email::{self, templates};
use crate::server::error::Failure;
use crate::server::ledger::{self, Kind, Movement};
use crate::server::orders;
use crate::server::services;
use crate::server::state::AppState;
use jiff::Timestamp;
use sqlx::PgConnection;
use uuid::Uuid;

/// Step 3: pays for the order, in credits or by card. Returns where to send the
/// customer: the order's page once paid in credits, or the provider's checkout.
#[tracing::instrument(skip_all, fields(method = method.as_str()))]
pub async fn pay(
    state: &AppState,
    visitor: &Visitor,
    number: &OrderNumber,
    method: PaidWith,
) -> Result<String, Failure> {
    let now = state.clock.now();
    let mut tx = state.pool.begin().await?;
    let order = lock_own(&mut tx, visitor, number).await?;
    let status = order.status()?;
    if status.was_paid() {
        return Ok(page_of(&order.number));
    }
    if status != OrderStatus::Draft {
        // An order that expired or was cancelled is never held or paid again.
        if !status.payable(from_db(order.expires_at), now) {
            return Err(AppError::invalid("order", ended(status).unwrap_or(EXPIRED)).into());
        }
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
            if visitor.user.as_ref().is_none_or(|u| u.id != order.user_id) {
                return Err(AppError::invalid("method", "Log in to pay with credits, or pay by card.").into());
            }
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
    let reference = OrderReference(order.number.as_str()).to_string();
    let key = LedgerKey::OrderSpend(order.number.as_str()).to_string();
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

/// Tells both sides a service order was paid (in credits, or by card from
/// `orders::fulfil`), in the paying transaction.
pub(in crate::server) async fn paid(
    conn: &mut PgConnection,
    state: &AppState,
    order_id: Uuid,
    now: Timestamp,
) -> Result<(), Failure> {
    let o = sqlx::query!(
        r#"SELECT o.number AS "number: crate::domain::OrderNumber", o.item_name, o.paid_with,
                  (SELECT b.starts_at FROM bookings b WHERE b.order_id = o.id) AS session
           FROM orders o WHERE o.id = $1"#,
        order_id
    )
    .fetch_one(&mut *conn)
    .await?;
    let parties = crate::server::parties::of_order(conn, order_id).await?;
    let row = orders::find_in(conn, &o.number).await?.ok_or_else(|| Failure::bug("a paid order vanished"))?;
    let paid_with = o.paid_with.as_deref().and_then(PaidWith::parse);
    let amount = charged(&row.price()?, paid_with).label(Locale::default());
    let url = format!("{}{}", state.config.public_url, page_of(&o.number));
    for (to, other) in parties.each() {
        let Some(address) = to.email.as_deref() else { continue };
        let facts = templates::ServiceOrderFacts {
            name: &to.name,
            number: o.number.as_str(),
            service: &o.item_name,
            paid: amount.clone(),
            url: url.clone(),
        };
        let when = o
            .session
            .map(|at| crate::domain::datetime::show(from_db(at), &to.zone, crate::domain::datetime::Style::DateTime));
        let to_customer = to.id == parties.customer.id;
        let mail = match (when, to_customer) {
            (Some(when), true) => templates::booking_confirmed(&facts, &when, &other.name),
            (None, true) => templates::service_order_paid(&facts, &other.name),
            (Some(when), false) => templates::booking_received(&facts, &when, &other.name),
            (None, false) => templates::service_order_received(&facts, &other.name),
        };
        let mail = crate::server::calendar::with_session_file(conn, state, order_id, to.id, mail).await?;
        email::enqueue(conn, Some(to.id), address, &mail, now).await?;
    }
    Ok(())
}

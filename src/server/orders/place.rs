//! Placing a credit pack's order, sending the customer to the provider's checkout to
//! pay for any order (again after a failed payment), and what a customer sees of their
//! own orders.

use super::{PAYMENT_WINDOW, Row, confirm_with_provider, find, lock, page_for, record, transition, unused_number};
use crate::domain::orders::OrderStatus;
use crate::domain::types::{OrderView, SessionUser};
use crate::domain::{AppError, OrderNumber};
use crate::server::clock::{from_db, to_db};
use crate::server::error::Failure;
use crate::server::packages;
use crate::server::payments::{NewCheckout, sessions};
use crate::server::state::AppState;
use jiff::Timestamp;
use uuid::Uuid;

/// Places an order for a package at its current price and opens a checkout for it.
/// Returns where to send the customer. `request_key` is the one the form was rendered
/// with: submitting it again returns the same order's checkout.
#[tracing::instrument(skip_all, fields(user = %user.code, %package_id))]
pub async fn place(
    state: &AppState,
    user: &SessionUser,
    package_id: Uuid,
    request_key: Uuid,
    for_order: Option<&OrderNumber>,
) -> Result<String, Failure> {
    let now = state.clock.now();
    let mut tx = state.pool.begin().await?;
    // Only one of the customer's own service orders; anything else is quietly dropped,
    // since it changes nothing about what is bought.
    let for_order_id = match for_order {
        Some(n) => {
            sqlx::query_scalar!(
                "SELECT id FROM orders WHERE number = $1 AND user_id = $2 AND kind = 'service'",
                n.as_str(),
                user.id
            )
            .fetch_optional(&mut *tx)
            .await?
        }
        None => None,
    };
    let earlier = sqlx::query_scalar!(
        r#"SELECT number AS "number: crate::domain::OrderNumber" FROM orders WHERE user_id = $1 AND request_key = $2"#,
        user.id,
        request_key
    )
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
        number.as_str(),
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

/// Where a customer goes to pay for an order they already placed: a new checkout when
/// it still awaits payment (a retry after a failure), else its result page.
pub async fn resume(state: &AppState, user: &SessionUser, number: &OrderNumber) -> Result<String, Failure> {
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
pub(in crate::server) async fn open_checkout(
    state: &AppState,
    actor: Uuid,
    email: Option<String>,
    number: &OrderNumber,
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
    // Recorded under the order's lock, so of sessions opened at once the last recorded
    // is the one left open; one opened for an order paid meanwhile is closed too.
    let mut tx = state.pool.begin().await?;
    let order = lock(&mut tx, number).await?.ok_or(AppError::NotFound)?;
    sqlx::query!(
        "INSERT INTO checkout_sessions (id, order_id, provider, url, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO NOTHING",
        checkout.id,
        order.id,
        provider.name(),
        checkout.url,
        to_db(now)
    )
    .execute(&mut *tx)
    .await?;
    let status = order.status()?;
    let payable = status.awaits_payment() && order.paid_at.is_none();
    let keep = payable.then_some(checkout.id.as_str());
    let superseded = sessions::close_others_later(&mut tx, order.id, keep, state.clock.now()).await?;
    tx.commit().await?;
    sessions::close_now(state, &superseded).await;
    Ok(if payable { checkout.url } else { page_for(&order, status.was_paid()) })
}

/// An order its owner (or an admin) may see; anyone else is told it does not exist.
async fn owned(state: &AppState, user: &SessionUser, number: &OrderNumber) -> Result<Row, Failure> {
    let order = find(state, number).await?.ok_or(AppError::NotFound)?;
    crate::domain::access::owner_or_admin(Some(user), order.user_id)?;
    Ok(order)
}

/// The order as its result page shows it. An order still awaiting payment is first
/// checked with the provider, so the page shows the truth even before the event.
pub async fn result(state: &AppState, user: &SessionUser, number: &OrderNumber) -> Result<OrderView, Failure> {
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
        r#"SELECT id, number AS "number: crate::domain::OrderNumber", user_id, kind, item_name, credits, bonus_credits,
                validity_days, price_minor, currency, price_credits, paid_with, status, invoice_number, created_at,
                expires_at, paid_at, refunded_minor,
                (SELECT f.number FROM orders f WHERE f.id = orders.for_order_id)
                  AS "for_order: crate::domain::OrderNumber"
         FROM orders WHERE user_id = $1 AND kind = 'credit_pack' ORDER BY created_at DESC LIMIT 50"#,
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

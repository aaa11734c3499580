//! Refunds of service orders: starting the refund of a card payment (a cancelled or
//! lost session), asking the provider at once once it is committed, and an admin's full
//! refund of a paid order that will not be delivered.

use super::position::has_pending;
use super::settle::{FinishRefund, complete};
use crate::domain::booking::Paid;
use crate::domain::ledger::{LedgerKey, OrderReference};
use crate::domain::orders::OrderStatus;
use crate::domain::refunds::RefundStatus;
use crate::domain::{AppError, Locale, Money, OrderNumber};
use crate::server::capability::Admin;
use crate::server::clock::to_db;
use crate::server::email::{self, templates};
use crate::server::error::{Failure, chain};
use crate::server::jobs::{self, Enqueue};
use crate::server::ledger::{self, Kind, Movement};
use crate::server::orders::{self, Row};
use crate::server::state::AppState;
use jiff::Timestamp;
use sqlx::PgConnection;
use uuid::Uuid;

/// Starts refunding `amount` of a card-paid service order (a cancelled or lost
/// session) in the caller's transaction: the refund is recorded as pending, its amount
/// reserved on the order, and a job queued that asks the provider should this process
/// not get to it. No credits move. `actor` is `None` when the platform refunds on its own.
pub(in crate::server) async fn start_card_refund(
    conn: &mut PgConnection,
    order: &Row,
    amount: Money,
    reason: &str,
    actor: Option<Uuid>,
    now: Timestamp,
) -> Result<Uuid, Failure> {
    let id = sqlx::query_scalar!(
        "INSERT INTO refunds (order_id, request_key, amount_minor, credits, bonus_credits, reason, actor_id, status, created_at)
         VALUES ($1, $2, $3, 0, 0, $4, $5, 'pending', $6) RETURNING id",
        order.id,
        Uuid::new_v4(),
        amount.minor(),
        reason,
        actor,
        to_db(now)
    )
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query!("UPDATE orders SET refunded_minor = refunded_minor + $2 WHERE id = $1", order.id, amount.minor())
        .execute(&mut *conn)
        .await?;
    let key = format!("refund:{id}");
    jobs::enqueue_with(conn, &FinishRefund { refund_id: id }, Enqueue { dedup_key: Some(key), ..Enqueue::at(now) })
        .await?;
    Ok(id)
}

/// Asks the provider at once about the order's pending refunds, after the transaction
/// that started them committed. A provider that does not answer leaves them to their
/// queued job, so this only logs.
pub(in crate::server) async fn finish_pending_of(state: &AppState, order_id: Uuid) {
    let pending =
        match sqlx::query_scalar!("SELECT id FROM refunds WHERE order_id = $1 AND status = 'pending'", order_id)
            .fetch_all(&state.pool)
            .await
        {
            Ok(ids) => ids,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the pending refunds; their jobs will finish them");
                return;
            }
        };
    for id in pending {
        if let Err(e) = complete(state, id).await {
            tracing::warn!(refund = %id, error = %chain(&e), "the provider did not answer the refund; the queued job will ask again");
        }
    }
}

/// An admin cancels a paid service order that will not be delivered (its practitioner
/// is leaving, say) and refunds all of it: credits go straight back to the customer's
/// wallet; a card payment goes back through the provider, with a credit note once it
/// has. A session at a set time is cancelled from its booking instead. Refused, with
/// nothing changed, for an order that is not paid and undelivered or that has a refund
/// under way; asking twice refunds once.
#[tracing::instrument(skip_all, fields(%number))]
pub async fn refund_undelivered(
    state: &AppState,
    admin: &Admin,
    number: &OrderNumber,
    reason: &str,
) -> Result<RefundStatus, Failure> {
    let reason = crate::domain::refunds::parse_reason(reason).map_err(AppError::Invalid)?;
    let now = state.clock.now();
    let mut tx = state.pool.begin().await?;
    let order = orders::lock(&mut tx, number).await?.ok_or(AppError::NotFound)?;
    if !order.is_service() {
        return Err(AppError::invalid("reason", "This is a credit pack: refund it from its payment's page.").into());
    }
    if crate::server::booking::is_booked(&mut tx, order.id).await? {
        return Err(AppError::invalid(
            "reason",
            "This is a session at a set time: cancel it from its booking below, which refunds the customer in full.",
        )
        .into());
    }
    let view = order.view()?;
    if !matches!(view.status, OrderStatus::Paid | OrderStatus::InProgress) {
        return Err(AppError::invalid(
            "reason",
            format!(
                "Only a paid order that is not yet delivered can be refunded here; this one is {}.",
                view.status.label().to_lowercase()
            ),
        )
        .into());
    }
    if has_pending(&mut tx, order.id).await? {
        return Err(AppError::invalid("reason", "Its refund is already being processed.").into());
    }
    let paid = crate::server::booking::paid_of(&order, view.paid_with)?;
    let refund = paid.label(Locale::default());
    let note = format!("Cancelled by an admin and refunded in full ({refund}): {reason}");
    let told = match paid {
        Paid::Credits(credits) => {
            let reference = OrderReference(number.as_str()).to_string();
            let (spent, key) = (
                LedgerKey::OrderSpend(number.as_str()).to_string(),
                LedgerKey::OrderReturn(number.as_str()).to_string(),
            );
            let m = Movement {
                kind: Kind::Refund,
                key: &key,
                actor: Some(admin.id),
                reference: Some(&reference),
                reason: Some(&note),
                at: now,
            };
            ledger::return_spent(&mut tx, order.user_id, &spent, credits, &m).await?;
            orders::transition(&mut tx, &order, OrderStatus::Refunded, Some(admin.id), &note, now).await?;
            format!("{refund}, back in your wallet now")
        }
        Paid::Card(money) => {
            orders::record(&mut tx, order.id, Some(view.status), view.status, Some(admin.id), &note, now).await?;
            start_card_refund(&mut tx, &order, money, &note, Some(admin.id), now).await?;
            format!("{refund}, on its way back to your card; a credit note follows")
        }
    };
    crate::server::audit::record(
        &mut tx,
        admin.id,
        "order.refund_undelivered",
        order.user_id,
        &serde_json::json!({ "order": number, "refund": refund, "reason": reason }),
    )
    .await?;
    let customer = crate::server::parties::of_order(&mut tx, order.id).await?.customer;
    if let Some(to) = customer.email.as_deref() {
        let facts = templates::ServiceOrderFacts {
            name: &customer.name,
            number: number.as_str(),
            service: &order.item_name,
            paid: refund.clone(),
            url: format!("{}/orders/{number}", state.config.public_url),
        };
        email::enqueue(&mut tx, Some(order.user_id), to, &templates::service_order_refunded(&facts, &told), now)
            .await?;
    }
    tx.commit().await?;
    finish_pending_of(state, order.id).await;
    let status = sqlx::query_scalar!(
        "SELECT status FROM refunds WHERE order_id = $1 ORDER BY created_at DESC LIMIT 1",
        order.id
    )
    .fetch_optional(&state.pool)
    .await?;
    tracing::info!(%refund, "undelivered order refunded");
    Ok(status.as_deref().and_then(RefundStatus::parse).unwrap_or(RefundStatus::Succeeded))
}

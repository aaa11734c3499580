//! What admins see of orders: the payments page, and one order in detail.

use super::{Row, find};
use crate::domain::orders::OrderStatus;
use crate::domain::types::{
    AdminOrderRow, OrderDetail, OrderTransitionRow, PaymentEventRow, PaymentsOverview, ReconciliationRow,
};
use crate::domain::{AppError, OrderNumber, UserCode};
use crate::server::capability::Admin;
use crate::server::clock::from_db;
use crate::server::error::Failure;
use crate::server::payments::duplicates;
use crate::server::state::AppState;
use uuid::Uuid;

/// The admin payments page: the newest orders and provider events, and the last
/// reconciliation.
pub async fn payments_overview(state: &AppState, _: &Admin) -> Result<PaymentsOverview, Failure> {
    let rows = sqlx::query_as!(
        Row,
        r#"SELECT id, number AS "number: crate::domain::OrderNumber", user_id, kind, item_name, credits, bonus_credits,
                validity_days, price_minor, currency, price_credits, paid_with, status, invoice_number, created_at,
                expires_at, paid_at, refunded_minor,
                (SELECT f.number FROM orders f WHERE f.id = orders.for_order_id)
                  AS "for_order: crate::domain::OrderNumber"
         FROM orders ORDER BY created_at DESC, number LIMIT 100"#
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
    let duplicate_payments = duplicates::recent(state, 50).await?;
    Ok(PaymentsOverview { orders, events, last_reconciliation, duplicate_payments })
}

/// An order with its customer, status history and checkout sessions, for admins.
pub async fn detail(state: &AppState, _: &Admin, number: &OrderNumber) -> Result<OrderDetail, Failure> {
    let order = find(state, number).await?.ok_or(AppError::NotFound)?;
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
    let duplicate_payments = duplicates::of_order(state, order.id).await?;
    Ok(OrderDetail {
        order: order.view()?,
        refunds,
        refundable_credits,
        customer: UserCode::from_number(customer.code).ok_or_else(|| Failure::bug("a user code out of range"))?,
        customer_email: customer.email,
        transitions,
        sessions,
        duplicate_payments,
    })
}

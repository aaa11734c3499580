//! Ending orders that were never paid: cancelling one, and expiring those whose payment
//! window has passed (the ExpireOrders job).

use super::{lock, transition};
use crate::domain::orders::OrderStatus;
use crate::domain::{AppError, OrderNumber};
use crate::server::clock::from_db;
use crate::server::error::Failure;
use crate::server::jobs::{Job, JobError};
use crate::server::payments::sessions;
use crate::server::state::AppState;
use jiff::Timestamp;
use sqlx::PgConnection;
use uuid::Uuid;

/// Cancels an order that was never paid, in the caller's transaction.
pub(crate) async fn cancel(
    conn: &mut PgConnection,
    number: &OrderNumber,
    actor: Uuid,
    reason: &str,
    at: Timestamp,
) -> Result<(), Failure> {
    let order = lock(conn, number).await?.ok_or(AppError::NotFound)?;
    transition(conn, &order, OrderStatus::Cancelled, Some(actor), reason, at).await?;
    crate::server::booking::release_for_order(conn, order.id, at).await
}

/// Expires the order if it still awaits payment and its window has passed.
pub async fn expire_if_due(conn: &mut PgConnection, state: &AppState, number: &OrderNumber) -> Result<bool, Failure> {
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
        r#"SELECT number AS "number: crate::domain::OrderNumber" FROM orders
           WHERE status IN ('draft', 'pending_payment', 'payment_failed') AND expires_at <= $1 LIMIT 500"#,
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
        let opened = sqlx::query_scalar!(
            "SELECT s.id FROM checkout_sessions s JOIN orders o ON o.id = s.order_id WHERE o.number = $1",
            number.as_str()
        )
        .fetch_all(&state.pool)
        .await?;
        for session in opened {
            sessions::close(state, &session).await?;
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
        let n = expire_due(state).await.map_err(JobError::from)?;
        if n > 0 {
            tracing::info!(expired = n, "unpaid orders expired");
        }
        Ok(())
    }
}

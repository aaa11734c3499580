//! The checkout sessions opened for an order. Only one of them should ever take a
//! payment: opening a session expires the order's earlier ones at the provider, and a
//! payment expires the rest. A session the provider confirmed expired is marked closed
//! and never asked about again. A payment that a session takes anyway (the customer was
//! already paying in it, or the provider could not be reached to expire it) is refunded
//! by `duplicates`.

use crate::server::clock::to_db;
use crate::server::error::{Failure, chain};
use crate::server::jobs::{self, Job, JobError};
use crate::server::state::AppState;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use uuid::Uuid;

/// Queues the closing of every session of the order that may still take a payment,
/// other than `keep` and the one that paid it, in the caller's transaction (which
/// should hold the order's lock). Returns them, for `close_now` once it commits.
pub(crate) async fn close_others_later(
    conn: &mut PgConnection,
    order_id: Uuid,
    keep: Option<&str>,
    now: Timestamp,
) -> Result<Vec<String>, Failure> {
    let ids = sqlx::query_scalar!(
        "SELECT s.id FROM checkout_sessions s JOIN orders o ON o.id = s.order_id
         WHERE s.order_id = $1 AND s.closed_at IS NULL AND s.id IS DISTINCT FROM $2
           AND s.id IS DISTINCT FROM o.paid_session_id
         ORDER BY s.created_at, s.id",
        order_id,
        keep
    )
    .fetch_all(&mut *conn)
    .await?;
    // No dedup key: closing twice is harmless (a closed one is skipped, and the provider
    // answers an expired one the same way), and a key would outlive the job.
    for id in &ids {
        jobs::enqueue(conn, &CloseCheckoutSession { session_id: id.clone() }, now).await?;
    }
    Ok(ids)
}

/// Closes sessions at once, after the transaction that queued their closing committed;
/// one the provider does not answer about is left to its queued job.
pub async fn close_now(state: &AppState, ids: &[String]) {
    for id in ids {
        if let Err(e) = close(state, id).await {
            tracing::warn!(session = %id, error = %chain(&e), "the provider did not expire a checkout; its job will try again");
        }
    }
}

/// Asks the provider to expire a session not known to be closed, and marks it closed
/// when the provider says it is expired.
pub async fn close(state: &AppState, session_id: &str) -> Result<(), Failure> {
    let open =
        sqlx::query_scalar!("SELECT closed_at IS NULL AS \"open!\" FROM checkout_sessions WHERE id = $1", session_id)
            .fetch_optional(&state.pool)
            .await?;
    if open != Some(true) {
        return Ok(());
    }
    if state.config.payments.close(state, session_id).await? {
        mark_closed(&mut *state.pool.acquire().await?, session_id, state.clock.now()).await?;
    }
    Ok(())
}

/// Records that the provider will take no payment through this session any more.
pub(crate) async fn mark_closed(conn: &mut PgConnection, session_id: &str, at: Timestamp) -> Result<(), Failure> {
    sqlx::query!(
        "UPDATE checkout_sessions SET closed_at = $2 WHERE id = $1 AND closed_at IS NULL",
        session_id,
        to_db(at)
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Expires one checkout session at the provider; retried while the provider does not
/// answer.
#[derive(Debug, Serialize, Deserialize)]
pub struct CloseCheckoutSession {
    pub session_id: String,
}

impl Job for CloseCheckoutSession {
    const NAME: &'static str = "close_checkout_session";

    async fn run(self, state: &AppState) -> Result<(), JobError> {
        close(state, &self.session_id).await.map_err(JobError::from)
    }
}

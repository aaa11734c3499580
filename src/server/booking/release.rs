//! Times that will not be paid for stop blocking the practitioner's calendar: the
//! booking of an order that ended unpaid, the hold of a failed card payment, and (every
//! minute, by `ReleaseHolds`) every hold that ran out. Each is a `Moving` to `released`,
//! so it selects only the statuses that may move there.

use super::moves::Moving;
use crate::domain::booking::BookingStatus;
use crate::server::clock::to_db;
use crate::server::error::Failure;
use crate::server::jobs::{Job, JobError};
use crate::server::state::AppState;
use jiff::Timestamp;
use sqlx::PgConnection;
use uuid::Uuid;

/// The order ended unpaid (expired or cancelled): its booking stops blocking.
pub(in crate::server) async fn release_for_order(
    conn: &mut PgConnection,
    order_id: Uuid,
    now: Timestamp,
) -> Result<(), Failure> {
    let release = Moving::new(&[BookingStatus::Pending, BookingStatus::Held], BookingStatus::Released);
    sqlx::query!(
        "UPDATE bookings SET status = $3, hold_until = NULL, updated_at = $2
         WHERE order_id = $1 AND status = ANY($4)",
        order_id,
        to_db(now),
        release.to,
        &release.from
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The hold of order `number` stops blocking: its card payment failed, or (`lapsed`
/// only) its checkout expired after the hold ran out. A retry holds the time again.
pub(in crate::server) async fn release_hold(
    conn: &mut PgConnection,
    number: &str,
    lapsed: bool,
    now: Timestamp,
) -> Result<(), Failure> {
    let release = Moving::new(&[BookingStatus::Held], BookingStatus::Released);
    sqlx::query!(
        "UPDATE bookings SET status = $4, hold_until = NULL, updated_at = $3
         WHERE order_id = (SELECT id FROM orders WHERE number = $1) AND status = ANY($5) AND (NOT $2 OR hold_until <= $3)",
        number,
        lapsed,
        to_db(now),
        release.to,
        &release.from
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Releases every hold that ran out and closes its checkout at the provider, so the
/// time is free again and a late payment becomes unlikely. Returns how many.
pub async fn release_due(state: &AppState) -> Result<usize, Failure> {
    let now = state.clock.now();
    let release = Moving::new(&[BookingStatus::Held], BookingStatus::Released);
    let released = sqlx::query!(
        "UPDATE bookings SET status = $2, hold_until = NULL, updated_at = $1
         WHERE status = ANY($3) AND hold_until <= $1 RETURNING order_id",
        to_db(now),
        release.to,
        &release.from
    )
    .fetch_all(&state.pool)
    .await?;
    for r in &released {
        let sessions = sqlx::query_scalar!("SELECT id FROM checkout_sessions WHERE order_id = $1", r.order_id)
            .fetch_all(&state.pool)
            .await?;
        for session in sessions {
            state.config.payments.close(state, &session).await?;
        }
    }
    Ok(released.len())
}

/// Releases lapsed holds; runs every minute.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct ReleaseHolds;

impl Job for ReleaseHolds {
    const NAME: &'static str = "release_holds";

    async fn run(self, state: &AppState) -> Result<(), JobError> {
        let n = release_due(state).await.map_err(JobError::from)?;
        if n > 0 {
            tracing::info!(released = n, "lapsed holds released");
        }
        Ok(())
    }
}

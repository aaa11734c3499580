//! Asking the provider about orders not yet paid here, one order as its page is shown or
//! every recent one (the ReconcilePayments job), and fulfilling those it was paid for.

use super::{Fulfilment, fulfil};
use crate::domain::OrderNumber;
use crate::server::clock::to_db;
use crate::server::error::Failure;
use crate::server::jobs::{Job, JobError};
use crate::server::payments::sessions;
use crate::server::state::AppState;
use jiff::SignedDuration;

/// Asks the provider about each of the order's checkouts that may have taken a payment
/// not yet accounted for, and fulfils the order with every one that was paid (a second
/// one is a duplicate, refunded): what the success page and the reconciler do when no
/// event has arrived. The unpaid checkouts of a paid order are closed. While the order
/// is unpaid, a checkout already closed is asked about too: events arrive in any order,
/// and one saying a checkout expired may come before the one saying it was paid.
pub async fn confirm_with_provider(state: &AppState, number: &OrderNumber) -> Result<Option<Fulfilment>, Failure> {
    let unsettled = sqlx::query!(
        r#"SELECT s.id, o.paid_at IS NOT NULL AS "order_paid!" FROM checkout_sessions s JOIN orders o ON o.id = s.order_id
           WHERE o.number = $1 AND (s.closed_at IS NULL OR o.paid_at IS NULL) AND s.id IS DISTINCT FROM o.paid_session_id
             AND NOT EXISTS (SELECT 1 FROM duplicate_payments d WHERE d.session_id = s.id)
           ORDER BY s.created_at DESC, s.id"#,
        number.as_str()
    )
    .fetch_all(&state.pool)
    .await?;
    let mut outcome = None;
    for session in unsettled {
        let Some(collected) = state.config.payments.look_up(state, &session.id).await? else { continue };
        if collected.paid && collected.order_number.as_ref() == Some(number) {
            let mut tx = state.pool.begin().await?;
            let done = fulfil(&mut tx, state, &collected, "provider check").await?;
            tx.commit().await?;
            // What the caller hears: that the order was paid now, above a duplicate found.
            outcome = Some(match outcome {
                Some(Fulfilment::Paid) => Fulfilment::Paid,
                Some(Fulfilment::Duplicate) if done == Fulfilment::AlreadyPaid => Fulfilment::Duplicate,
                _ => done,
            });
        } else if session.order_paid {
            sessions::close(state, &session.id).await?;
        }
    }
    Ok(outcome)
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
        r#"SELECT DISTINCT o.number AS "number: crate::domain::OrderNumber"
         FROM orders o JOIN checkout_sessions s ON s.order_id = o.id
         WHERE s.created_at >= $1
           AND (o.status IN ('pending_payment', 'payment_failed', 'expired')
                OR (o.paid_at IS NOT NULL AND s.closed_at IS NULL AND s.id IS DISTINCT FROM o.paid_session_id
                    AND NOT EXISTS (SELECT 1 FROM duplicate_payments d WHERE d.session_id = s.id)))"#,
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
        let done = reconcile(state).await.map_err(JobError::from)?;
        if done.repaired > 0 {
            tracing::info!(checked = done.checked, repaired = done.repaired, "payments reconciled");
        }
        Ok(())
    }
}

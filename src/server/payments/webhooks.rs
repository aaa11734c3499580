//! Provider events. Each is verified, stored once by its id and handled in the same
//! transaction as its effects, so a duplicate is a no-op and a crash leaves either
//! both or neither. Handling is order-independent: every handler moves an order only
//! forward (`OrderStatus::can_move_to`), so a late or repeated event changes nothing.
//! An event whose handling fails is kept as `failed` and retried by the job queue.

use super::{Collected, signature};
use crate::server::error::{Failure, chain};
use crate::server::jobs::{self, Enqueue, Job, JobError};
use crate::server::orders;
use crate::server::state::AppState;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;

/// What became of an accepted event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Processed,
    /// A type we do not act on; stored and ignored.
    Ignored,
    /// Seen before: nothing done.
    Duplicate,
    /// Stored; handling failed and will be retried.
    Failed,
}

#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    /// Not from our provider, changed on the way, or replayed late: answered 400 and
    /// nothing is written.
    #[error("rejected webhook: {0}")]
    Signature(#[from] signature::SignatureError),
    #[error("rejected webhook: not an event ({0})")]
    Malformed(String),
    /// We could not store it (the database is down): answered 500 so it is sent again.
    #[error("webhook not stored: {0}")]
    Unavailable(#[from] Failure),
}

impl ReceiveError {
    pub fn into_job_error(self) -> JobError {
        match self {
            ReceiveError::Unavailable(f) => JobError::Transient(chain(&f)),
            other => JobError::Permanent(other.to_string()),
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: EventData,
}

#[derive(Debug, Deserialize)]
struct EventData {
    object: serde_json::Value,
}

/// Verifies, stores and handles one delivery of an event.
pub async fn receive(state: &AppState, signature_header: Option<&str>, body: &[u8]) -> Result<Outcome, ReceiveError> {
    let provider = &state.config.payments;
    signature::verify(signature_header, body, provider.webhook_secret(), state.clock.now().as_second())?;
    let (event, payload) = parse(body)?;
    let outcome = process(state, &event, &payload).await?;
    state.metrics.webhook_events.with_label_values(&[event.kind.as_str(), outcome_label(outcome)]).inc();
    tracing::info!(event = %event.id, kind = %event.kind, ?outcome, "payment event received");
    Ok(outcome)
}

/// Reads a verified body as an event: its id, type and object, and the whole payload
/// as it is stored.
pub(crate) fn parse(body: &[u8]) -> Result<(Event, serde_json::Value), ReceiveError> {
    let payload: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| ReceiveError::Malformed(e.to_string()))?;
    let event: Event = serde_json::from_value(payload.clone()).map_err(|e| ReceiveError::Malformed(e.to_string()))?;
    if event.id.is_empty() || event.id.len() > 255 {
        return Err(ReceiveError::Malformed("the event id is empty or too long".into()));
    }
    Ok((event, payload))
}

fn outcome_label(o: Outcome) -> &'static str {
    match o {
        Outcome::Processed => "processed",
        Outcome::Ignored => "ignored",
        Outcome::Duplicate => "duplicate",
        Outcome::Failed => "failed",
    }
}

/// Stores an event the first time its id is seen: as processed, or as failed with the
/// error. Returns whether it was new.
async fn store(
    conn: &mut PgConnection,
    state: &AppState,
    event: &Event,
    payload: &serde_json::Value,
    error: Option<&str>,
) -> Result<bool, Failure> {
    let now = state.clock.now_db();
    let stored = sqlx::query_scalar!(
        "INSERT INTO payment_events (id, provider, type, payload, status, last_error, received_at, processed_at)
         VALUES ($1, $2, $3, $4, CASE WHEN $5::text IS NULL THEN 'processed' ELSE 'failed' END, $5, $6::timestamptz,
                 CASE WHEN $5::text IS NULL THEN $6::timestamptz END)
         ON CONFLICT (id) DO NOTHING RETURNING id",
        event.id,
        state.config.payments.name(),
        event.kind,
        payload,
        error,
        now
    )
    .fetch_optional(conn)
    .await?;
    Ok(stored.is_some())
}

async fn process(state: &AppState, event: &Event, payload: &serde_json::Value) -> Result<Outcome, Failure> {
    let mut tx = state.pool.begin().await?;
    if !store(&mut tx, state, event, payload, None).await? {
        return Ok(Outcome::Duplicate);
    }
    match handle(&mut tx, state, event).await {
        Ok(true) => {
            tx.commit().await?;
            Ok(Outcome::Processed)
        }
        Ok(false) => {
            sqlx::query!("UPDATE payment_events SET status = 'ignored' WHERE id = $1", event.id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(Outcome::Ignored)
        }
        Err(e) => {
            tx.rollback().await?;
            let error = chain(&e);
            tracing::warn!(event = %event.id, kind = %event.kind, %error, "handling a payment event failed; it will be retried");
            let mut tx = state.pool.begin().await?;
            let stored = store(&mut tx, state, event, payload, Some(&error)).await?;
            if !stored {
                return Ok(Outcome::Duplicate);
            }
            let options = Enqueue { dedup_key: Some(event.id.clone()), ..Enqueue::at(state.clock.now()) };
            jobs::enqueue_with(&mut tx, &RetryPaymentEvent { event_id: event.id.clone() }, options).await?;
            tx.commit().await?;
            Ok(Outcome::Failed)
        }
    }
}

/// Applies an event's effects inside `conn`'s transaction. `Ok(false)`: not ours to act on.
async fn handle(conn: &mut PgConnection, state: &AppState, event: &Event) -> Result<bool, Failure> {
    let session = || Collected::from_session(&event.data.object);
    match event.kind.as_str() {
        "checkout.session.completed" | "checkout.session.async_payment_succeeded" => {
            let s = session()?;
            if s.order_number.is_none() {
                return Ok(false);
            }
            if s.paid {
                orders::fulfil(conn, state, &s, "payment event").await?;
            }
            Ok(true)
        }
        "checkout.session.async_payment_failed" => {
            let Some(number) = session()?.order_number else { return Ok(false) };
            orders::payment_failed(conn, state, &number).await?;
            Ok(true)
        }
        "checkout.session.expired" => {
            let s = session()?;
            let Some(number) = s.order_number else { return Ok(false) };
            super::sessions::mark_closed(conn, &s.session_id, state.clock.now()).await?;
            orders::expire_if_due(conn, state, &number).await?;
            crate::server::booking::release_hold(conn, number.as_str(), true, state.clock.now()).await?;
            Ok(true)
        }
        "charge.refunded" => refunded(conn, state, &event.data.object).await,
        _ => Ok(false),
    }
}

/// A charge's refunds settled: confirms each of ours still pending (an order's refund
/// or a duplicate payment's). `Ok(false)` when none of them is ours.
async fn refunded(conn: &mut PgConnection, state: &AppState, charge: &serde_json::Value) -> Result<bool, Failure> {
    let listed = charge.pointer("/refunds/data").and_then(|d| d.as_array()).cloned().unwrap_or_default();
    let mut ours = false;
    for refund in listed {
        let ours_id =
            refund.pointer("/metadata/refund_id").and_then(|v| v.as_str()).and_then(|v| uuid::Uuid::parse_str(v).ok());
        let (Some(id), Some(provider_id)) = (ours_id, refund.get("id").and_then(|v| v.as_str())) else { continue };
        if refund.get("status").and_then(|v| v.as_str()) != Some("succeeded") {
            continue;
        }
        ours |= match crate::server::refunds::confirm(conn, state, id, provider_id).await? {
            Some(_) => true,
            None => super::duplicates::confirm(conn, state, id, provider_id).await?.is_some(),
        };
    }
    Ok(ours)
}

/// Handles a stored event whose first handling failed.
#[derive(Debug, Serialize, Deserialize)]
pub struct RetryPaymentEvent {
    pub event_id: String,
}

impl Job for RetryPaymentEvent {
    const NAME: &'static str = "retry_payment_event";

    async fn run(self, state: &AppState) -> Result<(), JobError> {
        match retry(state, &self.event_id).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(handling)) => Err(JobError::Transient(handling)),
            Err(e) => Err(JobError::Transient(chain(&e))),
        }
    }
}

/// Handles a failed event again (the job queue, or an admin). Nothing happens to an
/// event that is no longer failed. The inner error is why handling failed again (kept
/// on the event as `last_error`); the outer one, that the event could not be read or
/// updated at all.
pub async fn retry(state: &AppState, event_id: &str) -> Result<Result<(), String>, Failure> {
    let mut tx = state.pool.begin().await?;
    let Some(row) = sqlx::query!("SELECT payload, status FROM payment_events WHERE id = $1 FOR UPDATE", event_id)
        .fetch_optional(&mut *tx)
        .await?
    else {
        return Err(crate::domain::AppError::NotFound.into());
    };
    if row.status != "failed" {
        return Ok(Ok(()));
    }
    let event: Event = serde_json::from_value(row.payload).map_err(|e| Failure::bug(format!("stored event: {e}")))?;
    let now = state.clock.now_db();
    match handle(&mut tx, state, &event).await {
        Ok(acted) => {
            sqlx::query!(
                "UPDATE payment_events SET status = $2, attempts = attempts + 1, last_error = NULL, processed_at = $3
                 WHERE id = $1",
                event_id,
                if acted { "processed" } else { "ignored" },
                now
            )
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(Ok(()))
        }
        Err(e) => {
            tx.rollback().await?;
            let error = chain(&e);
            sqlx::query!(
                "UPDATE payment_events SET attempts = attempts + 1, last_error = $2 WHERE id = $1",
                event_id,
                error
            )
            .execute(&state.pool)
            .await?;
            Ok(Err(error))
        }
    }
}

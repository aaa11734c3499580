//! Background jobs: each kind is a type with a name and a serde payload. Jobs are
//! inserted in the caller's transaction, so they exist exactly when the change that
//! caused them commits. The runner (`server::worker`) knows kinds only through the
//! registry it is given; nothing here matches on names.

use crate::server::clock::to_db;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::PgConnection;
use std::future::Future;
use std::time::Duration;

/// A failure, classified by whether trying again can help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// Worth retrying later (a server was unreachable, a lock timed out).
    #[error("{0}")]
    Transient(String),
    /// Retrying cannot help (the payload is invalid, the recipient was refused): the job
    /// is dead at once.
    #[error("{0}")]
    Permanent(String),
}

impl From<sqlx::Error> for JobError {
    fn from(e: sqlx::Error) -> Self {
        JobError::Transient(format!("database: {e}"))
    }
}

/// A refusal phrased for a person (the order is in another state, the input is wrong)
/// will be refused again however often it is tried: the job is dead at once. Every other
/// failure (the database, a provider, a broken assumption) may pass, and is retried.
impl From<crate::server::error::Failure> for JobError {
    fn from(e: crate::server::error::Failure) -> Self {
        let why = crate::server::error::chain(&e);
        match e {
            crate::server::error::Failure::User(_) => JobError::Permanent(why),
            _ => JobError::Transient(why),
        }
    }
}

pub trait Job: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// Stored in the `kind` column: renaming one strands the queued jobs of that kind.
    const NAME: &'static str;
    const MAX_ATTEMPTS: i32 = 8;

    fn run(self, state: &crate::server::state::AppState) -> impl Future<Output = Result<(), JobError>> + Send;

    /// Called once when the job is given up for good.
    fn on_dead(self, _state: &crate::server::state::AppState) -> impl Future<Output = Result<(), JobError>> + Send {
        async { Ok(()) }
    }
}

/// When and how often a job may be queued.
#[derive(Debug, Clone)]
pub struct Enqueue {
    /// Not before this instant: the app clock's now for "as soon as possible", so a
    /// job is due by the same clock the worker reads.
    pub run_at: jiff::Timestamp,
    /// At most one job of this kind with this key is ever queued (a webhook event id, a
    /// reminder per booking); a repeat is silently dropped.
    pub dedup_key: Option<String>,
}

impl Enqueue {
    pub fn at(run_at: jiff::Timestamp) -> Self {
        Enqueue { run_at, dedup_key: None }
    }
}

/// Queues `job` to run from `now` (the app clock's).
pub async fn enqueue<J: Job>(
    conn: &mut PgConnection,
    job: &J,
    now: jiff::Timestamp,
) -> Result<Option<i64>, sqlx::Error> {
    enqueue_with(conn, job, Enqueue::at(now)).await
}

/// Queues `job` as `options` say. Returns the job id, or `None` when its dedup key was
/// already taken.
pub async fn enqueue_with<J: Job>(
    conn: &mut PgConnection,
    job: &J,
    options: Enqueue,
) -> Result<Option<i64>, sqlx::Error> {
    let payload = serde_json::to_value(job).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query_scalar!(
        "INSERT INTO jobs (kind, payload, max_attempts, run_at, dedup_key)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (kind, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING
         RETURNING id",
        J::NAME,
        payload,
        J::MAX_ATTEMPTS,
        to_db(options.run_at),
        options.dedup_key,
    )
    .fetch_optional(conn)
    .await
}

/// Delay before retry number `attempts` (1-based): 10 s, 20 s, 40 s, … capped at 1 h.
pub fn retry_delay(attempts: i32) -> Duration {
    let exp = attempts.clamp(1, 20) as u32 - 1;
    Duration::from_secs((10u64 << exp.min(16)).min(3600))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::AppError;
    use crate::server::error::Failure;

    #[test]
    fn a_refusal_kills_a_job_at_once_and_anything_else_is_retried_with_its_causes() {
        let refused = JobError::from(Failure::from(AppError::invalid("order", "This order is refunded.")));
        assert_eq!(refused, JobError::Permanent("This order is refunded.".into()));
        assert!(
            matches!(JobError::from(Failure::Upstream("timed out".into())), JobError::Transient(m) if m == "timed out")
        );
        let db = JobError::from(Failure::from(sqlx::Error::PoolTimedOut));
        assert!(
            matches!(&db, JobError::Transient(m) if m.starts_with("database: ") && m.contains("pool timed out")),
            "{db:?}"
        );
    }

    #[test]
    fn retries_back_off_exponentially_up_to_an_hour() {
        assert_eq!(retry_delay(1), Duration::from_secs(10));
        assert_eq!(retry_delay(2), Duration::from_secs(20));
        assert_eq!(retry_delay(3), Duration::from_secs(40));
        assert_eq!(retry_delay(9), Duration::from_secs(2560));
        assert_eq!(retry_delay(10), Duration::from_secs(3600));
        assert_eq!(retry_delay(100), Duration::from_secs(3600));
        assert_eq!(retry_delay(0), Duration::from_secs(10));
    }
}

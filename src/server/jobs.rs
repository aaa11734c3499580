//! A job queue in Postgres. Jobs are inserted in the same transaction as the write that
//! causes them; workers claim them with `FOR UPDATE SKIP LOCKED`, so any number of
//! `attune serve` / `attune worker` processes can share the queue. Failures retry with
//! exponential backoff; a job that runs out of attempts is kept as `dead` and shown in
//! the admin panel.

use crate::server::email;
use crate::server::state::AppState;
use sqlx::PgConnection;
use std::time::Duration;
use tokio::sync::watch;

pub const DELIVER_EMAIL: &str = "deliver_email";

/// A running job whose worker vanished is taken again after this long.
const LEASE_SECS: f64 = 300.0;

/// Delay before retry number `attempts` (1-based): 10 s, 20 s, 40 s, … capped at 1 h.
pub fn retry_delay(attempts: i32) -> Duration {
    let exp = attempts.clamp(1, 20) as u32 - 1;
    Duration::from_secs((10u64 << exp.min(16)).min(3600))
}

pub async fn enqueue(conn: &mut PgConnection, kind: &str, payload: serde_json::Value) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!("INSERT INTO jobs (kind, payload) VALUES ($1, $2) RETURNING id", kind, payload)
        .fetch_one(conn)
        .await
}

struct Claimed {
    id: i64,
    kind: String,
    payload: serde_json::Value,
    attempts: i32,
    max_attempts: i32,
}

async fn claim(state: &AppState) -> Result<Option<Claimed>, sqlx::Error> {
    sqlx::query_as!(
        Claimed,
        r#"
        UPDATE jobs SET status = 'running', locked_at = now(), attempts = attempts + 1
        WHERE id = (
            SELECT id FROM jobs
            WHERE attempts < max_attempts
              AND ((status = 'queued' AND run_at <= now())
                OR (status = 'running' AND locked_at < now() - make_interval(secs => $1)))
            ORDER BY run_at
            LIMIT 1
            FOR UPDATE SKIP LOCKED
        )
        RETURNING id, kind, payload, attempts, max_attempts
        "#,
        LEASE_SECS
    )
    .fetch_optional(&state.pool)
    .await
}

async fn run(state: &AppState, job: &Claimed) -> Result<(), String> {
    match job.kind.as_str() {
        DELIVER_EMAIL => {
            let id = job.payload["outbox_id"].as_i64().ok_or("payload has no outbox_id")?;
            email::deliver(&state.pool, &state.config, id).await.map_err(|e| e.to_string())
        }
        other => Err(format!("no handler for job kind `{other}`")),
    }
}

async fn on_dead(state: &AppState, job: &Claimed) -> Result<(), sqlx::Error> {
    if job.kind == DELIVER_EMAIL
        && let Some(id) = job.payload["outbox_id"].as_i64()
    {
        email::mark_failed(&state.pool, id).await?;
    }
    Ok(())
}

/// Claims and runs one job. Returns whether there was one.
pub async fn run_one(state: &AppState) -> Result<bool, sqlx::Error> {
    let Some(job) = claim(state).await? else { return Ok(false) };
    match run(state, &job).await {
        Ok(()) => {
            sqlx::query!("UPDATE jobs SET status = 'done', finished_at = now(), locked_at = NULL, last_error = NULL WHERE id = $1", job.id)
                .execute(&state.pool)
                .await?;
            state.metrics.jobs.with_label_values(&[job.kind.as_str(), "done"]).inc();
        }
        Err(error) if job.attempts >= job.max_attempts => {
            tracing::error!(job_id = job.id, kind = %job.kind, attempts = job.attempts, %error, "job is dead after its last attempt");
            sqlx::query!(
                "UPDATE jobs SET status = 'dead', finished_at = now(), locked_at = NULL, last_error = $2 WHERE id = $1",
                job.id,
                error
            )
            .execute(&state.pool)
            .await?;
            on_dead(state, &job).await?;
            state.metrics.jobs.with_label_values(&[job.kind.as_str(), "dead"]).inc();
        }
        Err(error) => {
            let delay = retry_delay(job.attempts).as_secs_f64();
            tracing::warn!(job_id = job.id, kind = %job.kind, attempts = job.attempts, retry_in_secs = delay, %error, "job failed; will retry");
            sqlx::query!(
                "UPDATE jobs SET status = 'queued', locked_at = NULL, last_error = $2, run_at = now() + make_interval(secs => $3) WHERE id = $1",
                job.id,
                error,
                delay
            )
            .execute(&state.pool)
            .await?;
            state.metrics.jobs.with_label_values(&[job.kind.as_str(), "retry"]).inc();
        }
    }
    Ok(true)
}

/// A job whose worker died during its last allowed attempt can never be claimed again:
/// it is dead, and kept as such for the admin panel.
async fn bury_abandoned(state: &AppState) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE jobs SET status = 'dead', finished_at = now(), locked_at = NULL,
                last_error = coalesce(last_error, 'worker stopped during the last attempt')
         WHERE status = 'running' AND attempts >= max_attempts AND locked_at < now() - make_interval(secs => $1)",
        LEASE_SECS
    )
    .execute(&state.pool)
    .await?;
    Ok(())
}

/// Runs jobs until `shutdown` flips to true, polling every second when idle, and
/// doing housekeeping (old rate-limit windows) hourly.
pub async fn work(state: AppState, mut shutdown: watch::Receiver<bool>) {
    tracing::info!("job worker started");
    let mut last_housekeeping = std::time::Instant::now() - Duration::from_secs(3600);
    loop {
        if *shutdown.borrow() {
            break;
        }
        if last_housekeeping.elapsed() >= Duration::from_secs(3600) {
            last_housekeeping = std::time::Instant::now();
            if let Err(e) = bury_abandoned(&state).await {
                tracing::warn!(error = %e, "burying abandoned jobs failed");
            }
            match crate::server::rate_limit::purge_old(&state.pool).await {
                Ok(n) => tracing::debug!(removed = n, "old rate-limit windows purged"),
                Err(e) => tracing::warn!(error = %e, "purging rate-limit windows failed"),
            }
        }
        let busy = match run_one(&state).await {
            Ok(busy) => busy,
            Err(e) => {
                tracing::error!(error = %e, "job queue unavailable");
                false
            }
        };
        if !busy {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
    tracing::info!("job worker stopped");
}

#[cfg(test)]
mod tests {
    use super::*;

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

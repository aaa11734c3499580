//! Runs queued jobs. Workers claim jobs with `FOR UPDATE SKIP LOCKED`, so any number of
//! `attune serve` / `attune worker` processes share the queue. A transient failure
//! retries with exponential backoff; a permanent one, or the last attempt, leaves the
//! job `dead` for the admin panel. Recurring jobs are queued from `job_schedules`.

use crate::server::clock::to_db;
use crate::server::email::DeliverEmail;
use crate::server::jobs::{Job, JobError, retry_delay};
use crate::server::state::AppState;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// A running job whose worker vanished is taken again after this long.
const LEASE_SECS: f64 = 300.0;

type BoxFuture = Pin<Box<dyn Future<Output = Result<(), JobError>> + Send>>;
type Handler = Arc<dyn Fn(AppState, serde_json::Value, bool) -> BoxFuture + Send + Sync>;

#[derive(Clone)]
struct Recurring {
    name: &'static str,
    period: Duration,
    max_attempts: i32,
    payload: Arc<dyn Fn() -> serde_json::Value + Send + Sync>,
}

/// Every job kind the runner can run, by name, and the recurring ones with their
/// periods.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: HashMap<&'static str, Handler>,
    recurring: Vec<Recurring>,
}

impl Registry {
    pub fn register<J: Job>(mut self) -> Self {
        let handler: Handler = Arc::new(|state, payload, dead| {
            Box::pin(async move {
                let job: J = serde_json::from_value(payload)
                    .map_err(|e| JobError::Permanent(format!("payload does not fit {}: {e}", J::NAME)))?;
                if dead { job.on_dead(&state).await } else { job.run(&state).await }
            })
        });
        assert!(self.handlers.insert(J::NAME, handler).is_none(), "job {} registered twice", J::NAME);
        self
    }

    /// Registers `J` and queues `make()` once every `period`, across all instances.
    pub fn every<J: Job>(mut self, period: Duration, make: impl Fn() -> J + Send + Sync + 'static) -> Self {
        self = self.register::<J>();
        let payload = Arc::new(move || serde_json::to_value(make()).expect("job payloads serialise"));
        self.recurring.push(Recurring { name: J::NAME, period, max_attempts: J::MAX_ATTEMPTS, payload });
        self
    }

    /// How many kinds run on a schedule (each queues one job per period).
    pub fn recurring_kinds(&self) -> usize {
        self.recurring.len()
    }

    pub fn knows(&self, kind: &str) -> bool {
        self.handlers.contains_key(kind)
    }
}

/// The application's jobs: the one place that lists them.
pub fn registry() -> Registry {
    Registry::default()
        .register::<DeliverEmail>()
        .register::<crate::server::sms::DeliverSms>()
        .every(Duration::from_secs(3600), || Housekeeping)
        .every(Duration::from_secs(3600), || crate::server::ledger::ExpireCredits)
        .every(Duration::from_secs(86_400), || crate::server::ledger::CheckLedger)
        .register::<crate::server::payments::sandbox::DeliverSandboxEvent>()
        .register::<crate::server::payments::webhooks::RetryPaymentEvent>()
        .register::<crate::server::refunds::FinishRefund>()
        .register::<crate::server::payments::sessions::CloseCheckoutSession>()
        .register::<crate::server::payments::duplicates::RefundDuplicatePayment>()
        .every(Duration::from_secs(600), || crate::server::orders::ExpireOrders)
        .every(Duration::from_secs(900), || crate::server::orders::ReconcilePayments)
        .every(Duration::from_secs(60), || crate::server::booking::ReleaseHolds)
        .every(Duration::from_secs(300), || crate::server::calendar::SendReminders)
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
        UPDATE jobs SET status = 'running', locked_at = $2, attempts = attempts + 1
        WHERE id = (
            SELECT id FROM jobs
            WHERE attempts < max_attempts
              AND ((status = 'queued' AND run_at <= $2)
                OR (status = 'running' AND locked_at < $2::timestamptz - make_interval(secs => $1)))
            ORDER BY run_at
            LIMIT 1
            FOR UPDATE SKIP LOCKED
        )
        RETURNING id, kind, payload, attempts, max_attempts
        "#,
        LEASE_SECS,
        state.clock.now_db(),
    )
    .fetch_optional(&state.pool)
    .await
}

/// Claims and runs one job. Returns whether there was one.
pub async fn run_one(state: &AppState, registry: &Registry) -> Result<bool, sqlx::Error> {
    let Some(job) = claim(state).await? else { return Ok(false) };
    let handler = registry.handlers.get(job.kind.as_str()).cloned();
    let outcome = match &handler {
        Some(h) => h(state.clone(), job.payload.clone(), false).await,
        None => Err(JobError::Permanent(format!("no handler for job kind `{}`", job.kind))),
    };
    let now = state.clock.now_db();
    match outcome {
        Ok(()) => {
            sqlx::query!(
                "UPDATE jobs SET status = 'done', finished_at = $2, locked_at = NULL, last_error = NULL WHERE id = $1",
                job.id,
                now
            )
            .execute(&state.pool)
            .await?;
            state.metrics.jobs.with_label_values(&[job.kind.as_str(), "done"]).inc();
        }
        Err(error) if matches!(error, JobError::Permanent(_)) || job.attempts >= job.max_attempts => {
            tracing::error!(job_id = job.id, kind = %job.kind, attempts = job.attempts, %error, "job is dead");
            sqlx::query!(
                "UPDATE jobs SET status = 'dead', finished_at = $3, locked_at = NULL, last_error = $2 WHERE id = $1",
                job.id,
                error.to_string(),
                now
            )
            .execute(&state.pool)
            .await?;
            if let Some(h) = handler
                && let Err(e) = h(state.clone(), job.payload, true).await
            {
                tracing::error!(job_id = job.id, kind = %job.kind, error = %e, "cleaning up after a dead job failed");
            }
            state.metrics.jobs.with_label_values(&[job.kind.as_str(), "dead"]).inc();
        }
        Err(error) => {
            let delay = retry_delay(job.attempts).as_secs_f64();
            tracing::warn!(job_id = job.id, kind = %job.kind, attempts = job.attempts, retry_in_secs = delay, %error, "job failed; will retry");
            sqlx::query!(
                "UPDATE jobs SET status = 'queued', locked_at = NULL, last_error = $2,
                        run_at = $4::timestamptz + make_interval(secs => $3) WHERE id = $1",
                job.id,
                error.to_string(),
                delay,
                now
            )
            .execute(&state.pool)
            .await?;
            state.metrics.jobs.with_label_values(&[job.kind.as_str(), "retry"]).inc();
        }
    }
    Ok(true)
}

/// Queues every recurring job whose time has come. The schedule row is advanced in the
/// same transaction that queues the job, under its row lock, so however many
/// instances run this at once, each period queues exactly one job. Returns how many
/// were queued.
pub async fn queue_due(state: &AppState, registry: &Registry) -> Result<usize, sqlx::Error> {
    let mut queued = 0;
    let now = state.clock.now();
    for Recurring { name, period, max_attempts, payload } in &registry.recurring {
        let mut tx = state.pool.begin().await?;
        sqlx::query!(
            "INSERT INTO job_schedules (name, next_run_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
            name,
            to_db(now)
        )
        .execute(&mut *tx)
        .await?;
        let period_secs = period.as_secs().max(1) as i64;
        let next =
            jiff::Timestamp::from_second(now.as_second() - now.as_second().rem_euclid(period_secs) + period_secs)
                .expect("within range");
        let due = sqlx::query_scalar!(
            "UPDATE job_schedules SET next_run_at = $3, last_run_at = $2
             WHERE name = $1 AND next_run_at <= $2 RETURNING name",
            name,
            to_db(now),
            to_db(next)
        )
        .fetch_optional(&mut *tx)
        .await?;
        if due.is_some() {
            let key = format!("{name}@{}", next.as_second() - period_secs);
            sqlx::query!(
                "INSERT INTO jobs (kind, payload, max_attempts, run_at, dedup_key) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (kind, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING",
                name,
                payload(),
                max_attempts,
                to_db(now),
                key
            )
            .execute(&mut *tx)
            .await?;
            queued += 1;
        }
        tx.commit().await?;
    }
    Ok(queued)
}

/// Hourly upkeep: jobs whose worker died on their last attempt are buried, and finished
/// jobs, delivered emails, expired email secrets, old rate-limit windows and stale
/// login addresses are deleted.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Housekeeping;

impl Job for Housekeeping {
    const NAME: &'static str = "housekeeping";
    const MAX_ATTEMPTS: i32 = 3;

    async fn run(self, state: &AppState) -> Result<(), JobError> {
        let now = state.clock.now_db();
        let pool = &state.pool;
        let buried = sqlx::query!(
            "UPDATE jobs SET status = 'dead', finished_at = $2, locked_at = NULL,
                    last_error = coalesce(last_error, 'worker stopped during the last attempt')
             WHERE status = 'running' AND attempts >= max_attempts AND locked_at < $2::timestamptz - make_interval(secs => $1)",
            LEASE_SECS,
            now
        )
        .execute(pool)
        .await?
        .rows_affected();
        let cutoff = now - time::Duration::seconds(state.config.job_retention.as_secs() as i64);
        let jobs = sqlx::query!("DELETE FROM jobs WHERE status = 'done' AND finished_at < $1", cutoff)
            .execute(pool)
            .await?
            .rows_affected();
        let (secrets, emails) = crate::server::email::purge(pool, now, state.config.outbox_retention).await?;
        let windows = crate::server::rate_limit::purge_old(pool, now).await?;
        let sign_ups = crate::server::sign_up::purge_expired(pool, now).await?;
        let known = now - time::Duration::days(crate::server::accounts::KNOWN_ADDRESS_DAYS);
        let addresses = sqlx::query!("DELETE FROM login_addresses WHERE last_success_at < $1", known)
            .execute(pool)
            .await?
            .rows_affected();
        tracing::info!(buried, jobs, secrets, emails, windows, sign_ups, addresses, "housekeeping done");
        Ok(())
    }
}

/// Runs jobs until `shutdown` flips to true, polling every second when idle. Shutdown
/// interrupts whatever the worker is waiting for (a job, the database), so it is prompt
/// even when the database is unreachable; an interrupted job is taken again after its
/// lease.
pub async fn work(state: AppState, registry: Registry, mut shutdown: watch::Receiver<bool>) {
    tracing::info!("job worker started");
    let mut last_schedule_check = None::<std::time::Instant>;
    loop {
        if *shutdown.borrow() {
            break;
        }
        let step = async {
            if last_schedule_check.is_none_or(|t| t.elapsed() >= Duration::from_secs(30)) {
                last_schedule_check = Some(std::time::Instant::now());
                if let Err(e) = queue_due(&state, &registry).await {
                    tracing::warn!(error = %e, "queueing recurring jobs failed");
                }
            }
            match run_one(&state, &registry).await {
                Ok(busy) => busy,
                Err(e) => {
                    tracing::error!(error = %e, "job queue unavailable");
                    false
                }
            }
        };
        let busy = tokio::select! {
            busy = step => busy,
            _ = shutdown.changed() => break,
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

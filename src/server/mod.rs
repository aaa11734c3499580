//! Server-only code: configuration, database access, services, jobs and HTTP.

pub mod accounts;
pub mod admin;
pub mod audit;
pub mod availability;
pub mod booking;
pub mod cache;
pub mod calendar;
pub mod capability;
pub mod catalog;
pub mod checkout;
pub mod clock;
pub mod config;
pub mod context;
pub mod credits;
pub mod demo;
pub mod email;
pub mod embedded_pg;
pub mod error;
pub mod exchange;
pub mod fuzz;
pub mod http;
pub mod jobs;
pub mod leads;
pub mod ledger;
pub mod metrics;
pub mod onboarding;
pub mod orders;
pub mod packages;
pub mod parties;
pub mod passwords;
pub mod payments;
pub mod phone_sign_in;
pub mod pool;
pub mod rate_limit;
pub mod receipts;
pub mod refunds;
pub mod sealing;
pub mod services;
pub mod sessions;
pub mod sign_up;
pub mod sms;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod tokens;
pub mod uploads;
pub mod wizard;
pub mod worker;

/// Runs the database migrations embedded in the binary.
pub async fn migrate(pool: &sqlx::PgPool) -> anyhow::Result<()> {
    let mut migrator = sqlx::migrate!("./migrations");
    // During a rolling deploy the new release migrates first; an instance of the old
    // release that restarts meanwhile finds migrations it does not know. Migrations only
    // ever expand the schema the old release uses (docs/DEPLOY.md), so it starts.
    migrator.set_ignore_missing(true);
    migrator.run(pool).await?;
    tower_sessions_sqlx_store::PostgresStore::new(pool.clone()).migrate().await?;
    Ok(())
}

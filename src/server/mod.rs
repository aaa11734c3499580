//! Server-only code: configuration, database access, services, jobs and HTTP.

pub mod accounts;
pub mod admin;
pub mod cache;
pub mod catalog;
pub mod clock;
pub mod config;
pub mod context;
pub mod demo;
pub mod email;
pub mod embedded_pg;
pub mod error;
pub mod http;
pub mod jobs;
pub mod metrics;
pub mod passwords;
pub mod rate_limit;
pub mod sessions;
pub mod state;
pub mod telemetry;
pub mod tokens;
pub mod worker;

/// Formats a database timestamp for the wire (RFC 3339, UTC, whole seconds: what
/// pages show and what `<time datetime>` accepts).
pub fn rfc3339(t: time::OffsetDateTime) -> String {
    clock::from_db(t).round(jiff::Unit::Second).map(|t| t.to_string()).unwrap_or_default()
}

/// Runs the database migrations embedded in the binary.
pub async fn migrate(pool: &sqlx::PgPool) -> anyhow::Result<()> {
    sqlx::migrate!("./migrations").run(pool).await?;
    tower_sessions_sqlx_store::PostgresStore::new(pool.clone()).migrate().await?;
    Ok(())
}

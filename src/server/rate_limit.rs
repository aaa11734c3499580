//! Fixed-window rate limits counted in Postgres, so every app instance shares them.

use crate::domain::AppError;
use sqlx::PgPool;

#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub max: i32,
    pub window_secs: i64,
}

pub const LOGIN_PER_ACCOUNT: Limit = Limit { max: 10, window_secs: 15 * 60 };
pub const LOGIN_PER_IP: Limit = Limit { max: 50, window_secs: 15 * 60 };
pub const RESET_PER_ACCOUNT: Limit = Limit { max: 3, window_secs: 60 * 60 };
pub const RESET_PER_IP: Limit = Limit { max: 20, window_secs: 60 * 60 };
pub const SIGNUP_PER_IP: Limit = Limit { max: 30, window_secs: 60 * 60 };

/// Counts one hit on `bucket`. Over the limit it answers `RateLimited` with the seconds
/// until the window ends.
pub async fn hit(pool: &PgPool, bucket: &str, limit: Limit) -> Result<(), AppError> {
    let row = sqlx::query!(
        r#"
        INSERT INTO rate_limit_counters (bucket, window_start, hits)
        VALUES ($1, to_timestamp(floor(extract(epoch FROM now()) / $2::bigint) * $2::bigint), 1)
        ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limit_counters.hits + 1
        RETURNING hits,
                  ceil(extract(epoch FROM (window_start + make_interval(secs => $2::bigint) - now())))::bigint AS "retry_after!"
        "#,
        bucket,
        limit.window_secs,
    )
    .fetch_one(pool)
    .await?;
    if row.hits > limit.max {
        tracing::warn!(bucket, hits = row.hits, "rate limit exceeded");
        return Err(AppError::RateLimited { retry_after_secs: row.retry_after.max(1) as u64 });
    }
    Ok(())
}

/// Removes counters whose window ended long ago.
pub async fn purge_old(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let done = sqlx::query!("DELETE FROM rate_limit_counters WHERE window_start < now() - interval '1 day'")
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}

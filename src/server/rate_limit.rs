//! Fixed-window rate limits counted in Postgres, so every app instance shares them.
//! Windows are computed from the app's clock, so tests move time instead of waiting.
//!
//! Bucket keys are built by `Bucket` from parsed values (an IP address) or a hash of
//! what a person typed, so no input of any length or content reaches the table.

use crate::domain::AppError;
use crate::server::clock::{Clock, to_db};
use crate::server::error::Failure;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use std::net::IpAddr;

#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub max: i32,
    pub window_secs: i64,
}

/// Wrong passwords for one account from one address: the tight limit a guesser meets.
pub const LOGIN_FAILURES_PER_ACCOUNT_AND_IP: Limit = Limit { max: 5, window_secs: 15 * 60 };
/// Wrong passwords for one account from anywhere: the loose limit that slows guessing
/// spread over many addresses. Addresses the owner signed in from recently are exempt,
/// so a stranger cannot lock the owner out.
pub const LOGIN_FAILURES_PER_ACCOUNT: Limit = Limit { max: 100, window_secs: 60 * 60 };
/// Wrong passwords from one address, whatever the account.
pub const LOGIN_FAILURES_PER_IP: Limit = Limit { max: 50, window_secs: 15 * 60 };
pub const RESET_PER_ACCOUNT: Limit = Limit { max: 3, window_secs: 60 * 60 };
pub const RESET_PER_IP: Limit = Limit { max: 20, window_secs: 60 * 60 };
pub const SIGNUP_PER_IP: Limit = Limit { max: 30, window_secs: 60 * 60 };
/// Sign-ups with one address, whether it has an account or not: bounds the emails a
/// stranger can make us send to it.
pub const SIGNUP_PER_ADDRESS: Limit = Limit { max: 3, window_secs: 60 * 60 };

/// A rate-limit key: a purpose and parsed or hashed parts, bounded in length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket(String);

impl Bucket {
    pub fn ip(purpose: &str, ip: IpAddr) -> Self {
        Bucket(format!("{purpose}:ip:{ip}"))
    }

    /// An account as typed (case and surrounding space ignored), hashed.
    pub fn account(purpose: &str, account: &str) -> Self {
        Bucket(format!("{purpose}:acct:{}", hash_hex(account)))
    }

    pub fn account_ip(purpose: &str, account: &str, ip: IpAddr) -> Self {
        Bucket(format!("{purpose}:acct-ip:{}:{ip}", hash_hex(account)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The first 128 bits of SHA-256 of the normalised value, as hex.
fn hash_hex(value: &str) -> String {
    let digest = Sha256::digest(value.trim().to_lowercase().as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

fn window_start(clock: &Clock, limit: Limit) -> (time::OffsetDateTime, i64) {
    let now = clock.now().as_second();
    let start = now - now.rem_euclid(limit.window_secs);
    let retry_after = (start + limit.window_secs - now).max(1);
    (to_db(jiff::Timestamp::from_second(start).expect("a second within range")), retry_after)
}

/// Counts one hit on `bucket`. Over the limit it answers `RateLimited` with the seconds
/// until the window ends.
pub async fn hit(pool: &PgPool, clock: &Clock, bucket: &Bucket, limit: Limit) -> Result<(), Failure> {
    let (start, retry_after) = window_start(clock, limit);
    let hits = sqlx::query_scalar!(
        "INSERT INTO rate_limit_counters (bucket, window_start, hits) VALUES ($1, $2, 1)
         ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limit_counters.hits + 1
         RETURNING hits",
        bucket.as_str(),
        start,
    )
    .fetch_one(pool)
    .await?;
    if hits > limit.max {
        tracing::warn!(bucket = bucket.as_str(), hits, "rate limit exceeded");
        return Err(AppError::RateLimited { retry_after_secs: retry_after as u64 }.into());
    }
    Ok(())
}

/// A slot taken in one window of one bucket: kept, it counts as an attempt (a failure);
/// released, it is given back. It remembers its window, so a release after the window
/// turned gives back the slot it took, not one of the next window.
#[derive(Debug, Clone)]
pub struct Reservation {
    bucket: Bucket,
    window_start: time::OffsetDateTime,
}

/// Takes a slot in `bucket` before the work it guards, in one statement: the counter
/// goes up only while it is below the limit, so of any number of concurrent callers
/// (on any instance) exactly the limit's worth get a slot and the rest `RateLimited`,
/// with nothing counted for them.
pub async fn reserve(pool: &PgPool, clock: &Clock, bucket: &Bucket, limit: Limit) -> Result<Reservation, Failure> {
    let (start, retry_after) = window_start(clock, limit);
    let taken = sqlx::query_scalar!(
        "INSERT INTO rate_limit_counters (bucket, window_start, hits) VALUES ($1, $2, 1)
         ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limit_counters.hits + 1
         WHERE rate_limit_counters.hits < $3
         RETURNING hits",
        bucket.as_str(),
        start,
        limit.max,
    )
    .fetch_optional(pool)
    .await?;
    if taken.is_none() {
        tracing::warn!(bucket = bucket.as_str(), "rate limit reached");
        return Err(AppError::RateLimited { retry_after_secs: retry_after as u64 }.into());
    }
    Ok(Reservation { bucket: bucket.clone(), window_start: start })
}

/// Takes a slot in each of `limits` in order; when one refuses, the slots already taken
/// are given back before the refusal is returned.
pub async fn reserve_all(
    pool: &PgPool,
    clock: &Clock,
    limits: &[(&Bucket, Limit)],
) -> Result<Vec<Reservation>, Failure> {
    let mut taken = Vec::with_capacity(limits.len());
    for (bucket, limit) in limits {
        match reserve(pool, clock, bucket, *limit).await {
            Ok(r) => taken.push(r),
            Err(refused) => {
                release(pool, &taken).await?;
                return Err(refused);
            }
        }
    }
    Ok(taken)
}

/// Gives the slots back (the attempt they guarded did not fail), in one statement. A
/// counter may come back to zero; its row goes when its window is purged.
pub async fn release(pool: &PgPool, taken: &[Reservation]) -> Result<(), Failure> {
    if taken.is_empty() {
        return Ok(());
    }
    let buckets: Vec<String> = taken.iter().map(|r| r.bucket.as_str().to_owned()).collect();
    let starts: Vec<time::OffsetDateTime> = taken.iter().map(|r| r.window_start).collect();
    sqlx::query!(
        "UPDATE rate_limit_counters c SET hits = c.hits - 1
         FROM unnest($1::text[], $2::timestamptz[]) AS g(bucket, window_start)
         WHERE c.bucket = g.bucket AND c.window_start = g.window_start AND c.hits > 0",
        &buckets,
        &starts
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Forgets every window of `bucket` (a success wipes the failures before it).
pub async fn clear(pool: &PgPool, bucket: &Bucket) -> Result<(), Failure> {
    sqlx::query!("DELETE FROM rate_limit_counters WHERE bucket = $1", bucket.as_str()).execute(pool).await?;
    Ok(())
}

/// Removes counters whose window ended long ago.
pub async fn purge_old(pool: &PgPool, now: time::OffsetDateTime) -> Result<u64, sqlx::Error> {
    let done =
        sqlx::query!("DELETE FROM rate_limit_counters WHERE window_start < $1::timestamptz - interval '1 day'", now)
            .execute(pool)
            .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_keys_are_bounded_whatever_is_typed() {
        let ip: IpAddr = "203.0.113.9".parse().unwrap();
        let huge = "x".repeat(100_000);
        for b in [Bucket::account("login", &huge), Bucket::account_ip("login", &format!("{huge}\0\n"), ip)] {
            assert!(b.as_str().len() < 100, "{}", b.as_str());
            assert!(b.as_str().chars().all(|c| c.is_ascii_graphic()), "{}", b.as_str());
        }
        assert_eq!(Bucket::account("login", " Sam@Example.com "), Bucket::account("login", "sam@example.com"));
        assert_ne!(Bucket::account("login", "a@example.com"), Bucket::account("login", "b@example.com"));
    }
}

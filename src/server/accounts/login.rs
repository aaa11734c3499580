//! Logging in under the failed-login limits, checking an email and password, and
//! reading an account as a session sees it.

use super::{Created, code_of, role_of, zone_of};
use crate::domain::types::SessionUser;
use crate::domain::{AppError, Role};
use crate::server::clock::to_db;
use crate::server::error::Failure;
use crate::server::rate_limit;
use crate::server::state::AppState;
use std::net::IpAddr;
use uuid::Uuid;

/// How long an address the owner signed in from stays exempt from the per-account
/// failure limit.
pub const KNOWN_ADDRESS_DAYS: i64 = 30;

/// Logs in with an email and password, under the failed-login limits: per address, per
/// (account, address) and per account (except from addresses the owner used lately).
/// Each attempt takes a slot in every limit before the password is checked, so racing
/// guesses (on any instance) get exactly the limit's worth of answers and the rest are
/// refused without a hash; a wrong password keeps its slots as failures, anything else
/// gives them back, and a success clears that (account, address) pair.
#[tracing::instrument(skip_all, fields(%ip))]
pub async fn log_in(state: &AppState, account: &str, password: &str, ip: IpAddr) -> Result<Created, Failure> {
    use rate_limit::{Bucket, LOGIN_FAILURES_PER_ACCOUNT, LOGIN_FAILURES_PER_ACCOUNT_AND_IP, LOGIN_FAILURES_PER_IP};
    let (pool, clock) = (&state.pool, &state.clock);
    let account = account.trim().to_lowercase();
    if account.is_empty() {
        return Err(AppError::invalid("email", "Enter your email address.").into());
    }
    if password.is_empty() {
        return Err(AppError::invalid("password", "Enter your password.").into());
    }
    state.hasher.refuse_when_saturated()?;
    let per_ip = Bucket::ip("login-fail", ip);
    let per_pair = Bucket::account_ip("login-fail", &account, ip);
    let per_account = Bucket::account("login-fail", &account);
    let mut limits = vec![(&per_ip, LOGIN_FAILURES_PER_IP), (&per_pair, LOGIN_FAILURES_PER_ACCOUNT_AND_IP)];
    if !is_known_address(state, &account, ip).await? {
        limits.push((&per_account, LOGIN_FAILURES_PER_ACCOUNT));
    }
    let slots = rate_limit::reserve_all(pool, clock, &limits).await?;
    match authenticate(state, &account, password).await {
        Err(Failure::User(AppError::InvalidCredentials)) => Err(AppError::InvalidCredentials.into()),
        Err(other) => {
            rate_limit::release(pool, &slots).await?;
            Err(other)
        }
        Ok(created) => {
            rate_limit::release(pool, &slots).await?;
            rate_limit::clear(pool, &per_pair).await?;
            sqlx::query!(
                "INSERT INTO login_addresses (user_id, ip, last_success_at) VALUES ($1, $2, $3)
                 ON CONFLICT (user_id, ip) DO UPDATE SET last_success_at = EXCLUDED.last_success_at",
                created.user.id,
                ip.to_string(),
                clock.now_db()
            )
            .execute(pool)
            .await?;
            if created.user.role == Role::Practitioner {
                crate::server::onboarding::signed_in(&mut *pool.acquire().await?, created.user.id, clock.now()).await?;
            }
            Ok(created)
        }
    }
}

async fn is_known_address(state: &AppState, account: &str, ip: IpAddr) -> Result<bool, Failure> {
    let since = to_db(state.clock.now() - jiff::SignedDuration::from_hours(24 * KNOWN_ADDRESS_DAYS));
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM login_addresses a JOIN users u ON u.id = a.user_id
                          WHERE u.email = $1 AND a.ip = $2 AND a.last_success_at > $3) AS "known!""#,
        account,
        ip.to_string(),
        since
    )
    .fetch_one(&state.pool)
    .await?)
}

/// Checks an email and password. Unknown emails cost the same argon2 work as wrong
/// passwords, and both get the same answer.
pub async fn authenticate(state: &AppState, email: &str, password: &str) -> Result<Created, Failure> {
    let email = email.trim().to_lowercase();
    let row = sqlx::query!(
        "SELECT id, code, email, name, role, time_zone, password_hash, auth_epoch, disabled_at IS NOT NULL AS \"disabled!\"
         FROM users WHERE email = $1",
        email
    )
    .fetch_optional(&state.pool)
    .await?;
    let ok = state.hasher.verify(row.as_ref().and_then(|r| r.password_hash.clone()), password).await?;
    let row = match row {
        Some(row) if ok => row,
        _ => return Err(AppError::InvalidCredentials.into()),
    };
    if row.disabled {
        return Err(AppError::AccountDisabled.into());
    }
    created(row.id, row.code, row.email, row.name, &row.role, &row.time_zone, row.auth_epoch)
}

/// A users row as a session sees it.
fn created(
    id: Uuid,
    code: i64,
    email: Option<String>,
    name: String,
    role: &str,
    zone: &str,
    epoch: i32,
) -> Result<Created, Failure> {
    Ok(Created {
        user: SessionUser { id, code: code_of(code)?, email, name, role: role_of(role)?, time_zone: zone_of(zone) },
        epoch,
    })
}

/// The account `id` as a session sees it, with its epoch, for signing it in.
pub async fn session_user(state: &AppState, id: Uuid) -> Result<Created, Failure> {
    let row = sqlx::query!(
        "SELECT id, code, email, name, role, time_zone, auth_epoch, disabled_at IS NOT NULL AS \"disabled!\" FROM users WHERE id = $1",
        id
    )
    .fetch_one(&state.pool)
    .await?;
    if row.disabled {
        return Err(AppError::AccountDisabled.into());
    }
    created(row.id, row.code, row.email, row.name, &row.role, &row.time_zone, row.auth_epoch)
}

//! Practitioners sign in with their phone: a six-digit code from the operating system's
//! CSPRNG is sent by text message, kept only as an argon2 hash, valid for five minutes
//! and five guesses. Verifying finds the practitioner with that number or opens one
//! (linked to the call-centre lead with that number), and records the first sign-in.

use crate::domain::otp::{self, Code};
use crate::domain::{AppError, Phone, Role};
use crate::server::accounts::Created;
use crate::server::clock::to_db;
use crate::server::error::Failure;
use crate::server::rate_limit::{self, Bucket, Limit};
use crate::server::state::AppState;
use crate::server::{accounts, onboarding, sms};
use argon2::password_hash::rand_core::{OsRng, RngCore};
use std::net::IpAddr;

/// One code per number per minute, and a few an hour: enough for a person whose message
/// was slow, too few to flood a phone.
pub const CODES_PER_PHONE_MINUTE: Limit = Limit { max: 1, window_secs: 60 };
pub const CODES_PER_PHONE_HOUR: Limit = Limit { max: 5, window_secs: 3600 };
pub const CODES_PER_IP: Limit = Limit { max: 20, window_secs: 3600 };
/// Wrong codes from one address across all numbers (a guesser spreading over phones).
pub const WRONG_CODES_PER_IP: Limit = Limit { max: 30, window_secs: 15 * 60 };

fn new_code() -> Code {
    // Rejection sampling keeps every code equally likely.
    loop {
        let n = OsRng.next_u32();
        if n < u32::MAX - (u32::MAX % 1_000_000) {
            return Code::parse(&format!("{:06}", n % 1_000_000)).expect("six digits");
        }
    }
}

/// Sends a new code to `phone`, retiring the ones sent before. The answer is the same
/// for every number, with or without an account.
#[tracing::instrument(skip_all, fields(%ip))]
pub async fn request_code(state: &AppState, phone: &Phone, ip: IpAddr) -> Result<(), Failure> {
    let (pool, clock) = (&state.pool, &state.clock);
    rate_limit::hit(pool, clock, &Bucket::ip("phone-code", ip), CODES_PER_IP).await?;
    rate_limit::hit(pool, clock, &Bucket::account("phone-code-min", phone.as_str()), CODES_PER_PHONE_MINUTE).await?;
    rate_limit::hit(pool, clock, &Bucket::account("phone-code", phone.as_str()), CODES_PER_PHONE_HOUR).await?;
    let code = new_code();
    let hash = state.hasher.hash_secret(code.as_str()).await?;
    let now = clock.now();
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "UPDATE phone_codes SET retired_at = $2 WHERE phone = $1 AND used_at IS NULL AND retired_at IS NULL",
        phone.as_str(),
        to_db(now)
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO phone_codes (phone, code_hash, requested_ip, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        phone.as_str(),
        hash,
        ip.to_string(),
        to_db(now),
        to_db(now + jiff::SignedDuration::from_mins(otp::VALID_MINUTES))
    )
    .execute(&mut *tx)
    .await?;
    let user = sqlx::query_scalar!(
        "SELECT id FROM users WHERE phone = $1 AND role = 'practitioner' AND phone_verified_at IS NOT NULL",
        phone.as_str()
    )
    .fetch_optional(&mut *tx)
    .await?;
    let text = otp::message(sms::SECRET_MARKER);
    sms::enqueue(&mut tx, user, phone.as_str(), "sign_in_code", &text, Some(code.as_str()), now).await?;
    tx.commit().await?;
    Ok(())
}

/// Checks `code` for `phone` and signs the practitioner in. A wrong, expired, used or
/// retired code, or one for another number, all get `CodeInvalid`. Each guess takes a
/// slot in the address's limit before it is judged (and gives it back when right), so
/// guesses racing each other still count against the limit.
#[tracing::instrument(skip_all, fields(%ip))]
pub async fn verify(state: &AppState, phone: &Phone, code: &Code, ip: IpAddr) -> Result<Created, Failure> {
    let (pool, clock) = (&state.pool, &state.clock);
    state.hasher.refuse_when_saturated()?;
    let per_ip = Bucket::ip("phone-code-wrong", ip);
    let slot = [rate_limit::reserve(pool, clock, &per_ip, WRONG_CODES_PER_IP).await?];
    let now = clock.now();
    let live = sqlx::query!(
        "UPDATE phone_codes SET attempts = attempts + 1
         WHERE id = (SELECT id FROM phone_codes WHERE phone = $1 AND used_at IS NULL AND retired_at IS NULL
                     ORDER BY id DESC LIMIT 1)
           AND expires_at > $2 AND attempts < $3
         RETURNING id, code_hash",
        phone.as_str(),
        to_db(now),
        otp::MAX_ATTEMPTS
    )
    .fetch_optional(pool)
    .await?;
    let matches = match state.hasher.verify(live.as_ref().map(|c| c.code_hash.clone()), code.as_str()).await {
        Ok(matches) => matches,
        Err(busy) => {
            rate_limit::release(pool, &slot).await?;
            return Err(busy);
        }
    };
    let Some(live) = live.filter(|_| matches) else {
        return Err(AppError::CodeInvalid.into());
    };
    rate_limit::release(pool, &slot).await?;
    let mut tx = pool.begin().await?;
    // Spent once: of two requests racing with the right code, one signs in.
    let spent = sqlx::query_scalar!(
        "UPDATE phone_codes SET used_at = $2 WHERE id = $1 AND used_at IS NULL AND retired_at IS NULL RETURNING id",
        live.id,
        to_db(now)
    )
    .fetch_optional(&mut *tx)
    .await?;
    if spent.is_none() {
        return Err(AppError::CodeInvalid.into());
    }
    let user_id = find_or_open(&mut tx, phone, now).await?;
    sqlx::query!(
        "UPDATE users SET phone_verified_at = COALESCE(phone_verified_at, $2) WHERE id = $1",
        user_id,
        to_db(now)
    )
    .execute(&mut *tx)
    .await?;
    onboarding::signed_in(&mut tx, user_id, now).await?;
    tx.commit().await?;
    let created = accounts::session_user(state, user_id).await?;
    tracing::info!(user = %created.user.code, "signed in by phone");
    Ok(created)
}

/// The account whose verified number this is (a practitioner's signs in), or a new
/// practitioner made from the call-centre lead with this number (its name and, when no
/// other account has it, its email), or a bare one named by the number until the
/// wizard's first step. A number someone merely typed on a profile counts for nothing:
/// it never stands between the number's owner and their sign-in.
async fn find_or_open(tx: &mut sqlx::PgConnection, phone: &Phone, now: jiff::Timestamp) -> Result<uuid::Uuid, Failure> {
    let existing = sqlx::query!(
        "SELECT id, role, disabled_at IS NOT NULL AS \"disabled!\"
         FROM users WHERE phone = $1 AND phone_verified_at IS NOT NULL",
        phone.as_str()
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(user) = existing {
        if user.disabled {
            return Err(AppError::AccountDisabled.into());
        }
        if user.role != Role::Practitioner.as_str() {
            return Err(AppError::invalid(
                "phone",
                "This number belongs to an account that signs in with its email and password. Sign in that way.",
            )
            .into());
        }
        return Ok(user.id);
    }
    let lead =
        sqlx::query!("SELECT name, email FROM leads WHERE phone = $1", phone.as_str()).fetch_optional(&mut *tx).await?;
    let from_lead = lead.is_some();
    let (name, email) = match lead {
        Some(l) => (l.name, l.email.and_then(|e| crate::domain::Email::parse(&e).ok())),
        None => (phone.as_str().to_owned(), None),
    };
    let user_id = sqlx::query_scalar!(
        "INSERT INTO users (email, password_hash, name, role, phone, created_at, updated_at)
         VALUES ((SELECT $1::text WHERE NOT EXISTS (SELECT 1 FROM users WHERE email = $1)), NULL, $2, 'practitioner', $3, $4, $4)
         RETURNING id",
        email.as_ref().map(|e| e.as_str()),
        name,
        phone.as_str(),
        to_db(now)
    )
    .fetch_one(&mut *tx)
    .await?;
    onboarding::start(tx, user_id, None, now).await?;
    tracing::info!(from_lead, "practitioner account opened by phone");
    Ok(user_id)
}

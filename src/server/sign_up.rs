//! Signing up with an email and a password. A sign-up is answered the same way whether
//! or not the address already has an account ("check your inbox"), after the same
//! password hashing and the same kind of writes (one email in the outbox): a new address
//! is sent a link that makes the account when it is opened; an address that has an
//! account is sent a note that someone tried to sign up with it. So a sign-up tells a
//! stranger nothing about who our customers are, and nobody can hold an account on an
//! address they cannot read.

use crate::domain::{AppError, Email, PersonName, Role};
use crate::server::accounts::{Created, NewAccount, insert_account, zone_of};
use crate::server::clock::to_db;
use crate::server::email::{self, templates};
use crate::server::error::Failure;
use crate::server::state::AppState;
use crate::server::tokens;

/// How long the link that finishes a sign-up works.
pub const CONFIRM_HOURS: i64 = 24;

/// Takes a sign-up: hashes the password, then queues the email the address gets (to an
/// address that has an account, a notice at most once an hour).
#[tracing::instrument(skip_all)]
pub async fn request(state: &AppState, new: NewAccount) -> Result<(), Failure> {
    let hash = state.hasher.hash(&new.password).await?;
    let now = state.clock.now();
    let mut tx = state.pool.begin().await?;
    let owner = sqlx::query!("SELECT id, name, time_zone FROM users WHERE email = $1", new.email.as_str())
        .fetch_optional(&mut *tx)
        .await?;
    let (user, mail) = match owner {
        Some(owner) if !crate::server::accounts::address_notice_due(&mut tx, owner.id, now).await? => {
            tx.commit().await?;
            return Ok(());
        }
        Some(owner) => {
            let zone = crate::server::accounts::zone_of(&owner.time_zone);
            let when = crate::domain::datetime::show(now, &zone, crate::domain::datetime::Style::DateTime);
            (Some(owner.id), templates::sign_up_attempted(&owner.name, &when, &state.config.public_url))
        }
        None => {
            let token = tokens::new_token();
            let expires = now + jiff::SignedDuration::from_hours(CONFIRM_HOURS);
            sqlx::query!(
                "INSERT INTO sign_up_requests (token_hash, email, name, password_hash, time_zone, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                tokens::digest(&token),
                new.email.as_str(),
                new.name.as_str(),
                hash,
                new.time_zone.as_str(),
                to_db(now),
                to_db(expires)
            )
            .execute(&mut *tx)
            .await?;
            let url = format!("{}/signup/confirm?token={token}", state.config.public_url);
            let link = email::Secret::sealed(&state.config, &url, expires)?;
            (None, templates::confirm_sign_up(new.name.as_str(), link, &new.time_zone))
        }
    };
    email::enqueue(&mut tx, user, new.email.as_str(), &mail, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Opens the link of a sign-up: makes the account (with its welcome email) and spends
/// the link, in one transaction.
#[tracing::instrument(skip_all)]
pub async fn confirm(state: &AppState, token: &str) -> Result<Created, Failure> {
    let now = state.clock.now();
    let mut tx = state.pool.begin().await?;
    let asked = sqlx::query!(
        "DELETE FROM sign_up_requests WHERE token_hash = $1 AND expires_at > $2
         RETURNING email, name, password_hash, time_zone",
        tokens::digest(token.trim()),
        to_db(now)
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| {
        AppError::invalid("token", "This link is invalid, already used or expired. Sign up again to get a new one.")
    })?;
    let email = Email::parse(&asked.email)?;
    let name = PersonName::parse(&asked.name)?;
    let zone = zone_of(&asked.time_zone);
    let created = insert_account(&mut tx, state, &email, &name, Role::Customer, &zone, &asked.password_hash).await?;
    tx.commit().await?;
    Ok(created)
}

/// Forgets sign-ups whose link ran out unopened.
pub async fn purge_expired(pool: &sqlx::PgPool, now: time::OffsetDateTime) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query!("DELETE FROM sign_up_requests WHERE expires_at < $1", now).execute(pool).await?.rows_affected())
}

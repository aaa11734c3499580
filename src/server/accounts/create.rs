//! Making an account: the per-address limit on new accounts, sign-up, writing the
//! account with its welcome email, and whether the owner of an address someone used
//! is to be told now.

use super::{Created, code_of};
use crate::domain::types::SessionUser;
use crate::domain::{Email, Password, PersonName, Role, TimeZone};
use crate::server::clock::to_db;
use crate::server::error::Failure;
use crate::server::state::AppState;
use crate::server::{email, rate_limit};
use std::net::IpAddr;
use uuid::Uuid;

/// Every way a stranger can make an account (sign-up, a guest's checkout) counts
/// against one per-address limit, so neither is a way around the other.
pub async fn limit_new_accounts(state: &AppState, ip: IpAddr) -> Result<(), Failure> {
    let bucket = rate_limit::Bucket::ip("signup", ip);
    rate_limit::hit(&state.pool, &state.clock, &bucket, rate_limit::SIGNUP_PER_IP).await
}

pub struct NewAccount {
    pub email: Email,
    pub password: Password,
    pub name: PersonName,
    pub role: Role,
    pub time_zone: TimeZone,
}

/// Creates the account and queues its welcome email in one transaction.
#[tracing::instrument(skip_all, fields(role = new.role.as_str()))]
pub async fn sign_up(state: &AppState, new: NewAccount) -> Result<Created, Failure> {
    let hash = state.hasher.hash(&new.password).await?;
    let mut tx = state.pool.begin().await?;
    let created = insert_account(&mut tx, state, &new.email, &new.name, new.role, &new.time_zone, &hash).await?;
    tx.commit().await?;
    Ok(created)
}

/// Writes the account with its password hash and queues its welcome email (and, for a
/// practitioner, starts onboarding), in the caller's transaction.
pub(crate) async fn insert_account(
    tx: &mut sqlx::PgConnection,
    state: &AppState,
    email: &Email,
    name: &PersonName,
    role: Role,
    time_zone: &TimeZone,
    password_hash: &str,
) -> Result<Created, Failure> {
    let row = sqlx::query!(
        "INSERT INTO users (email, password_hash, name, role, time_zone) VALUES ($1, $2, $3, $4, $5)
         RETURNING id, code, auth_epoch",
        email.as_str(),
        password_hash,
        name.as_str(),
        role.as_str(),
        time_zone.as_str(),
    )
    .fetch_one(&mut *tx)
    .await?;
    let code = code_of(row.code)?;
    if role == Role::Practitioner {
        crate::server::onboarding::start(&mut *tx, row.id, None, state.clock.now()).await?;
    }
    let welcome = email::welcome(name.as_str(), &code.to_string(), &state.config.public_url);
    email::enqueue(&mut *tx, Some(row.id), email.as_str(), &welcome, state.clock.now()).await?;
    tracing::info!(user = %code, role = role.as_str(), "account created");
    Ok(Created {
        user: SessionUser {
            id: row.id,
            code,
            email: Some(email.as_str().to_owned()),
            name: name.as_str().to_owned(),
            role,
            time_zone: time_zone.clone(),
        },
        epoch: row.auth_epoch,
    })
}

/// How often the owner of an address may be told that someone used it.
pub const ADDRESS_NOTICE_EVERY: jiff::SignedDuration = jiff::SignedDuration::from_hours(1);

/// Whether the owner of account `user_id` is to be told now that someone used their
/// address (to sign up, or to start an order as a guest): yes at most once per
/// `ADDRESS_NOTICE_EVERY`, decided by one statement however many attempts race.
pub(crate) async fn address_notice_due(
    conn: &mut sqlx::PgConnection,
    user_id: Uuid,
    now: jiff::Timestamp,
) -> Result<bool, Failure> {
    Ok(sqlx::query_scalar!(
        "UPDATE users SET address_noticed_at = $2
         WHERE id = $1 AND (address_noticed_at IS NULL OR address_noticed_at <= $3)
         RETURNING id",
        user_id,
        to_db(now),
        to_db(now - ADDRESS_NOTICE_EVERY)
    )
    .fetch_optional(conn)
    .await?
    .is_some())
}

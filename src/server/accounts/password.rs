//! Passwords: reset links asked for by email (or made for an account opened at
//! checkout) and used once, changing a password, and ending every session of an account.

use super::zone_of;
use crate::domain::types::SessionUser;
use crate::domain::{AppError, Email, Password};
use crate::server::clock::to_db;
use crate::server::error::Failure;
use crate::server::state::AppState;
use crate::server::{email, tokens};
use uuid::Uuid;

pub const RESET_LINK_MINUTES: i64 = 30;

/// Queues a reset link when the address belongs to an active account, and otherwise a
/// note that no account uses it: either way one email is queued, so neither the answer
/// nor the time it takes tells who has an account.
#[tracing::instrument(skip_all)]
pub async fn request_password_reset(state: &AppState, email: &Email) -> Result<(), Failure> {
    let user =
        sqlx::query!("SELECT id, name, time_zone FROM users WHERE email = $1 AND disabled_at IS NULL", email.as_str())
            .fetch_optional(&state.pool)
            .await?;
    let mut tx = state.pool.begin().await?;
    let now = state.clock.now();
    let (user_id, mail) = match user {
        Some(user) => {
            let valid = jiff::SignedDuration::from_mins(RESET_LINK_MINUTES);
            let link = password_link(&mut tx, state, user.id, valid).await?;
            (Some(user.id), email::password_reset(&user.name, link, &zone_of(&user.time_zone)))
        }
        None => {
            // The statement that retires an account's earlier links, for no account: the
            // answer then takes as long whether or not the address has one (as a password
            // check hashes against a stand-in when no account matches).
            sqlx::query!("DELETE FROM password_reset_tokens WHERE user_id = $1 AND used_at IS NULL", Uuid::new_v4())
                .execute(&mut *tx)
                .await?;
            (None, email::templates::reset_without_account(&state.config.public_url))
        }
    };
    email::enqueue(&mut tx, user_id, email.as_str(), &mail, now).await?;
    tx.commit().await?;
    Ok(())
}

/// A new one-use link to choose a password, valid for `valid`, in the caller's
/// transaction. One live link per account: a new one retires the older ones.
pub(crate) async fn password_link(
    conn: &mut sqlx::PgConnection,
    state: &AppState,
    user_id: Uuid,
    valid: jiff::SignedDuration,
) -> Result<email::Secret, Failure> {
    let token = tokens::new_token();
    let url = format!("{}/reset-password?token={token}", state.config.public_url);
    sqlx::query!("DELETE FROM password_reset_tokens WHERE user_id = $1 AND used_at IS NULL", user_id)
        .execute(&mut *conn)
        .await?;
    let now = state.clock.now();
    let expires = now + valid;
    sqlx::query!(
        "INSERT INTO password_reset_tokens (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        tokens::digest(&token),
        user_id,
        to_db(now),
        to_db(expires),
    )
    .execute(&mut *conn)
    .await?;
    email::Secret::sealed(&state.config, &url, expires)
}

/// Uses a reset token once: sets the new password and ends every session of the
/// account. The new password is checked and hashed before the transaction starts, so
/// no row stays locked during the hash; the token is then spent with a conditional
/// update, which decides between two racing uses of the same link.
#[tracing::instrument(skip_all)]
pub async fn reset_password(state: &AppState, token: &str, password: &str) -> Result<(), Failure> {
    let digest = tokens::digest(token.trim());
    let now = state.clock.now_db();
    let email = sqlx::query_scalar!(
        "SELECT u.email FROM password_reset_tokens t JOIN users u ON u.id = t.user_id
         WHERE t.token_hash = $1 AND t.used_at IS NULL AND t.expires_at > $2",
        digest,
        now
    )
    .fetch_optional(&state.pool)
    .await?
    .ok_or(AppError::ResetLinkInvalid)?;
    let password = Password::parse_new(password, "password", email.as_deref())?;
    let hash = state.hasher.hash(&password).await?;
    let mut tx = state.pool.begin().await?;
    let user = sqlx::query!(
        "UPDATE password_reset_tokens SET used_at = $2
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2
         RETURNING user_id",
        digest,
        now
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::ResetLinkInvalid)?;
    sqlx::query!(
        "UPDATE users SET password_hash = $2, auth_epoch = auth_epoch + 1, updated_at = now() WHERE id = $1",
        user.user_id,
        hash
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(user_id = %user.user_id, "password reset");
    Ok(())
}

/// Changes the password after checking the current one; every other session ends.
/// Returns the new epoch for the caller's own session.
#[tracing::instrument(skip_all, fields(user = %user.code))]
pub async fn change_password(state: &AppState, user: &SessionUser, current: &str, new: &str) -> Result<i32, Failure> {
    let stored =
        sqlx::query_scalar!("SELECT password_hash FROM users WHERE id = $1", user.id).fetch_one(&state.pool).await?;
    if !state.hasher.verify(stored, current).await? {
        return Err(AppError::WrongCurrentPassword.into());
    }
    let new = Password::parse_new(new, "new_password", user.email.as_deref())?;
    if current == new.expose() {
        return Err(AppError::invalid("new_password", "Choose a password different from your current one.").into());
    }
    let hash = state.hasher.hash(&new).await?;
    let epoch = sqlx::query_scalar!(
        "UPDATE users SET password_hash = $2, auth_epoch = auth_epoch + 1, updated_at = now() WHERE id = $1 RETURNING auth_epoch",
        user.id,
        hash
    )
    .fetch_one(&state.pool)
    .await?;
    Ok(epoch)
}

/// Ends every session of the user; returns the new epoch for the current one.
#[tracing::instrument(skip_all, fields(%user_id))]
pub async fn bump_epoch(state: &AppState, user_id: Uuid) -> Result<i32, Failure> {
    Ok(sqlx::query_scalar!(
        "UPDATE users SET auth_epoch = auth_epoch + 1, updated_at = now() WHERE id = $1 RETURNING auth_epoch",
        user_id
    )
    .fetch_one(&state.pool)
    .await?)
}

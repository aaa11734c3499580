//! Accounts: sign-up, login, password changes and resets, profiles. The API layer
//! hands in parsed domain values; everything written together commits together.

use crate::domain::types::{AdminUserRow, Profile, SessionUser, UserPage};
use crate::domain::{AppError, Email, Password, PersonName, Phone, Role, TimeZone, UserCode};
use crate::server::context::internal_msg;
use crate::server::rfc3339;
use crate::server::state::AppState;
use crate::server::{email, passwords, tokens};
use uuid::Uuid;

pub const RESET_LINK_MINUTES: i64 = 30;

fn role_of(raw: &str) -> Result<Role, AppError> {
    Role::parse(raw).ok_or_else(|| internal_msg("unknown role in users table"))
}

fn code_of(n: i64) -> Result<UserCode, AppError> {
    UserCode::from_number(n).ok_or_else(|| internal_msg("user code below range"))
}

pub struct NewAccount {
    pub email: Email,
    pub password: Password,
    pub name: PersonName,
    pub role: Role,
}

pub struct Created {
    pub user: SessionUser,
    pub epoch: i32,
}

/// Creates the account and queues its welcome email in one transaction.
pub async fn sign_up(state: &AppState, new: NewAccount) -> Result<Created, AppError> {
    let hash = passwords::hash(&new.password).await?;
    let mut tx = state.pool.begin().await?;
    let row = sqlx::query!(
        "INSERT INTO users (email, password_hash, name, role) VALUES ($1, $2, $3, $4)
         ON CONFLICT (email) DO NOTHING
         RETURNING id, code, auth_epoch",
        new.email.as_str(),
        hash,
        new.name.as_str(),
        new.role.as_str(),
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::EmailTaken)?;
    let code = code_of(row.code)?;
    let welcome = email::welcome(new.name.as_str(), &code.to_string(), &state.config.public_url);
    email::enqueue(&mut tx, Some(row.id), new.email.as_str(), &welcome).await?;
    tx.commit().await?;
    tracing::info!(user = %code, role = new.role.as_str(), "account created");
    Ok(Created {
        user: SessionUser {
            id: row.id,
            code,
            email: new.email.into_inner(),
            name: new.name.as_str().to_owned(),
            role: new.role,
        },
        epoch: row.auth_epoch,
    })
}

/// Checks an email and password. Unknown emails cost the same argon2 work as wrong
/// passwords, and both get the same answer.
pub async fn authenticate(state: &AppState, email: &str, password: &str) -> Result<Created, AppError> {
    let email = email.trim().to_lowercase();
    let row = sqlx::query!(
        "SELECT id, code, email, name, role, password_hash, auth_epoch, disabled_at IS NOT NULL AS \"disabled!\"
         FROM users WHERE email = $1",
        email
    )
    .fetch_optional(&state.pool)
    .await?;
    let ok = passwords::verify(row.as_ref().map(|r| r.password_hash.clone()), password).await?;
    let row = match row {
        Some(row) if ok => row,
        _ => return Err(AppError::InvalidCredentials),
    };
    if row.disabled {
        return Err(AppError::AccountDisabled);
    }
    Ok(Created {
        user: SessionUser {
            id: row.id,
            code: code_of(row.code)?,
            email: row.email,
            name: row.name,
            role: role_of(&row.role)?,
        },
        epoch: row.auth_epoch,
    })
}

/// Queues a reset link when the address belongs to an active account. The caller
/// answers the same either way, so this reveals nothing about who has an account.
pub async fn request_password_reset(state: &AppState, email: &Email) -> Result<(), AppError> {
    let Some(user) =
        sqlx::query!("SELECT id, name FROM users WHERE email = $1 AND disabled_at IS NULL", email.as_str())
            .fetch_optional(&state.pool)
            .await?
    else {
        return Ok(());
    };
    let token = tokens::new_token();
    let url = format!("{}/reset-password?token={token}", state.config.public_url);
    let mut tx = state.pool.begin().await?;
    // One live link per account: a new request retires the older ones.
    sqlx::query!("DELETE FROM password_reset_tokens WHERE user_id = $1 AND used_at IS NULL", user.id)
        .execute(&mut *tx)
        .await?;
    sqlx::query!(
        "INSERT INTO password_reset_tokens (token_hash, user_id, expires_at)
         VALUES ($1, $2, now() + make_interval(mins => $3))",
        tokens::digest(&token),
        user.id,
        RESET_LINK_MINUTES as i32,
    )
    .execute(&mut *tx)
    .await?;
    email::enqueue(
        &mut tx,
        Some(user.id),
        email.as_str(),
        &email::password_reset(&user.name, &url, RESET_LINK_MINUTES),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Uses a reset token once: sets the new password and ends every session of the
/// account, all in one transaction.
pub async fn reset_password(state: &AppState, token: &str, password: &str) -> Result<(), AppError> {
    let mut tx = state.pool.begin().await?;
    let user = sqlx::query!(
        "UPDATE password_reset_tokens SET used_at = now()
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
         RETURNING user_id",
        tokens::digest(token.trim())
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::ResetLinkInvalid)?;
    let email = sqlx::query_scalar!("SELECT email FROM users WHERE id = $1", user.user_id).fetch_one(&mut *tx).await?;
    let password = Password::parse_new(password, "password", Some(&email))?;
    let hash = passwords::hash(&password).await?;
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
pub async fn change_password(state: &AppState, user: &SessionUser, current: &str, new: &str) -> Result<i32, AppError> {
    let stored =
        sqlx::query_scalar!("SELECT password_hash FROM users WHERE id = $1", user.id).fetch_one(&state.pool).await?;
    if !passwords::verify(Some(stored), current).await? {
        return Err(AppError::WrongCurrentPassword);
    }
    let new = Password::parse_new(new, "new_password", Some(&user.email))?;
    if current == new.expose() {
        return Err(AppError::invalid("new_password", "Choose a password different from your current one."));
    }
    let hash = passwords::hash(&new).await?;
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
pub async fn bump_epoch(state: &AppState, user_id: Uuid) -> Result<i32, AppError> {
    Ok(sqlx::query_scalar!(
        "UPDATE users SET auth_epoch = auth_epoch + 1, updated_at = now() WHERE id = $1 RETURNING auth_epoch",
        user_id
    )
    .fetch_one(&state.pool)
    .await?)
}

pub async fn profile(state: &AppState, user_id: Uuid) -> Result<Profile, AppError> {
    let r =
        sqlx::query!("SELECT code, email, name, phone, time_zone, role, created_at FROM users WHERE id = $1", user_id)
            .fetch_optional(&state.pool)
            .await?
            .ok_or(AppError::NotFound)?;
    Ok(Profile {
        code: code_of(r.code)?,
        email: r.email,
        name: r.name,
        phone: r.phone,
        time_zone: r.time_zone,
        role: role_of(&r.role)?,
        member_since: rfc3339(r.created_at),
    })
}

pub async fn update_profile(
    state: &AppState,
    user_id: Uuid,
    name: &PersonName,
    phone: Option<&Phone>,
    zone: &TimeZone,
) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE users SET name = $2, phone = $3, time_zone = $4, updated_at = now() WHERE id = $1",
        user_id,
        name.as_str(),
        phone.map(Phone::as_str),
        zone.as_str()
    )
    .execute(&state.pool)
    .await?;
    Ok(())
}

pub const USERS_PAGE: i64 = 50;

/// Admin search over name, email and user code.
pub async fn search_users(state: &AppState, query: &str, page: i64) -> Result<UserPage, AppError> {
    let q = query.trim();
    let code = UserCode::parse(q).map(UserCode::number);
    let pattern = format!("%{}%", q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    let offset = page.max(0) * USERS_PAGE;
    let rows = sqlx::query!(
        r#"SELECT id, code, email, name, role, created_at, count(*) OVER () AS "total!"
           FROM users
           WHERE $1 = '' OR email ILIKE $2 OR name ILIKE $2 OR code = $3
           ORDER BY created_at DESC, code DESC
           LIMIT $4 OFFSET $5"#,
        q,
        pattern,
        code,
        USERS_PAGE,
        offset
    )
    .fetch_all(&state.pool)
    .await?;
    let total = rows.first().map(|r| r.total).unwrap_or(0);
    let rows = rows
        .into_iter()
        .map(|r| {
            Ok(AdminUserRow {
                id: r.id,
                code: code_of(r.code)?,
                email: r.email,
                name: r.name,
                role: role_of(&r.role)?,
                created_at: rfc3339(r.created_at),
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(UserPage { rows, total })
}

/// Changes a user's role, ends their sessions (their privileges changed), and records
/// the action in the audit log, in one transaction.
pub async fn set_role(state: &AppState, actor: &SessionUser, target: Uuid, role: Role) -> Result<(), AppError> {
    if actor.id == target && role != Role::Admin {
        return Err(AppError::invalid("role", "You cannot remove your own admin role; ask another admin."));
    }
    let mut tx = state.pool.begin().await?;
    let previous = sqlx::query_scalar!("SELECT role FROM users WHERE id = $1 FOR UPDATE", target)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound)?;
    if previous == role.as_str() {
        return Ok(());
    }
    sqlx::query!(
        "UPDATE users SET role = $2, auth_epoch = auth_epoch + 1, updated_at = now() WHERE id = $1",
        target,
        role.as_str()
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO audit_log (actor_id, action, subject_id, details) VALUES ($1, 'user.role_changed', $2, $3)",
        actor.id,
        target,
        serde_json::json!({ "from": previous, "to": role.as_str() })
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(actor = %actor.code, target = %target, to = role.as_str(), "role changed");
    Ok(())
}

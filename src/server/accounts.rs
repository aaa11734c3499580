//! Accounts: sign-up, login, password changes and resets, profiles. The API layer
//! hands in parsed domain values; everything written together commits together.

use crate::domain::types::{AdminUserRow, Profile, SessionUser, UserPage};
use crate::domain::{AppError, Email, Password, PersonName, Phone, Role, TimeZone, UserCode};
use crate::server::clock::{from_db, to_db};
use crate::server::error::Failure;
use crate::server::state::AppState;
use crate::server::{email, passwords, rate_limit, tokens};
use std::net::IpAddr;
use uuid::Uuid;

pub const RESET_LINK_MINUTES: i64 = 30;

fn role_of(raw: &str) -> Result<Role, Failure> {
    Role::parse(raw).ok_or_else(|| Failure::bug("unknown role in users table"))
}

/// A stored zone the database no longer knows shows times in UTC rather than failing.
pub(crate) fn zone_of(stored: &str) -> TimeZone {
    TimeZone::parse(stored).unwrap_or_else(|_| TimeZone::utc())
}

fn code_of(n: i64) -> Result<UserCode, Failure> {
    UserCode::from_number(n).ok_or_else(|| Failure::bug("user code below range"))
}

pub struct NewAccount {
    pub email: Email,
    pub password: Password,
    pub name: PersonName,
    pub role: Role,
    pub time_zone: TimeZone,
}

pub struct Created {
    pub user: SessionUser,
    pub epoch: i32,
}

/// Creates the account and queues its welcome email in one transaction.
#[tracing::instrument(skip_all, fields(role = new.role.as_str()))]
pub async fn sign_up(state: &AppState, new: NewAccount) -> Result<Created, Failure> {
    let hash = passwords::hash(state.config.password_cost, &new.password).await?;
    let mut tx = state.pool.begin().await?;
    let row = sqlx::query!(
        "INSERT INTO users (email, password_hash, name, role, time_zone) VALUES ($1, $2, $3, $4, $5)
         RETURNING id, code, auth_epoch",
        new.email.as_str(),
        hash,
        new.name.as_str(),
        new.role.as_str(),
        new.time_zone.as_str(),
    )
    .fetch_one(&mut *tx)
    .await?;
    let code = code_of(row.code)?;
    if new.role == Role::Practitioner {
        crate::server::onboarding::start(&mut tx, row.id, None, state.clock.now()).await?;
    }
    let welcome = email::welcome(new.name.as_str(), &code.to_string(), &state.config.public_url);
    email::enqueue(&mut tx, Some(row.id), new.email.as_str(), &welcome, state.clock.now()).await?;
    tx.commit().await?;
    tracing::info!(user = %code, role = new.role.as_str(), "account created");
    Ok(Created {
        user: SessionUser {
            id: row.id,
            code,
            email: Some(new.email.into_inner()),
            name: new.name.as_str().to_owned(),
            role: new.role,
            time_zone: new.time_zone,
        },
        epoch: row.auth_epoch,
    })
}

/// How long an address the owner signed in from stays exempt from the per-account
/// failure limit.
pub const KNOWN_ADDRESS_DAYS: i64 = 30;

/// Logs in with an email and password, under the failed-login limits: per address, per
/// (account, address) and per account (except from addresses the owner used lately).
/// Only failures count; a success clears that (account, address) pair.
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
    let per_ip = Bucket::ip("login-fail", ip);
    let per_pair = Bucket::account_ip("login-fail", &account, ip);
    let per_account = Bucket::account("login-fail", &account);
    rate_limit::check(pool, clock, &per_ip, LOGIN_FAILURES_PER_IP).await?;
    rate_limit::check(pool, clock, &per_pair, LOGIN_FAILURES_PER_ACCOUNT_AND_IP).await?;
    if !is_known_address(state, &account, ip).await? {
        rate_limit::check(pool, clock, &per_account, LOGIN_FAILURES_PER_ACCOUNT).await?;
    }
    match authenticate(state, &account, password).await {
        Err(Failure::User(AppError::InvalidCredentials)) => {
            rate_limit::record(pool, clock, &per_ip, LOGIN_FAILURES_PER_IP).await?;
            rate_limit::record(pool, clock, &per_pair, LOGIN_FAILURES_PER_ACCOUNT_AND_IP).await?;
            rate_limit::record(pool, clock, &per_account, LOGIN_FAILURES_PER_ACCOUNT).await?;
            Err(AppError::InvalidCredentials.into())
        }
        Err(other) => Err(other),
        Ok(created) => {
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
    let ok =
        passwords::verify(state.config.password_cost, row.as_ref().and_then(|r| r.password_hash.clone()), password)
            .await?;
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

/// Queues a reset link when the address belongs to an active account. The caller
/// answers the same either way, so this reveals nothing about who has an account.
#[tracing::instrument(skip_all)]
pub async fn request_password_reset(state: &AppState, email: &Email) -> Result<(), Failure> {
    let Some(user) =
        sqlx::query!("SELECT id, name, time_zone FROM users WHERE email = $1 AND disabled_at IS NULL", email.as_str())
            .fetch_optional(&state.pool)
            .await?
    else {
        return Ok(());
    };
    let mut tx = state.pool.begin().await?;
    let now = state.clock.now();
    let link = password_link(&mut tx, state, user.id, jiff::SignedDuration::from_mins(RESET_LINK_MINUTES)).await?;
    email::enqueue(
        &mut tx,
        Some(user.id),
        email.as_str(),
        &email::password_reset(&user.name, link, &zone_of(&user.time_zone)),
        now,
    )
    .await?;
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
    Ok(email::Secret::new(url, expires))
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
    let hash = passwords::hash(state.config.password_cost, &password).await?;
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
    if !passwords::verify(state.config.password_cost, stored, current).await? {
        return Err(AppError::WrongCurrentPassword.into());
    }
    let new = Password::parse_new(new, "new_password", user.email.as_deref())?;
    if current == new.expose() {
        return Err(AppError::invalid("new_password", "Choose a password different from your current one.").into());
    }
    let hash = passwords::hash(state.config.password_cost, &new).await?;
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

pub async fn profile(state: &AppState, user_id: Uuid) -> Result<Profile, Failure> {
    let r =
        sqlx::query!("SELECT code, email, name, phone, time_zone, role, created_at FROM users WHERE id = $1", user_id)
            .fetch_optional(&state.pool)
            .await?
            .ok_or(AppError::NotFound)?;
    Ok(Profile {
        code: code_of(r.code)?,
        email: r.email.unwrap_or_default(),
        name: r.name,
        phone: r.phone,
        time_zone: zone_of(&r.time_zone),
        role: role_of(&r.role)?,
        member_since: from_db(r.created_at),
    })
}

#[tracing::instrument(skip_all, fields(%user_id))]
pub async fn update_profile(
    state: &AppState,
    user_id: Uuid,
    name: &PersonName,
    phone: Option<&Phone>,
    zone: &TimeZone,
) -> Result<(), Failure> {
    sqlx::query!(
        "UPDATE users SET name = $2, phone = $3, time_zone = $4, updated_at = now(),
                phone_verified_at = CASE WHEN phone IS NOT DISTINCT FROM $3 THEN phone_verified_at END
         WHERE id = $1",
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
/// The last page number an admin may ask for (page numbers start at 0).
pub const USERS_MAX_PAGE: i64 = 10_000;

/// Admin search over name, email and user code. `page` must be within
/// `0..=USERS_MAX_PAGE`, so the offset can never overflow or go negative.
#[tracing::instrument(skip_all, fields(page))]
pub async fn search_users(state: &AppState, query: &str, page: i64) -> Result<UserPage, Failure> {
    if !(0..=USERS_MAX_PAGE).contains(&page) {
        return Err(AppError::invalid("page", format!("Choose a page between 1 and {}.", USERS_MAX_PAGE + 1)).into());
    }
    let q = query.trim();
    let code = UserCode::parse(q).map(UserCode::number);
    let pattern = format!("%{}%", q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    let offset = page * USERS_PAGE;
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
                email: r.email.unwrap_or_default(),
                name: r.name,
                role: role_of(&r.role)?,
                created_at: from_db(r.created_at),
            })
        })
        .collect::<Result<Vec<_>, Failure>>()?;
    Ok(UserPage { rows, total })
}

/// Changes a user's role, ends their sessions (their privileges changed), and records
/// the action in the audit log, in one transaction.
#[tracing::instrument(skip_all, fields(actor = %actor.code, %target, role = role.as_str()))]
pub async fn set_role(state: &AppState, actor: &SessionUser, target: Uuid, role: Role) -> Result<(), Failure> {
    let mut tx = state.pool.begin().await?;
    // Every admin row is locked before counting, so two admins demoting each other at
    // the same moment cannot both succeed and leave the platform without one.
    let admins = sqlx::query_scalar!("SELECT id FROM users WHERE role = 'admin' AND disabled_at IS NULL FOR UPDATE")
        .fetch_all(&mut *tx)
        .await?;
    let previous = sqlx::query_scalar!("SELECT role FROM users WHERE id = $1 FOR UPDATE", target)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound)?;
    if !admins.contains(&actor.id) {
        return Err(AppError::Forbidden.into());
    }
    if previous == role.as_str() {
        return Ok(());
    }
    if role != Role::Admin && admins == [target] {
        return Err(AppError::LastAdmin.into());
    }
    if actor.id == target && role != Role::Admin {
        return Err(AppError::invalid("role", "You cannot remove your own admin role; ask another admin.").into());
    }
    sqlx::query!(
        "UPDATE users SET role = $2, auth_epoch = auth_epoch + 1, updated_at = now() WHERE id = $1",
        target,
        role.as_str()
    )
    .execute(&mut *tx)
    .await?;
    if role == Role::Practitioner {
        crate::server::onboarding::start(&mut tx, target, Some(actor.id), state.clock.now()).await?;
    }
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

/// The word a customer types to confirm deleting their account.
pub const DELETE_CONFIRMATION: &str = "DELETE";

/// Deletes a customer's account: their name, email, phone and password go, their orders'
/// answers and contact details and their messages are erased, their files removed, and
/// every session ends. The ledger, the orders' numbers and amounts and their invoices
/// stay. Refused while a paid order is still being worked on, so nothing in progress
/// loses its customer; open drafts are cancelled.
#[tracing::instrument(skip_all, fields(user = %user.code))]
pub async fn delete_account(
    state: &AppState,
    user: &SessionUser,
    password: &str,
    confirm: &str,
) -> Result<(), Failure> {
    if user.role != crate::domain::Role::Customer {
        return Err(AppError::invalid(
            "confirm",
            "Practitioner and admin accounts are closed with our support team, so clients and the books are looked after: write to us.",
        )
        .into());
    }
    if confirm.trim() != DELETE_CONFIRMATION {
        return Err(AppError::invalid("confirm", format!("Type {DELETE_CONFIRMATION} to confirm.")).into());
    }
    let stored =
        sqlx::query_scalar!("SELECT password_hash FROM users WHERE id = $1", user.id).fetch_one(&state.pool).await?;
    if !passwords::verify(state.config.password_cost, stored, password).await? {
        return Err(AppError::invalid("password", "That is not your password.").into());
    }
    let now = state.clock.now();
    let mut tx = state.pool.begin().await?;
    sqlx::query!("SELECT id FROM users WHERE id = $1 FOR UPDATE", user.id).fetch_one(&mut *tx).await?;
    let busy = sqlx::query_scalar!(
        "SELECT number FROM orders WHERE user_id = $1 AND kind = 'service' AND status IN ('paid', 'in_progress') ORDER BY created_at LIMIT 1",
        user.id
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(number) = busy {
        return Err(AppError::invalid(
            "confirm",
            format!("Order {number} is still being worked on. Delete your account once it is completed."),
        )
        .into());
    }
    let open = sqlx::query_scalar!(
        "SELECT number FROM orders WHERE user_id = $1 AND status IN ('draft', 'pending_payment', 'payment_failed') FOR UPDATE",
        user.id
    )
    .fetch_all(&mut *tx)
    .await?;
    for number in open {
        crate::server::orders::cancel(&mut tx, &number, user.id, "The customer deleted their account", now).await?;
    }
    sqlx::query!(
        "UPDATE orders SET answers = '{}', contact_name = NULL, contact_email = NULL, updated_at = $2
         WHERE user_id = $1 AND kind = 'service'",
        user.id,
        to_db(now)
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE order_messages SET body = 'This message was removed when its author deleted their account.' WHERE author_id = $1",
        user.id
    )
    .execute(&mut *tx)
    .await?;
    let files =
        sqlx::query_scalar!("DELETE FROM order_documents WHERE uploaded_by = $1 RETURNING storage_key", user.id)
            .fetch_all(&mut *tx)
            .await?;
    sqlx::query!("DELETE FROM password_reset_tokens WHERE user_id = $1", user.id).execute(&mut *tx).await?;
    sqlx::query!("DELETE FROM login_addresses WHERE user_id = $1", user.id).execute(&mut *tx).await?;
    sqlx::query!(
        "UPDATE users SET name = 'Deleted account', email = NULL, phone = NULL, phone_verified_at = NULL,
                          password_hash = NULL, disabled_at = $2, deleted_at = $2, auth_epoch = auth_epoch + 1,
                          updated_at = $2
         WHERE id = $1",
        user.id,
        to_db(now)
    )
    .execute(&mut *tx)
    .await?;
    crate::server::audit::record(
        &mut tx,
        user.id,
        "account.delete",
        user.id,
        &serde_json::json!({ "files": files.len() }),
    )
    .await?;
    tx.commit().await?;
    crate::server::uploads::forget(&state.config.storage, &files).await;
    tracing::info!("account deleted");
    Ok(())
}

//! Who a browser session belongs to. The session row (tower-sessions, in Postgres)
//! holds the user id, the user's `auth_epoch` at login, and the login time. Bumping the
//! epoch ends every session of that user at once; the login time enforces an absolute
//! lifetime on top of the idle expiry the session layer applies.

use crate::domain::types::SessionUser;
use crate::domain::{AppError, Role, UserCode};
use crate::server::state::AppState;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tower_sessions::Session;
use uuid::Uuid;

const AUTH_KEY: &str = "auth";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SessionAuth {
    user_id: Uuid,
    epoch: i32,
    /// Unix seconds.
    since: i64,
}

/// Starts an authenticated session under a fresh id (the old id stops working).
pub async fn establish(session: &Session, user_id: Uuid, epoch: i32) -> Result<(), AppError> {
    session.cycle_id().await?;
    let auth = SessionAuth { user_id, epoch, since: OffsetDateTime::now_utc().unix_timestamp() };
    session.insert(AUTH_KEY, auth).await?;
    Ok(())
}

/// Re-stamps the current session with a new epoch after the user bumped it (password
/// change, sign out everywhere), keeping this browser signed in under a new id.
pub async fn refresh_epoch(session: &Session, epoch: i32) -> Result<(), AppError> {
    let Some(mut auth) = session.get::<SessionAuth>(AUTH_KEY).await? else {
        return Err(AppError::Unauthenticated);
    };
    auth.epoch = epoch;
    session.cycle_id().await?;
    session.insert(AUTH_KEY, auth).await?;
    Ok(())
}

/// Ends the session: its row is deleted and the cookie cleared.
pub async fn end(session: &Session) -> Result<(), AppError> {
    session.flush().await?;
    Ok(())
}

pub async fn load_user(state: &AppState, session: &Session) -> Result<Option<SessionUser>, AppError> {
    let Some(auth) = session.get::<SessionAuth>(AUTH_KEY).await? else {
        return Ok(None);
    };
    let age = OffsetDateTime::now_utc().unix_timestamp() - auth.since;
    if age < 0 || age as u64 > state.config.session_absolute.as_secs() {
        end(session).await?;
        return Ok(None);
    }
    let row = sqlx::query!(
        "SELECT id, code, email, name, role, auth_epoch, disabled_at IS NOT NULL AS \"disabled!\" FROM users WHERE id = $1",
        auth.user_id
    )
    .fetch_optional(&state.pool)
    .await?;
    let Some(row) = row.filter(|r| r.auth_epoch == auth.epoch && !r.disabled) else {
        end(session).await?;
        return Ok(None);
    };
    let role =
        Role::parse(&row.role).ok_or_else(|| crate::server::context::internal_msg("unknown role in users table"))?;
    let code =
        UserCode::from_number(row.code).ok_or_else(|| crate::server::context::internal_msg("user code below range"))?;
    Ok(Some(SessionUser { id: row.id, code, email: row.email, name: row.name, role }))
}

//! Who a browser session belongs to. The session row (tower-sessions, in Postgres)
//! holds the user id, the user's `auth_epoch` at login, the login time and the time of
//! the last request. Bumping the epoch ends every session of that user at once; the
//! login time enforces an absolute lifetime, the last request the idle expiry.
//!
//! Activity slides the idle expiry, but re-saving the row on every request would turn
//! every page view into a write. The last-seen time is therefore refreshed only when it
//! is older than `refresh_interval`, which costs at most that much of the idle window.

use crate::domain::types::SessionUser;
use crate::domain::{AppError, Role, UserCode};
use crate::server::error::Failure;
use crate::server::state::AppState;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tower_sessions::Session;
use uuid::Uuid;

const AUTH_KEY: &str = "auth";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SessionAuth {
    user_id: Uuid,
    epoch: i32,
    /// Unix seconds of the login.
    since: i64,
    /// Unix seconds of the last request that refreshed the idle expiry.
    #[serde(default)]
    seen: i64,
}

/// How stale the last-seen time may get before a request writes it again: a tenth of
/// the idle window, between one second and ten minutes.
pub fn refresh_interval(idle: Duration) -> Duration {
    (idle / 10).clamp(Duration::from_secs(1), Duration::from_secs(600))
}

/// What a request finds about a session at `now` (all unix seconds).
#[derive(Debug, PartialEq, Eq)]
pub enum Freshness {
    Live,
    /// Live, and the last-seen time should be written again.
    Refresh,
    Expired,
}

pub fn freshness(since: i64, seen: i64, now: i64, idle: Duration, absolute: Duration) -> Freshness {
    let seen = seen.max(since);
    let age = now - since;
    let idle_for = now - seen;
    if age < 0 || age as u64 >= absolute.as_secs() || idle_for as u64 >= idle.as_secs() {
        Freshness::Expired
    } else if idle_for as u64 >= refresh_interval(idle).as_secs() {
        Freshness::Refresh
    } else {
        Freshness::Live
    }
}

/// Starts an authenticated session under a fresh id (the old id stops working).
pub async fn establish(state: &AppState, session: &Session, user_id: Uuid, epoch: i32) -> Result<(), Failure> {
    session.cycle_id().await?;
    let now = state.clock.now().as_second();
    session.insert(AUTH_KEY, SessionAuth { user_id, epoch, since: now, seen: now }).await?;
    Ok(())
}

/// Re-stamps the current session with a new epoch after the user bumped it (password
/// change, sign out everywhere), keeping this browser signed in under a new id.
pub async fn refresh_epoch(session: &Session, epoch: i32) -> Result<(), Failure> {
    let Some(mut auth) = session.get::<SessionAuth>(AUTH_KEY).await? else {
        return Err(AppError::Unauthenticated.into());
    };
    auth.epoch = epoch;
    session.cycle_id().await?;
    session.insert(AUTH_KEY, auth).await?;
    Ok(())
}

/// Ends the session: its row is deleted and the cookie cleared.
pub async fn end(session: &Session) -> Result<(), Failure> {
    session.flush().await?;
    Ok(())
}

pub async fn load_user(state: &AppState, session: &Session) -> Result<Option<SessionUser>, Failure> {
    let Some(mut auth) = session.get::<SessionAuth>(AUTH_KEY).await? else {
        return Ok(None);
    };
    let now = state.clock.now().as_second();
    match freshness(auth.since, auth.seen, now, state.config.session_idle, state.config.session_absolute) {
        Freshness::Expired => {
            end(session).await?;
            return Ok(None);
        }
        Freshness::Refresh => {
            auth.seen = now;
            session.insert(AUTH_KEY, &auth).await?;
        }
        Freshness::Live => {}
    }
    let row = sqlx::query!(
        "SELECT id, code, email, name, role, time_zone, auth_epoch, disabled_at IS NOT NULL AS \"disabled!\" FROM users WHERE id = $1",
        auth.user_id
    )
    .fetch_optional(&state.pool)
    .await?;
    let Some(row) = row.filter(|r| r.auth_epoch == auth.epoch && !r.disabled) else {
        end(session).await?;
        return Ok(None);
    };
    let role = Role::parse(&row.role).ok_or_else(|| Failure::bug("unknown role in users table"))?;
    let code = UserCode::from_number(row.code).ok_or_else(|| Failure::bug("user code below range"))?;
    let time_zone = crate::server::accounts::zone_of(&row.time_zone);
    Ok(Some(SessionUser { id: row.id, code, email: row.email, name: row.name, role, time_zone }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDLE: Duration = Duration::from_secs(3600);
    const ABSOLUTE: Duration = Duration::from_secs(86_400);

    #[test]
    fn activity_slides_the_idle_expiry_but_writes_only_every_tenth_of_it() {
        assert_eq!(refresh_interval(IDLE), Duration::from_secs(360));
        assert_eq!(freshness(0, 0, 359, IDLE, ABSOLUTE), Freshness::Live);
        assert_eq!(freshness(0, 0, 360, IDLE, ABSOLUTE), Freshness::Refresh);
        assert_eq!(freshness(0, 3000, 6000, IDLE, ABSOLUTE), Freshness::Refresh, "seen at 3000 keeps it alive at 6000");
        assert_eq!(freshness(0, 3000, 6600, IDLE, ABSOLUTE), Freshness::Expired);
    }

    #[test]
    fn the_absolute_lifetime_ends_even_an_active_session() {
        assert_eq!(freshness(0, 86_100, 86_399, IDLE, ABSOLUTE), Freshness::Live);
        assert_eq!(freshness(0, 86_399, 86_400, IDLE, ABSOLUTE), Freshness::Expired);
        assert_eq!(freshness(100, 100, 50, IDLE, ABSOLUTE), Freshness::Expired, "a login in the future is not trusted");
    }

    #[test]
    fn the_refresh_interval_stays_between_a_second_and_ten_minutes() {
        assert_eq!(refresh_interval(Duration::from_secs(5)), Duration::from_secs(1));
        assert_eq!(refresh_interval(Duration::from_secs(7 * 86_400)), Duration::from_secs(600));
    }
}

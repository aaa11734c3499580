//! What a server function reads from its request: the app state, the session, the
//! caller's identity and address. `require_user` / `require_role` are the first line of
//! every server function that needs a signed-in caller.

use crate::domain::types::SessionUser;
use crate::domain::{AppError, Role};
use crate::server::sessions;
use crate::server::state::AppState;
use leptos::prelude::*;
use std::net::{IpAddr, SocketAddr};
use tower_sessions::Session;

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| internal_msg("AppState missing from context"))
}

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|e| internal_msg(&format!("session layer missing: {e}")))
}

/// The signed-in user, or `None`.
pub async fn current_user() -> Result<Option<SessionUser>, AppError> {
    // The app is also rendered once at start-up to discover its routes; there is no
    // request, so there is no one signed in.
    if use_context::<http::request::Parts>().is_none() {
        return Ok(None);
    }
    let state = state()?;
    let session = session().await?;
    sessions::load_user(&state, &session).await
}

pub async fn require_user() -> Result<SessionUser, AppError> {
    current_user().await?.ok_or(AppError::Unauthenticated)
}

pub async fn require_role(role: Role) -> Result<SessionUser, AppError> {
    let user = require_user().await?;
    if user.role == role { Ok(user) } else { Err(AppError::Forbidden) }
}

/// The id given to this request by the request-id layer, for logs and error messages.
pub fn request_id() -> String {
    use_context::<http::request::Parts>()
        .and_then(|p| p.headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned))
        .unwrap_or_else(|| "none".to_owned())
}

/// The caller's address: the socket peer, or the first `X-Forwarded-For` hop when the
/// app is configured to sit behind a trusted proxy.
pub fn client_ip(state: &AppState) -> IpAddr {
    let parts = use_context::<http::request::Parts>();
    let forwarded = parts.as_ref().filter(|_| state.config.trust_proxy).and_then(|p| {
        p.headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok())
    });
    forwarded
        .or_else(|| parts.and_then(|p| p.extensions.get::<axum::extract::ConnectInfo<SocketAddr>>().map(|c| c.0.ip())))
        .unwrap_or(IpAddr::from([0, 0, 0, 0]))
}

/// Logs an unexpected failure once, with its cause chain and the request id, and turns
/// it into the opaque error the user sees.
pub fn internal(err: &(dyn std::error::Error + 'static)) -> AppError {
    let request_id = request_id();
    let mut chain = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        chain.push_str(": ");
        chain.push_str(&s.to_string());
        source = s.source();
    }
    tracing::error!(%request_id, error = %chain, "request failed");
    AppError::Internal { request_id }
}

pub fn internal_msg(msg: &str) -> AppError {
    let request_id = request_id();
    tracing::error!(%request_id, error = %msg, "request failed");
    AppError::Internal { request_id }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        internal(&e)
    }
}

impl From<tower_sessions::session::Error> for AppError {
    fn from(e: tower_sessions::session::Error) -> Self {
        internal(&e)
    }
}

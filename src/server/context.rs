//! What a server function reads from its request: the app state, the session, the
//! caller's identity and address. `require_user`, `require_admin` and the
//! practitioner's two are the first line of every server function that needs a
//! signed-in caller; the last three give the capability the services take.

use crate::domain::AppError;
use crate::domain::types::SessionUser;
use crate::server::capability::{Admin, LivePractitioner, Practitioner};
use crate::server::error::Failure;
use crate::server::sessions;
use crate::server::state::AppState;
use leptos::prelude::*;
use std::net::{IpAddr, SocketAddr};
use tower_sessions::Session;

pub fn state() -> Result<AppState, Failure> {
    use_context::<AppState>().ok_or_else(|| Failure::bug("AppState missing from context"))
}

pub async fn session() -> Result<Session, Failure> {
    leptos_axum::extract::<Session>().await.map_err(|e| Failure::bug(format!("session layer missing: {e}")))
}

/// The signed-in user, or `None`.
pub async fn current_user() -> Result<Option<SessionUser>, Failure> {
    // The app is also rendered once at start-up to discover its routes; there is no
    // request, so there is no one signed in.
    if use_context::<http::request::Parts>().is_none() {
        return Ok(None);
    }
    let state = state()?;
    let session = session().await?;
    sessions::load_user(&state, &session).await
}

pub async fn require_user() -> Result<SessionUser, Failure> {
    Ok(current_user().await?.ok_or(AppError::Unauthenticated)?)
}

/// A signed-in admin: the first line of every server function of the admin panel.
pub async fn require_admin() -> Result<Admin, Failure> {
    Admin::try_from(require_user().await?)
}

/// A signed-in practitioner, approved or not: the onboarding wizard's first line.
pub async fn require_practitioner() -> Result<Practitioner, Failure> {
    Practitioner::try_from(require_user().await?)
}

/// A practitioner whose onboarding is approved: the first line of every server function
/// of the practice. Before approval the answer sends them back to the wizard.
pub async fn require_live_practitioner() -> Result<LivePractitioner, Failure> {
    require_practitioner().await?.live(&state()?).await
}

/// The id given to this request by the request-id layer, for logs and error messages.
pub fn request_id() -> String {
    use_context::<http::request::Parts>()
        .and_then(|p| p.headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned))
        .unwrap_or_else(|| "none".to_owned())
}

/// The caller's address: the socket peer, or, behind `proxy_hops` proxies of ours,
/// the address the outermost of them saw (see `forwarded_client`).
pub fn client_ip(state: &AppState) -> IpAddr {
    let parts = use_context::<http::request::Parts>();
    let peer = parts
        .as_ref()
        .and_then(|p| p.extensions.get::<axum::extract::ConnectInfo<SocketAddr>>().map(|c| c.0.ip()))
        .unwrap_or(IpAddr::from([0, 0, 0, 0]));
    let headers = parts.as_ref().map(|p| &p.headers);
    forwarded_client(peer, headers, state.config.proxy_hops)
}

/// Each proxy appends the address it received the request from, so with `hops`
/// proxies of ours the client is the `hops`-th entry from the right; entries further
/// left were written by the client and prove nothing. A header with too few entries
/// (or a bad one) did not pass through all our proxies: the socket peer is used.
pub fn forwarded_client(peer: IpAddr, headers: Option<&http::HeaderMap>, hops: u8) -> IpAddr {
    if hops == 0 {
        return peer;
    }
    let Some(headers) = headers else { return peer };
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    entries.len().checked_sub(hops as usize).and_then(|i| entries[i].parse::<IpAddr>().ok()).unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::forwarded_client;
    use std::net::IpAddr;

    fn headers(values: &[&str]) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    #[test]
    fn the_client_is_the_address_our_proxy_appended_not_what_the_client_wrote() {
        let peer: IpAddr = "10.0.0.2".parse().unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let spoofed = headers(&["1.2.3.4, 198.51.100.7"]);
        assert_eq!(forwarded_client(peer, Some(&spoofed), 1), ip("198.51.100.7"));
        assert_eq!(forwarded_client(peer, Some(&spoofed), 2), ip("1.2.3.4"));
        assert_eq!(forwarded_client(peer, Some(&spoofed), 0), peer, "not trusted: the header is ignored");
        assert_eq!(forwarded_client(peer, Some(&spoofed), 3), peer, "too few entries: not through all our proxies");
        let split = headers(&["1.2.3.4", "198.51.100.7"]);
        assert_eq!(forwarded_client(peer, Some(&split), 1), ip("198.51.100.7"), "repeated headers are one list");
        assert_eq!(forwarded_client(peer, Some(&headers(&["garbage"])), 1), peer);
        assert_eq!(forwarded_client(peer, None, 1), peer);
    }
}

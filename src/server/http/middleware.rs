//! The middleware every request passes through: the same-origin check, security headers
//! and the page policy, request metrics, the body limit, the signed-in user of a page
//! (and the protected areas), the real status of a server function's error, and the
//! backstop for a handler that panics.

use super::form_urlencoded;
use crate::domain::types::SessionUser;
use crate::domain::uploads::{CERTIFICATE_PATH as UPLOAD_CERTIFICATE, PHOTO_PATH as UPLOAD_PHOTO};
use crate::domain::{AppError, Role};
use crate::server::config::Environment;
use crate::server::sessions;
use crate::server::state::AppState;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use std::time::Instant;

/// Largest request body accepted anywhere (uploads get their own limits later).
pub const BODY_LIMIT: usize = 256 * 1024;

/// The CSP for pages: inline scripts only with this response's nonce, the WASM may
/// compile, nothing may frame us.
pub fn content_security_policy(nonce: Option<&str>) -> String {
    let scripts = match nonce {
        Some(n) => format!("script-src 'self' 'nonce-{n}' 'wasm-unsafe-eval'"),
        None => "script-src 'self' 'wasm-unsafe-eval'".to_owned(),
    };
    format!(
        "default-src 'self'; {scripts}; style-src 'self'; img-src 'self' data:; font-src 'self'; \
         connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )
}

pub(super) async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(&content_security_policy(None)).expect("ascii"),
        );
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    h.insert("permissions-policy", HeaderValue::from_static("camera=(), microphone=(), geolocation=()"));
    if state.config.env == Environment::Production {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=63072000; includeSubDomains"));
    }
    res
}

fn is_loopback_origin(origin: &str) -> bool {
    let rest = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")).unwrap_or("");
    let host = rest.rsplit_once(':').map(|(h, _)| h).unwrap_or(rest);
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}

/// Whether a state-changing request may proceed: browsers say where a request comes
/// from (`Origin`, `Sec-Fetch-Site`); anything from another site is refused. Clients
/// that send neither (curl, payment-provider webhooks) are not browsers and carry no
/// ambient cookies of a victim, so they pass.
pub fn same_origin_allowed(public_url: &str, dev: bool, origin: Option<&str>, fetch_site: Option<&str>) -> bool {
    if fetch_site.is_some_and(|s| s.eq_ignore_ascii_case("cross-site")) {
        return false;
    }
    match origin {
        None => true,
        Some(o) => o == public_url.trim_end_matches('/') || (dev && is_loopback_origin(o)),
    }
}

pub(super) async fn same_origin(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe {
        let h = req.headers();
        let origin = h.get(header::ORIGIN).and_then(|v| v.to_str().ok());
        let site = h.get("sec-fetch-site").and_then(|v| v.to_str().ok());
        let dev = state.config.env == Environment::Development;
        if !same_origin_allowed(&state.config.public_url, dev, origin, site) {
            tracing::warn!(origin, site, path = %req.uri().path(), "cross-origin request refused");
            return (StatusCode::FORBIDDEN, "Cross-origin requests are not allowed.").into_response();
        }
    }
    next.run(req).await
}

pub(super) async fn record_metrics(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().to_string();
    let route =
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_else(|| {
            if req.uri().path().starts_with("/pkg/") { "/pkg/*".into() } else { "unmatched".into() }
        });
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    state.metrics.requests.with_label_values(&[method.as_str(), route.as_str(), status.as_str()]).inc();
    state
        .metrics
        .latency
        .with_label_values(&[method.as_str(), route.as_str()])
        .observe(started.elapsed().as_secs_f64());
    res
}

/// Server functions answer every error with 500; JSON callers deserve the real status
/// (401, 403, 409, 422, 429 with Retry-After, …). Plain form posts are redirected back to
/// the form by the framework and are left alone.
pub(super) async fn server_fn_status(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR || !res.headers().contains_key("serverfnerror") {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "error body too large").into_response();
    };
    if let Ok(err) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = StatusCode::from_u16(err.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if let AppError::RateLimited { retry_after_secs } | AppError::Busy { retry_after_secs } = err {
            parts.headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// The backstop for a handler that panics: the request is answered with a 500 that
/// names its request id (as JSON for server functions, as text for pages), and the
/// panic is logged here, once, with that id, instead of the connection being dropped
/// without an answer. Inputs that could panic are refused where they are parsed; this
/// only keeps a bug from taking a connection with it.
pub async fn catch_panic(req: Request, next: Next) -> Response {
    use futures_util::FutureExt;
    let request_id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("none").to_owned();
    let api = req.uri().path().starts_with("/api/");
    let panic = match std::panic::AssertUnwindSafe(next.run(req)).catch_unwind().await {
        Ok(res) => return res,
        Err(panic) => panic,
    };
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned());
    tracing::error!(%request_id, panic = %what, "a handler panicked");
    let answer = AppError::Internal { request_id };
    if api {
        (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(answer)).into_response()
    } else {
        (StatusCode::INTERNAL_SERVER_ERROR, answer.to_string()).into_response()
    }
}

/// The role a path needs, for the areas that are decided before any HTML is sent.
fn required_role(path: &str) -> Option<Option<Role>> {
    let under = |prefix: &str| path == prefix || path.starts_with(&format!("{prefix}/"));
    if under("/admin") {
        Some(Some(Role::Admin))
    } else if under("/practitioner") {
        Some(Some(Role::Practitioner))
    } else if under("/dashboard") || under("/checkout/success") || under("/checkout/failed") {
        Some(None)
    } else {
        None
    }
}

/// Who is signed in, looked up once per page request before rendering. The page reads
/// it synchronously (no SSR resource) and hands it to the browser for hydration.
#[derive(Debug, Clone)]
pub struct PageUser(pub Option<SessionUser>);

fn is_page_request(req: &Request) -> bool {
    let path = req.uri().path();
    req.method() == Method::GET
        && !["/api/", "/pkg/"].iter().any(|p| path.starts_with(p))
        && !matches!(path, "/healthz" | "/readyz" | "/metrics" | "/favicon.svg")
}

/// For page requests: loads the signed-in user (as `PageUser`), then decides protected
/// areas before anything renders — anonymous visitors are redirected to the login page
/// with a return path; signed-in users without the role get a 403 page.
pub(super) async fn page_user(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if !is_page_request(&req) {
        return next.run(req).await;
    }
    let Some(session) = req.extensions().get::<tower_sessions::Session>().cloned() else {
        return next.run(req).await;
    };
    let user = match sessions::load_user(&state, &session).await {
        Ok(user) => user,
        Err(e) => {
            let message = e.answer().to_string();
            return (StatusCode::INTERNAL_SERVER_ERROR, message).into_response();
        }
    };
    let role = required_role(req.uri().path());
    if role.is_some() && user.is_none() {
        let target = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
        return Redirect::to(&format!("/login?next={}", form_urlencoded(target))).into_response();
    }
    let allowed = match (role, &user) {
        (Some(Some(r)), Some(u)) => u.role == r,
        _ => true,
    };
    req.extensions_mut().insert(PageUser(user));
    let mut res = next.run(req).await;
    if !allowed && res.status() == StatusCode::OK {
        *res.status_mut() = StatusCode::FORBIDDEN;
    }
    res
}

/// The most a request body may be: `BODY_LIMIT`, and more for a lead list upload. A
/// declared length over it is refused at once; a body that turns out longer is cut off
/// with an error while it is read.
pub(super) async fn limit_body(req: Request, next: Next) -> Response {
    let limit = match req.uri().path() {
        "/admin/leads/import" => crate::server::leads::MAX_BYTES + 64 * 1024,
        UPLOAD_PHOTO | UPLOAD_CERTIFICATE => crate::domain::uploads::CERTIFICATE_MAX_BYTES + 2 * 1024 * 1024,
        p if p.starts_with("/orders/") && p.ends_with("/documents") => {
            crate::domain::uploads::ORDER_DOCUMENT_MAX_BYTES + 2 * 1024 * 1024
        }
        _ => BODY_LIMIT,
    };
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return (StatusCode::PAYLOAD_TOO_LARGE, "The request is too large.").into_response();
    }
    let (parts, body) = req.into_parts();
    next.run(Request::from_parts(parts, Body::new(http_body_util::Limited::new(body, limit)))).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_policy_lets_the_wasm_run_and_nothing_else() {
        let csp = content_security_policy(Some("abc"));
        for part in
            ["'nonce-abc'", "'wasm-unsafe-eval'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"]
        {
            assert!(csp.contains(part), "{part} missing from {csp}");
        }
        assert!(!csp.contains("unsafe-inline"));
    }

    #[test]
    fn cross_site_requests_are_refused() {
        let url = "https://attune.example";
        assert!(same_origin_allowed(url, false, Some("https://attune.example"), Some("same-origin")));
        assert!(!same_origin_allowed(url, false, Some("https://evil.example"), None));
        assert!(!same_origin_allowed(url, false, Some("null"), None));
        assert!(!same_origin_allowed(url, false, None, Some("cross-site")));
        assert!(same_origin_allowed(url, false, None, None), "non-browser clients carry no ambient cookies");
        assert!(!same_origin_allowed(url, false, Some("http://localhost:3000"), None));
        assert!(
            same_origin_allowed(url, true, Some("http://localhost:3000"), None),
            "development accepts loopback origins"
        );
    }

    #[test]
    fn protected_areas_are_recognised_by_prefix() {
        assert_eq!(required_role("/admin"), Some(Some(Role::Admin)));
        assert_eq!(required_role("/admin/users"), Some(Some(Role::Admin)));
        assert_eq!(required_role("/administrator"), None);
        assert_eq!(required_role("/dashboard/security"), Some(None));
        assert_eq!(required_role("/practitioner"), Some(Some(Role::Practitioner)));
        assert_eq!(required_role("/"), None);
        assert_eq!(required_role("/checkout/success"), Some(None), "a pack's result is its buyer's");
        assert_eq!(required_role("/checkout/ATN-0000-0000"), None, "a guest may check out");
    }
}

//! The HTTP surface: routes, middleware and the plain (non-Leptos) endpoints.

use crate::app::{App, shell};
use crate::domain::types::SessionUser;
use crate::domain::{AppError, Role};
use crate::server::config::Environment;
use crate::server::state::AppState;
use crate::server::{catalog, sessions};
use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use std::time::{Duration, Instant};
use tower::ServiceBuilder;
use tower_http::LatencyUnit;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;

/// Largest request body accepted anywhere (uploads get their own limits later).
pub const BODY_LIMIT: usize = 256 * 1024;
pub const SESSION_COOKIE: &str = "attune_session";

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

async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
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

async fn same_origin(State(state): State<AppState>, req: Request, next: Next) -> Response {
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

async fn record_metrics(State(state): State<AppState>, req: Request, next: Next) -> Response {
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
async fn server_fn_status(req: Request, next: Next) -> Response {
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
        if let AppError::RateLimited { retry_after_secs } = err {
            parts.headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
    }
    Response::from_parts(parts, Body::from(bytes))
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
async fn page_user(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
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

fn form_urlencoded(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Provider events. 400 for anything not signed by the provider (nothing is written),
/// 500 when it could not be stored (the provider sends it again), 200 otherwise.
async fn payment_webhook(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    use crate::server::payments::webhooks::{ReceiveError, receive};
    let signature = headers.get("stripe-signature").and_then(|v| v.to_str().ok());
    match receive(&state, signature, &body).await {
        Ok(_) => (StatusCode::OK, "ok").into_response(),
        Err(e @ (ReceiveError::Signature(_) | ReceiveError::Malformed(_))) => {
            tracing::warn!(error = %e, "payment webhook refused");
            state.metrics.webhook_events.with_label_values(&["unknown", "rejected"]).inc();
            (StatusCode::BAD_REQUEST, "invalid event").into_response()
        }
        Err(e) => {
            tracing::error!(error = %crate::server::error::chain(&e), "payment webhook could not be stored");
            (StatusCode::INTERNAL_SERVER_ERROR, "try again").into_response()
        }
    }
}

/// The signed-in person's whole credit history as a CSV download.
async fn credits_csv(State(state): State<AppState>, user: Option<axum::Extension<PageUser>>) -> Response {
    let Some(user) = user.and_then(|u| u.0.0) else {
        return Redirect::to("/login?next=/dashboard/credits.csv").into_response();
    };
    match crate::server::credits::history(&state, user.id, i64::MAX).await {
        Ok(moves) => {
            let name = format!("attachment; filename=\"attune-credits-{}.csv\"", user.code);
            let headers =
                [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, name)];
            (headers, crate::domain::ledger::history_csv(&moves)).into_response()
        }
        Err(e) => {
            tracing::error!(error = %crate::server::error::chain(&e), "credit history export failed");
            (StatusCode::SERVICE_UNAVAILABLE, "The export is unavailable right now; try again shortly.").into_response()
        }
    }
}

async fn receipt_pdf(
    State(state): State<AppState>,
    user: Option<axum::Extension<PageUser>>,
    axum::extract::Path(number): axum::extract::Path<String>,
) -> Response {
    let Some(user) = user.and_then(|u| u.0.0) else {
        return Redirect::to(&format!("/login?next=/orders/{number}/receipt.pdf")).into_response();
    };
    pdf_response(crate::server::receipts::receipt(&state, &user, &number).await)
}

async fn credit_note_pdf(
    State(state): State<AppState>,
    user: Option<axum::Extension<PageUser>>,
    axum::extract::Path((number, file)): axum::extract::Path<(String, String)>,
) -> Response {
    let Some(user) = user.and_then(|u| u.0.0) else {
        return Redirect::to(&format!("/login?next=/orders/{number}/credit-notes/{file}")).into_response();
    };
    let note = file.strip_suffix(".pdf").unwrap_or(&file);
    pdf_response(crate::server::receipts::credit_note(&state, &user, &number, note).await)
}

/// A private calendar feed (`/calendar/<token>.ics`); an unknown or revoked address is a 404.
async fn calendar_feed(
    State(state): State<AppState>,
    axum::extract::Path(file): axum::extract::Path<String>,
) -> Response {
    match crate::server::calendar::feed(&state, &file).await {
        Ok(Some(ics)) => {
            let headers = [
                (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
                (header::CONTENT_DISPOSITION, "inline; filename=\"attune.ics\""),
                (header::CACHE_CONTROL, "private, no-store"),
            ];
            (headers, ics).into_response()
        }
        Ok(None) => (StatusCode::NOT_FOUND, "No such calendar.").into_response(),
        Err(e) => {
            // `answer` logs the failure; the calendar client only needs the status.
            let _ = e.answer();
            (StatusCode::SERVICE_UNAVAILABLE, "The calendar is unavailable right now; try again shortly.")
                .into_response()
        }
    }
}

/// A PDF as a download; a document that does not exist for this person is a 404.
fn pdf_response(made: Result<crate::server::receipts::Pdf, crate::server::error::Failure>) -> Response {
    match made {
        Ok(pdf) => {
            let disposition = format!("attachment; filename=\"{}\"", pdf.file_name);
            let headers = [
                (header::CONTENT_TYPE, "application/pdf".to_owned()),
                (header::CONTENT_DISPOSITION, disposition),
                (header::CACHE_CONTROL, "private, no-store".to_owned()),
            ];
            (headers, pdf.bytes).into_response()
        }
        Err(e) => match e.answer() {
            AppError::NotFound => (StatusCode::NOT_FOUND, "No such document.").into_response(),
            _ => (StatusCode::SERVICE_UNAVAILABLE, "The document is unavailable right now; try again shortly.")
                .into_response(),
        },
    }
}

/// The most a request body may be: `BODY_LIMIT`, and more for a lead list upload. A
/// declared length over it is refused at once; a body that turns out longer is cut off
/// with an error while it is read.
async fn limit_body(req: Request, next: Next) -> Response {
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

use crate::domain::uploads::{CERTIFICATE_PATH as UPLOAD_CERTIFICATE, PHOTO_PATH as UPLOAD_PHOTO};

/// A practitioner uploads their photo (multipart `file`) or a certificate (`title`,
/// `file`) from the wizard, as a plain form post: the answer is a redirect back to the
/// step, with the refusal's reason when there is one, so the page shows the outcome
/// whether the browser posted the form itself or the upload island did.
async fn upload(
    State(state): State<AppState>,
    session: tower_sessions::Session,
    uri: axum::http::Uri,
    mut multipart: axum::extract::Multipart,
) -> Response {
    let step = crate::domain::wizard::step_of_upload(uri.path() == UPLOAD_PHOTO);
    let user = match sessions::load_user(&state, &session).await {
        Ok(Some(u)) => u,
        Ok(None) => return Redirect::to(&format!("/login?next=/onboarding/{step}")).into_response(),
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.answer().to_string()).into_response(),
    };
    if user.role != Role::Practitioner {
        return (StatusCode::FORBIDDEN, "Only practitioners upload onboarding files.").into_response();
    }
    let back = |error: Option<String>| match error {
        None => Redirect::to(&format!("/onboarding/{step}?uploaded=1")).into_response(),
        Some(m) => Redirect::to(&format!("/onboarding/{step}?upload_error={}", form_urlencoded(&m))).into_response(),
    };
    let (mut file, mut title) = (None, String::new());
    let unreadable =
        |e: axum::extract::multipart::MultipartError| format!("The upload could not be read: {}", e.body_text());
    loop {
        match multipart.next_field().await.map_err(unreadable) {
            Ok(Some(field)) => match field.name() {
                Some("file") => {
                    let name = field.file_name().unwrap_or_default().to_owned();
                    match field.bytes().await.map_err(unreadable) {
                        Ok(bytes) => file = Some((name, bytes.to_vec())),
                        Err(m) => return back(Some(m)),
                    }
                }
                Some("title") => match field.text().await.map_err(unreadable) {
                    Ok(t) => title = t,
                    Err(m) => return back(Some(m)),
                },
                _ => {}
            },
            Ok(None) => break,
            Err(m) => return back(Some(m)),
        }
    }
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return back(Some("Choose a file to upload.".into()));
    };
    let saved = if uri.path() == UPLOAD_PHOTO {
        crate::server::uploads::save_photo(&state, &user, &name, bytes).await
    } else {
        crate::server::uploads::save_certificate(&state, &user, &title, &name, bytes).await
    };
    back(saved.err().map(|e| e.answer().to_string()))
}

/// The file field of a multipart form: its name and bytes, or why it could not be read.
async fn file_field(multipart: &mut axum::extract::Multipart) -> Result<Option<(String, Vec<u8>)>, String> {
    let unreadable =
        |e: axum::extract::multipart::MultipartError| format!("The upload could not be read: {}", e.body_text());
    let mut file = None;
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or_default().to_owned();
            file = Some((name, field.bytes().await.map_err(unreadable)?.to_vec()));
        }
    }
    Ok(file.filter(|(_, b)| !b.is_empty()))
}

/// The customer or practitioner of a paid service order attaches a file (multipart
/// `file`), as a plain form post: the answer is a redirect back to the order, with the
/// refusal's reason when there is one. Anyone who may not see the order gets a 404.
async fn upload_order_document(
    State(state): State<AppState>,
    session: tower_sessions::Session,
    axum::extract::Path(number): axum::extract::Path<String>,
    mut multipart: axum::extract::Multipart,
) -> Response {
    let visitor = match crate::server::checkout::Visitor::of(&state, &session).await {
        Ok(v) => v,
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.answer().to_string()).into_response(),
    };
    let page = format!("/orders/{}", form_urlencoded(&number));
    let back = |error: Option<String>| match error {
        None => Redirect::to(&format!("{page}?uploaded=1#documents")).into_response(),
        Some(m) => Redirect::to(&format!("{page}?upload_error={}#documents", form_urlencoded(&m))).into_response(),
    };
    let (name, bytes) = match file_field(&mut multipart).await {
        Ok(Some(f)) => f,
        Ok(None) => return back(Some("Choose a file to upload.".into())),
        Err(m) => return back(Some(m)),
    };
    match crate::server::exchange::upload(&state, &visitor, &number, &name, bytes).await {
        Ok(()) => back(None),
        Err(e) => match e.answer() {
            AppError::NotFound => (StatusCode::NOT_FOUND, "No such order.").into_response(),
            AppError::Forbidden => {
                (StatusCode::FORBIDDEN, "Admins read an order's files; its two sides add them.").into_response()
            }
            other => back(Some(other.to_string())),
        },
    }
}

/// A file of a service order, as a download, for its customer, practitioner and admins.
async fn order_document(
    State(state): State<AppState>,
    session: tower_sessions::Session,
    axum::extract::Path((number, id)): axum::extract::Path<(String, String)>,
) -> Response {
    let not_found = || (StatusCode::NOT_FOUND, "No such file.").into_response();
    let Ok(id) = uuid::Uuid::parse_str(&id) else { return not_found() };
    let visitor = match crate::server::checkout::Visitor::of(&state, &session).await {
        Ok(v) => v,
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.answer().to_string()).into_response(),
    };
    match crate::server::exchange::read(&state, &visitor, &number, id).await {
        Ok(d) => {
            let headers = [
                (header::CONTENT_TYPE, d.content_type.to_owned()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", d.file_name)),
                (header::CACHE_CONTROL, "private, no-store".to_owned()),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            ];
            (headers, d.bytes).into_response()
        }
        Err(e) => match e.answer() {
            AppError::NotFound => not_found(),
            _ => (StatusCode::SERVICE_UNAVAILABLE, "The file is unavailable right now; try again shortly.")
                .into_response(),
        },
    }
}

/// A stored upload: a photo (public once its profile is live) or a certificate (owner
/// and admins only, always as a download). Never sniffed by the browser as anything else.
async fn media(
    State(state): State<AppState>,
    user: Option<axum::Extension<PageUser>>,
    axum::extract::Path((id, file)): axum::extract::Path<(String, String)>,
) -> Response {
    use crate::server::uploads::Variant;
    let viewer = user.and_then(|u| u.0.0);
    let variant = match file.as_str() {
        "photo.jpg" | "certificate" => Variant::Original,
        "thumb.jpg" => Variant::Thumbnail,
        _ => return (StatusCode::NOT_FOUND, "No such file.").into_response(),
    };
    let Ok(id) = uuid::Uuid::parse_str(&id) else {
        return (StatusCode::NOT_FOUND, "No such file.").into_response();
    };
    match crate::server::uploads::read(&state, viewer.as_ref(), id, variant).await {
        Ok(f) if f.private == (file == "certificate") => {
            let ext = crate::domain::uploads::FileType::parse_content_type(f.content_type)
                .map(|t| t.extension())
                .unwrap_or("bin");
            let (disposition, cache) = if f.private {
                (format!("attachment; filename=\"certificate.{ext}\""), "private, no-store")
            } else {
                ("inline".to_owned(), "public, max-age=300")
            };
            let headers = [
                (header::CONTENT_TYPE, f.content_type.to_owned()),
                (header::CONTENT_DISPOSITION, disposition),
                (header::CACHE_CONTROL, cache.to_owned()),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            ];
            (headers, f.bytes).into_response()
        }
        Ok(_) => (StatusCode::NOT_FOUND, "No such file.").into_response(),
        Err(e) => match e.answer() {
            AppError::NotFound => (StatusCode::NOT_FOUND, "No such file.").into_response(),
            _ => (StatusCode::SERVICE_UNAVAILABLE, "The file is unavailable right now; try again shortly.")
                .into_response(),
        },
    }
}

/// An admin uploads the call centre's lead list (multipart: `file`, and
/// `default_country` for numbers written without a country code). Returns to the leads
/// page showing the batch, or the reason the file could not be imported at all.
async fn import_leads(
    State(state): State<AppState>,
    session: tower_sessions::Session,
    multipart: axum::extract::Multipart,
) -> Response {
    let user = match sessions::load_user(&state, &session).await {
        Ok(Some(u)) if u.role == Role::Admin => u,
        Ok(Some(_)) => return (StatusCode::FORBIDDEN, "Only admins import leads.").into_response(),
        Ok(None) => return Redirect::to("/login?next=/admin/leads").into_response(),
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.answer().to_string()).into_response(),
    };
    let refused =
        |message: String| Redirect::to(&format!("/admin/leads?error={}", form_urlencoded(&message))).into_response();
    let (file_name, bytes, country) = match read_lead_upload(multipart).await {
        Ok(upload) => upload,
        Err(message) => return refused(message),
    };
    let country = match crate::domain::leads::parse_country_code(&country) {
        Ok(c) => c,
        Err(message) => return refused(message),
    };
    match crate::server::leads::import(&state, Some(user.id), &file_name, &bytes, country.as_deref()).await {
        Ok(detail) => Redirect::to(&format!("/admin/leads?batch={}", detail.batch.id)).into_response(),
        Err(e) => refused(e.answer().to_string()),
    }
}

async fn read_lead_upload(mut multipart: axum::extract::Multipart) -> Result<(String, Vec<u8>, String), String> {
    let (mut file, mut country) = (None, String::new());
    let unreadable =
        |e: axum::extract::multipart::MultipartError| format!("The upload could not be read: {}", e.body_text());
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        match field.name() {
            Some("file") => {
                let name = field
                    .file_name()
                    .unwrap_or("leads.csv")
                    .rsplit(['/', '\\'])
                    .next()
                    .unwrap_or("leads.csv")
                    .to_owned();
                file = Some((name, field.bytes().await.map_err(unreadable)?.to_vec()));
            }
            Some("default_country") => country = field.text().await.map_err(unreadable)?,
            _ => {}
        }
    }
    let (name, bytes) = file.filter(|(_, b)| !b.is_empty()).ok_or("Choose a CSV file to import.")?;
    Ok((name, bytes, country))
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> Response {
    match sqlx::query_scalar!("SELECT 1 AS \"one!\"").fetch_one(&state.pool).await {
        Ok(_) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
        }
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    // The check runs in whichever process took the job (a worker, say): the drift comes
    // from the newest stored result, so every instance exports the same figure, and a
    // restarted one does not report 0 until the next check.
    match crate::server::ledger::last_check(&state.pool).await {
        Ok(Some((_, report))) => state.metrics.ledger_drift.set(report.problems()),
        Ok(None) => {}
        Err(e) => {
            tracing::warn!(error = %crate::server::error::chain(&e), "metrics: the newest ledger check could not be read")
        }
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render()).into_response()
}

async fn sitemap_xml(State(state): State<AppState>) -> Response {
    match catalog::sitemap(&state).await {
        Ok(xml) => ([(header::CONTENT_TYPE, "application/xml; charset=utf-8")], xml).into_response(),
        Err(e) => {
            let _ = e.answer();
            (StatusCode::SERVICE_UNAVAILABLE, "The sitemap is unavailable right now; try again shortly.")
                .into_response()
        }
    }
}

async fn robots_txt(State(state): State<AppState>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], catalog::robots(&state)).into_response()
}

async fn service_types_json(State(state): State<AppState>) -> Response {
    match catalog::service_types(&state).await {
        Ok(types) => axum::Json(types).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "listing service types failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(
                    serde_json::json!({ "error": "Service types are unavailable right now; try again shortly." }),
                ),
            )
                .into_response()
        }
    }
}

pub fn session_layer(state: &AppState) -> SessionManagerLayer<PostgresStore> {
    let store = PostgresStore::new(state.pool.clone());
    let idle = time::Duration::seconds(state.config.session_idle.as_secs() as i64);
    SessionManagerLayer::new(store)
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config.secure_cookies())
        .with_expiry(Expiry::OnInactivity(idle))
}

/// The app's routes, worked out once per process. Working them out renders the app
/// with resource loading switched off process-wide (a flag in `leptos_server`), and a
/// resource that first runs while it is off never finishes: an app built while another
/// in the same process serves pages (the integration tests build one per test) would
/// leave one of those pages hanging.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// Builds the whole application router for `state`. `leptos_routes_with_context`
/// also mounts every server function under `/api/`.
pub fn router(state: AppState) -> Router {
    let routes = route_list();
    let ctx = {
        let state = state.clone();
        move || provide_context(state.clone())
    };
    let leptos_options = state.config.leptos.clone();
    crate::app::load_assets(&leptos_options.site_root);
    Router::new()
        .nest_service("/pkg", static_assets(&leptos_options.site_root))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/api/services/types", get(service_types_json))
        .route("/sitemap.xml", get(sitemap_xml))
        .route("/robots.txt", get(robots_txt))
        .route("/webhooks/payments", axum::routing::post(payment_webhook))
        .route("/dashboard/credits.csv", get(credits_csv))
        .route("/orders/{number}/receipt.pdf", get(receipt_pdf))
        .route("/calendar/{file}", get(calendar_feed))
        .route("/admin/leads/import", axum::routing::post(import_leads))
        // `limit_body` caps these bodies; the extractor's own 2 MB default would refuse a
        // photo before its rules could say why.
        .route(UPLOAD_PHOTO, axum::routing::post(upload).layer(axum::extract::DefaultBodyLimit::disable()))
        .route(UPLOAD_CERTIFICATE, axum::routing::post(upload).layer(axum::extract::DefaultBodyLimit::disable()))
        .route("/media/{id}/{file}", get(media))
        .route("/orders/{number}/credit-notes/{file}", get(credit_note_pdf))
        .route(
            "/orders/{number}/documents",
            axum::routing::post(upload_order_document).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/orders/{number}/documents/{id}", get(order_document))
        .leptos_routes_with_context(&state, routes, ctx.clone(), move || shell(leptos_options.clone()))
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(ctx, shell))
        .layer(middleware::from_fn_with_state(state.clone(), page_user))
        .layer(middleware::from_fn(server_fn_status))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(|req: &Request| {
                            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
                            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
                        })
                        .on_response(DefaultOnResponse::new().level(tracing::Level::INFO).latency_unit(LatencyUnit::Millis)),
                )
                .layer(PropagateRequestIdLayer::x_request_id())
                .layer(middleware::from_fn_with_state(state.clone(), record_metrics))
                .layer(middleware::from_fn_with_state(state.clone(), security_headers))
                .layer(middleware::from_fn_with_state(state.clone(), same_origin))
                .layer(middleware::from_fn(limit_body))
                .layer(CompressionLayer::new())
                .layer(session_layer(&state)),
        )
        .with_state(state)
}

/// The built browser assets, as the build precompressed them (brotli, gzip). Names with
/// a content hash never change meaning, so browsers may keep them for a year; anything
/// else must be revalidated.
fn static_assets(site_root: &str) -> Router {
    use tower_http::services::ServeDir;
    let dir = ServeDir::new(std::path::Path::new(site_root).join("pkg")).precompressed_br().precompressed_gzip();
    Router::new().fallback_service(dir).layer(middleware::map_response(
        |req_path: axum::extract::OriginalUri, mut res: Response| async move {
            let forever = res.status().is_success() && is_hashed_asset(req_path.path());
            let value = if forever { "public, max-age=31536000, immutable" } else { "no-cache" };
            res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
            res
        },
    ))
}

/// `attune.3f9c2a7b1d0e4c55.js`: a name carrying a 16-hex-digit content hash.
pub fn is_hashed_asset(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or("");
    name.split('.').any(|part| part.len() == 16 && part.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Serves `router` on `listener` until `shutdown` resolves. TCP_NODELAY is set on every
/// connection: without it keep-alive responses wait ~40 ms for Nagle's algorithm.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}

/// Deletes expired session rows every hour.
pub fn spawn_session_cleanup(state: &AppState) {
    let store = PostgresStore::new(state.pool.clone());
    tokio::spawn(async move {
        use tower_sessions::session_store::ExpiredDeletion;
        if let Err(e) = store.continuously_delete_expired(Duration::from_secs(3600)).await {
            tracing::warn!(error = %e, "session cleanup stopped");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_content_hashed_asset_names_are_cached_for_good() {
        assert!(is_hashed_asset("/pkg/attune.3f9c2a7b1d0e4c55.js"));
        assert!(is_hashed_asset("/pkg/attune_bg.00ff00ff00ff00ff.wasm"));
        for plain in [
            "/pkg/attune.js",
            "/pkg/attune_bg.wasm",
            "/pkg/assets.json",
            "/pkg/attune.3f9c2a7b1d0e4c5.js",
            "/pkg/x.3f9c2a7b1d0e4c5z.js",
        ] {
            assert!(!is_hashed_asset(plain), "{plain}");
        }
    }

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

    #[test]
    fn return_paths_are_encoded() {
        assert_eq!(form_urlencoded("/admin?q=a b&x"), "/admin%3Fq%3Da%20b%26x");
    }
}

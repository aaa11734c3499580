//! The HTTP surface: routes, middleware and the plain (non-Leptos) endpoints.
//!
//! The router, with its session layer and the static assets, and serving it are here;
//! the middleware every request passes through is in `middleware`, the endpoints that
//! take or send files (uploads, order documents, receipts and credit notes, media, the
//! credit history CSV, lead imports, calendar feeds) in `files`, and the operational ones
//! (health, readiness, metrics, sitemap, robots, service types, payment webhooks) in `ops`.

mod files;
mod middleware;
mod ops;

pub use middleware::{BODY_LIMIT, PageUser, catch_panic, content_security_policy, same_origin_allowed};

use crate::app::{App, shell};
use crate::domain::uploads::{CERTIFICATE_PATH as UPLOAD_CERTIFICATE, PHOTO_PATH as UPLOAD_PHOTO};
use crate::server::state::AppState;
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::{from_fn, from_fn_with_state, map_response};
use axum::response::Response;
use axum::routing::get;
use files::{
    calendar_feed, credit_note_pdf, credits_csv, import_leads, media, order_document, receipt_pdf, upload,
    upload_order_document,
};
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use middleware::{limit_body, page_user, record_metrics, same_origin, security_headers, server_fn_status};
use ops::{healthz, metrics, payment_webhook, readyz, robots_txt, service_types_json, sitemap_xml};
use std::time::Duration;
use tower::ServiceBuilder;
use tower_http::LatencyUnit;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;

pub const SESSION_COOKIE: &str = "attune_session";

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
        .layer(from_fn_with_state(state.clone(), page_user))
        .layer(from_fn(server_fn_status))
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
                .layer(from_fn_with_state(state.clone(), record_metrics))
                .layer(from_fn_with_state(state.clone(), security_headers))
                .layer(from_fn_with_state(state.clone(), same_origin))
                .layer(from_fn(limit_body))
                .layer(CompressionLayer::new())
                .layer(session_layer(&state))
                .layer(from_fn(catch_panic)),
        )
        .with_state(state)
}

/// The built browser assets, as the build precompressed them (brotli, gzip). Names with
/// a content hash never change meaning, so browsers may keep them for a year; anything
/// else must be revalidated.
fn static_assets(site_root: &str) -> Router {
    use tower_http::services::ServeDir;
    let dir = ServeDir::new(std::path::Path::new(site_root).join("pkg")).precompressed_br().precompressed_gzip();
    Router::new().fallback_service(dir).layer(map_response(
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

/// `s` percent-encoded for a query string, leaving letters, digits, `-_.~` and `/`
/// as they are.
fn form_urlencoded(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
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
    fn return_paths_are_encoded() {
        assert_eq!(form_urlencoded("/admin?q=a b&x"), "/admin%3Fq%3Da%20b%26x");
    }
}

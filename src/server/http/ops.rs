//! The operational endpoints: health and readiness checks, metrics, the sitemap and
//! robots.txt, the service types as JSON, and the payment provider's webhook.

use crate::server::catalog;
use crate::server::state::AppState;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

pub(super) async fn healthz() -> &'static str {
    "ok"
}

pub(super) async fn readyz(State(state): State<AppState>) -> Response {
    match sqlx::query_scalar!("SELECT 1 AS \"one!\"").fetch_one(&state.pool).await {
        Ok(_) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
        }
    }
}

pub(super) async fn metrics(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    use crate::server::metrics::{MetricsAccess, metrics_access};
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    match metrics_access(state.config.env, state.config.metrics_token.as_ref(), authorization) {
        MetricsAccess::Granted => {}
        MetricsAccess::Unauthorised => {
            return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")], "").into_response();
        }
        MetricsAccess::Hidden => return StatusCode::NOT_FOUND.into_response(),
    }
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

pub(super) async fn sitemap_xml(State(state): State<AppState>) -> Response {
    match catalog::sitemap(&state).await {
        Ok(xml) => ([(header::CONTENT_TYPE, "application/xml; charset=utf-8")], xml).into_response(),
        Err(e) => {
            let _ = e.answer();
            (StatusCode::SERVICE_UNAVAILABLE, "The sitemap is unavailable right now; try again shortly.")
                .into_response()
        }
    }
}

pub(super) async fn robots_txt(State(state): State<AppState>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], catalog::robots(&state)).into_response()
}

pub(super) async fn service_types_json(State(state): State<AppState>) -> Response {
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

/// Provider events. 400 for anything not signed by the provider (nothing is written),
/// 500 when it could not be stored (the provider sends it again), 200 otherwise.
pub(super) async fn payment_webhook(
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

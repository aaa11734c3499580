//! Service types and the home page's platform statistics.

use crate::domain::types::{HomeStats, ServiceType, StatsView};
use crate::server::clock::from_db;
use crate::server::state::AppState;
use std::time::Duration;

/// Statistics are cached this long, so a busy home page costs one query a minute.
pub const STATS_TTL: Duration = Duration::from_secs(60);
/// How long another instance may show the service types from before a change.
pub const CATALOG_TTL: Duration = Duration::from_secs(30);

/// The active service types, from a cache of at most `CATALOG_TTL`.
pub async fn service_types(state: &AppState) -> Result<Vec<ServiceType>, sqlx::Error> {
    state
        .service_types_cache
        .get_or_load(&state.clock, || {
            sqlx::query_as!(
                ServiceType,
                "SELECT slug, name, description FROM service_types WHERE active ORDER BY sort_order, name"
            )
            .fetch_all(&state.pool)
        })
        .await
}

/// Call after changing service types, so this instance shows the change at once.
pub async fn catalog_changed(state: &AppState) {
    state.service_types_cache.invalidate().await;
}

async fn count_stats(state: &AppState) -> Result<HomeStats, sqlx::Error> {
    let r = sqlx::query!(
        r#"SELECT
             (SELECT count(*) FROM practitioner_profiles p JOIN users u ON u.id = p.user_id
               WHERE p.onboarding_state = 'approved' AND u.disabled_at IS NULL) AS "practitioners!",
             (SELECT count(*) FROM users WHERE role = 'customer' AND disabled_at IS NULL) AS "customers!",
             (SELECT count(*) FROM service_types WHERE active) AS "service_types!",
             now() AS "as_of!""#
    )
    .fetch_one(&state.pool)
    .await?;
    Ok(HomeStats {
        practitioners: r.practitioners,
        customers: r.customers,
        service_types: r.service_types,
        as_of: from_db(r.as_of),
    })
}

/// Real figures (at most `STATS_TTL` old), or `Unavailable` when the database cannot
/// be asked. Never a made-up number.
pub async fn home_stats(state: &AppState) -> StatsView {
    match state.stats_cache.get_or_load(&state.clock, || count_stats(state)).await {
        Ok(stats) => StatsView::Available(stats),
        Err(e) => {
            tracing::warn!(error = %e, "home statistics unavailable");
            StatsView::Unavailable
        }
    }
}

//! Service types and the home page's platform statistics.

use crate::domain::types::{HomeStats, ServiceType, StatsView};
use crate::server::rfc3339;
use crate::server::state::AppState;
use std::time::{Duration, Instant};

/// Statistics are cached this long, so a busy home page costs one query a minute.
pub const STATS_TTL: Duration = Duration::from_secs(60);

pub async fn service_types(state: &AppState) -> Result<Vec<ServiceType>, sqlx::Error> {
    sqlx::query_as!(
        ServiceType,
        "SELECT slug, name, description FROM service_types WHERE active ORDER BY sort_order, name"
    )
    .fetch_all(&state.pool)
    .await
}

async fn count_stats(state: &AppState) -> Result<HomeStats, sqlx::Error> {
    let r = sqlx::query!(
        r#"SELECT
             (SELECT count(*) FROM users WHERE role = 'practitioner' AND disabled_at IS NULL) AS "practitioners!",
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
        as_of: rfc3339(r.as_of),
    })
}

/// Real figures (at most `STATS_TTL` old), or `Unavailable` when the database cannot
/// be asked. Never a made-up number.
pub async fn home_stats(state: &AppState) -> StatsView {
    let mut cache = state.stats_cache.lock().await;
    if let Some((at, stats)) = cache.as_ref()
        && at.elapsed() < STATS_TTL
    {
        return StatsView::Available(stats.clone());
    }
    match count_stats(state).await {
        Ok(stats) => {
            *cache = Some((Instant::now(), stats.clone()));
            StatsView::Available(stats)
        }
        Err(e) => {
            tracing::warn!(error = %e, "home statistics unavailable");
            StatsView::Unavailable
        }
    }
}

use crate::domain::types::{DirectoryPage, HomeStats, ServiceType};
use crate::server::cache::Cached;
use crate::server::clock::Clock;
use crate::server::config::Config;
use crate::server::metrics::Metrics;
use crate::server::passwords::Hasher;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sqlx::PgPool;
use std::sync::Arc;

/// Everything a request handler or server function needs, provided as context so each
/// test app has its own. Only what belongs to the process rather than to one app is a
/// static elsewhere: the photo decoders' permits (memory is the process's), the route
/// list and the stand-in password hashes (the same for every app).
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub config: Arc<Config>,
    pub clock: Clock,
    /// Behind one `Arc`: the state is cloned into every request's context, and each of the
    /// metrics is a handle of its own.
    pub metrics: Arc<Metrics>,
    /// Every password and one-time code hash of this process goes through this pool.
    pub hasher: Hasher,
    pub stats_cache: Cached<HomeStats>,
    pub service_types_cache: Cached<Vec<ServiceType>>,
    /// The directory's first page with no search, the page most visitors land on.
    pub directory_cache: Cached<DirectoryPage>,
    /// The languages the directory can be filtered by.
    pub languages_cache: Cached<Vec<String>>,
}

impl AppState {
    pub fn new(pool: PgPool, config: Config) -> Self {
        Self::with_clock(pool, config, Clock::system())
    }

    pub fn with_clock(pool: PgPool, config: Config, clock: Clock) -> Self {
        let hasher = Hasher::for_this_machine(config.password_cost);
        AppState {
            pool,
            config: Arc::new(config),
            clock,
            metrics: Arc::new(Metrics::new()),
            hasher,
            stats_cache: Cached::new(crate::server::catalog::STATS_TTL),
            service_types_cache: Cached::new(crate::server::catalog::CATALOG_TTL),
            directory_cache: Cached::new(crate::server::catalog::CATALOG_TTL),
            languages_cache: Cached::new(crate::server::catalog::CATALOG_TTL),
        }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.config.leptos.clone()
    }
}

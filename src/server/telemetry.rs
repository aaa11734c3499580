use tracing_subscriber::{EnvFilter, fmt, prelude::*};

/// Logs go to stderr: human-readable by default, JSON lines when `LOG_FORMAT=json`.
/// The level comes from `RUST_LOG` (default `info`).
pub fn init() {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_sessions=warn"));
    let json = std::env::var("LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    let registry = tracing_subscriber::registry().with(filter);
    if json {
        let _ = registry.with(fmt::layer().json().with_writer(std::io::stderr)).try_init();
    } else {
        let _ = registry.with(fmt::layer().with_writer(std::io::stderr)).try_init();
    }
}

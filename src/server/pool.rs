//! The connection pool every process of the app uses (server, worker, CLI and the
//! benchmarks), so that what is measured is what runs.
//!
//! sqlx checks a connection on its way back into the pool (a round trip), and by
//! default once more on its way out. The second check is kept only for a connection
//! that has sat idle for a while: one handed out again within `RECENTLY_USED` of its
//! return was checked a moment ago, and asking again would add a round trip to every
//! transaction. A connection that fails the check is closed and another one handed out,
//! so a server restart during a quiet spell costs no request.

use sqlx::Connection;
use sqlx::postgres::PgPoolOptions;
use std::time::Duration;

/// How recently a connection must have been returned to be handed out unchecked.
pub const RECENTLY_USED: Duration = Duration::from_secs(1);

/// The app's pool settings with `max_connections` connections.
pub fn options(max_connections: u32) -> PgPoolOptions {
    options_checking_after(max_connections, RECENTLY_USED)
}

/// As `options`, checking a connection again when it has been idle for `idle` or more.
pub fn options_checking_after(max_connections: u32, idle: Duration) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .test_before_acquire(false)
        .before_acquire(move |conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= idle {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
}

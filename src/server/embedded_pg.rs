//! A private PostgreSQL cluster for development: created on first use under the data
//! directory from the system's PostgreSQL binaries, started on a free loopback port, and
//! stopped cleanly on shutdown. Production never uses it (see `Config::production_problems`).

use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct EmbeddedPostgres {
    bin_dir: PathBuf,
    cluster_dir: PathBuf,
    run_as_postgres: bool,
    pub port: u16,
    pub database_url: String,
    stopped: bool,
}

const INSTALL_HINT: &str = "No PostgreSQL server binaries (initdb, pg_ctl) were found. Install them \
with `sudo apt-get install postgresql` (Debian/Ubuntu) or `brew install postgresql` (macOS), \
point PG_BIN_DIR at the folder that holds them, or set DATABASE_URL to use an existing database.";

/// Finds the folder with `initdb` and `pg_ctl`: `PG_BIN_DIR`, then Debian's versioned
/// folders (newest first), then `PATH`.
pub fn find_bin_dir() -> anyhow::Result<PathBuf> {
    let has_tools = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Ok(dir) = std::env::var("PG_BIN_DIR") {
        let dir = PathBuf::from(dir);
        if has_tools(&dir) {
            return Ok(dir);
        }
        bail!("PG_BIN_DIR={} does not contain initdb and pg_ctl. {INSTALL_HINT}", dir.display());
    }
    let mut versioned: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, e.path().join("bin")))
        })
        .filter(|(_, dir)| has_tools(dir))
        .collect();
    versioned.sort_by_key(|v| std::cmp::Reverse(v.0));
    if let Some((_, dir)) = versioned.into_iter().next() {
        return Ok(dir);
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if has_tools(&dir) {
                return Ok(dir);
            }
        }
    }
    bail!("{INSTALL_HINT}")
}

/// Whether the `postgres` user can enter `dir` (every folder above it must allow it).
fn postgres_can_enter(dir: &Path) -> bool {
    Command::new("runuser").args(["-u", "postgres", "--", "test", "-x"]).arg(dir).status().is_ok_and(|s| s.success())
}

fn free_loopback_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

impl EmbeddedPostgres {
    /// Creates the cluster if needed and starts it. `data_dir` is the app's data folder;
    /// the cluster lives in `data_dir/postgres`.
    pub fn start(data_dir: &Path) -> anyhow::Result<Self> {
        let bin_dir = find_bin_dir()?;
        let run_as_postgres = nix::unistd::Uid::effective().is_root();
        std::fs::create_dir_all(data_dir).with_context(|| format!("creating data directory {}", data_dir.display()))?;
        let mut data_dir = std::fs::canonicalize(data_dir)?;
        if run_as_postgres && !postgres_can_enter(&data_dir) {
            // e.g. a checkout under /root: `postgres` cannot reach it, so the cluster
            // lives in a system folder named after the checkout instead.
            let name: String = data_dir
                .display()
                .to_string()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            let fallback = PathBuf::from("/var/lib/attune").join(name.trim_matches('_'));
            std::fs::create_dir_all(&fallback)?;
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions("/var/lib/attune", std::fs::Permissions::from_mode(0o755))?;
            std::fs::set_permissions(&fallback, std::fs::Permissions::from_mode(0o755))?;
            tracing::info!(requested = %data_dir.display(), using = %fallback.display(), "the postgres user cannot reach the data directory; keeping the cluster elsewhere");
            data_dir = fallback;
        }
        let cluster_dir = data_dir.join("postgres");
        let socket_dir = data_dir.join("postgres-run");
        for dir in [&cluster_dir, &socket_dir] {
            std::fs::create_dir_all(dir)?;
        }
        if run_as_postgres {
            // initdb refuses to run as root, so the cluster belongs to `postgres`.
            let user = nix::unistd::User::from_name("postgres")
                .ok()
                .flatten()
                .context("running as root needs a `postgres` system user to own the embedded cluster (it comes with the postgresql package)")?;
            for dir in [&cluster_dir, &socket_dir] {
                nix::unistd::chown(dir.as_path(), Some(user.uid), Some(user.gid))
                    .with_context(|| format!("giving {} to the postgres user", dir.display()))?;
            }
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&cluster_dir, std::fs::Permissions::from_mode(0o700))?;
        }
        let mut pg = EmbeddedPostgres {
            bin_dir,
            cluster_dir,
            run_as_postgres,
            port: 0,
            database_url: String::new(),
            stopped: true,
        };
        if !pg.cluster_dir.join("PG_VERSION").exists() {
            tracing::info!(dir = %pg.cluster_dir.display(), "creating the embedded PostgreSQL cluster");
            pg.run(
                "initdb",
                &[
                    "-D",
                    &pg.cluster_dir.display().to_string(),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                    "--no-instructions",
                ],
            )?;
        }
        pg.port = free_loopback_port()?;
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off -c full_page_writes=off",
            pg.port,
            socket_dir.display()
        );
        // The log lives in a folder the cluster owner can write.
        let log = socket_dir.join("postgres.log");
        pg.run(
            "pg_ctl",
            &[
                "-D",
                &pg.cluster_dir.display().to_string(),
                "-o",
                &options,
                "-l",
                &log.display().to_string(),
                "-w",
                "-t",
                "60",
                "start",
            ],
        )
        .with_context(|| format!("starting PostgreSQL (its log is {})", log.display()))?;
        pg.stopped = false;
        pg.database_url = format!("postgres://postgres@127.0.0.1:{}/attune", pg.port);
        tracing::info!(port = pg.port, "embedded PostgreSQL is running");
        Ok(pg)
    }

    /// The URL of the cluster's maintenance database, for creating `attune`.
    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn run(&self, tool: &str, args: &[&str]) -> anyhow::Result<()> {
        let program = self.bin_dir.join(tool);
        let mut cmd = if self.run_as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        // Run from a folder every user can enter, so `postgres` is not stuck in ours.
        cmd.args(args).current_dir("/");
        let out = cmd.output().with_context(|| format!("running {}", program.display()))?;
        if !out.status.success() {
            bail!(
                "{tool} failed ({}): {}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout).trim(),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(())
    }

    pub fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        let dir = self.cluster_dir.display().to_string();
        match self.run("pg_ctl", &["-D", &dir, "-m", "fast", "-w", "stop"]) {
            Ok(()) => tracing::info!("embedded PostgreSQL stopped"),
            Err(e) => tracing::error!(error = %e, "stopping embedded PostgreSQL failed"),
        }
    }
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Creates `attune` in the embedded cluster when it is not there yet. Returns whether
/// it was created, so first-run work (demo data) can follow.
pub async fn ensure_database(pg: &EmbeddedPostgres) -> anyhow::Result<bool> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&pg.admin_url()).await?;
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'attune')")
        .fetch_one(&mut conn)
        .await?;
    if !exists {
        sqlx::query("CREATE DATABASE attune").execute(&mut conn).await?;
    }
    conn.close().await?;
    Ok(!exists)
}

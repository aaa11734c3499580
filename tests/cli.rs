//! The `attune` binary itself: refusals in production, the missing-PostgreSQL hint,
//! `--help`, and the private cluster's start and clean stop.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn attune() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_attune"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR")).env_remove("DATABASE_URL").env("RUST_LOG", "error");
    cmd
}

fn scratch_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("attune-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // The cluster belongs to `postgres` when tests run as root: it must reach the folder.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

#[test]
fn production_refuses_the_embedded_database_and_plain_http_and_says_why() {
    let out =
        attune().args(["--env", "production", "migrate"]).env("PUBLIC_URL", "http://attune.example").output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("needs DATABASE_URL"), "{err}");
    assert!(err.contains("https://"), "{err}");
}

#[test]
fn without_postgresql_binaries_it_says_what_to_install() {
    let dir = scratch_dir("nobin");
    let out = attune()
        .arg("migrate")
        .env("PG_BIN_DIR", dir.join("nothing-here"))
        .env("ATTUNE_DATA_DIR", &dir)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("apt-get install postgresql"), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn help_documents_every_environment_variable() {
    let out = attune().arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for var in [
        "DATABASE_URL",
        "ATTUNE_DATA_DIR",
        "PG_BIN_DIR",
        "ATTUNE_ENV",
        "PUBLIC_URL",
        "SMTP_URL",
        "MAIL_FROM",
        "TRUST_PROXY_HEADERS",
        "SESSION_IDLE_MINUTES",
        "SESSION_ABSOLUTE_HOURS",
        "ATTUNE_SERVE_JOBS",
        "DATABASE_MAX_CONNECTIONS",
        "ATTUNE_CONFIG",
        "LEPTOS_SITE_ADDR",
        "LEPTOS_SITE_ROOT",
        "RUST_LOG",
        "LOG_FORMAT",
    ] {
        assert!(help.contains(var), "--help does not mention {var}");
    }
    for cmd in ["serve", "worker", "migrate", "create-admin", "seed-demo"] {
        assert!(help.contains(cmd), "--help does not mention `{cmd}`");
    }
}

#[test]
fn the_private_cluster_starts_answers_and_stops_cleanly_on_sigterm() {
    let dir = scratch_dir("pg");
    let mut child = attune().arg("postgres").env("ATTUNE_DATA_DIR", &dir).stdout(Stdio::piped()).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url =
        line.trim().strip_prefix("DATABASE_URL=").unwrap_or_else(|| panic!("unexpected output: {line}")).to_owned();
    assert!(url.starts_with("postgres://postgres@127.0.0.1:"), "{url}");

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let answer: i32 = rt.block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::query_scalar("SELECT 41 + 1").fetch_one(&mut conn).await.unwrap()
    });
    assert_eq!(answer, 42);
    let pid_file = dir.join("postgres").join("postmaster.pid");
    assert!(pid_file.exists());

    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), nix::sys::signal::Signal::SIGTERM).unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "attune postgres did not stop");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "{status}");
    assert!(!pid_file.exists(), "the cluster must be shut down, not abandoned");
    let _ = std::fs::remove_dir_all(dir);
}

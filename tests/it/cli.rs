//! The `attune` binary itself: refusals in production, the missing-PostgreSQL hint,
//! `--help`, and the private cluster's start and clean stop.

use crate::helpers::Process;
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
        "JOB_RETENTION_DAYS",
        "OUTBOX_RETENTION_DAYS",
        "SESSION_IDLE_MINUTES",
        "SESSION_ABSOLUTE_HOURS",
        "ATTUNE_SERVE_JOBS",
        "DATABASE_MAX_CONNECTIONS",
        "METRICS_TOKEN",
        "OUTBOX_KEY",
        "ATTUNE_CONFIG",
        "LEPTOS_SITE_ADDR",
        "LEPTOS_SITE_ROOT",
        "RUST_LOG",
        "LOG_FORMAT",
    ] {
        assert!(help.contains(var), "--help does not mention {var}");
    }
    for cmd in ["serve", "worker", "migrate", "create-admin", "create-user", "seed-demo"] {
        assert!(help.contains(cmd), "--help does not mention `{cmd}`");
    }
}

#[test]
fn the_private_cluster_starts_answers_and_stops_cleanly_on_sigterm() {
    let dir = scratch_dir("pg");
    let mut child = Process::spawn(attune().arg("postgres").env("ATTUNE_DATA_DIR", &dir).stdout(Stdio::piped()));
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

    child.terminate();
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

#[test]
fn development_mode_refuses_to_serve_a_public_address_and_names_the_variable_to_set() {
    for (addr, url) in [("0.0.0.0:3000", None), ("127.0.0.1:3000", Some("https://attune.example"))] {
        let mut cmd = attune();
        cmd.arg("migrate").env_remove("ATTUNE_ENV").env("LEPTOS_SITE_ADDR", addr);
        match url {
            Some(u) => cmd.env("PUBLIC_URL", u),
            None => cmd.env_remove("PUBLIC_URL"),
        };
        let out = cmd.output().unwrap();
        assert!(!out.status.success(), "{addr} {url:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("ATTUNE_ENV=production"), "{err}");
    }
}

#[test]
fn demo_data_is_refused_in_production() {
    let out = attune()
        .args(["--env", "production", "seed-demo"])
        .env("PUBLIC_URL", "https://attune.example")
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("refusing to load demo data in production"), "{err}");
}

/// A TCP relay to PostgreSQL that can be switched to swallow every connection without
/// answering, as a database behind a dead network would.
struct Relay {
    port: u16,
    dead: std::sync::Arc<std::sync::atomic::AtomicBool>,
    swallowed: tokio::sync::mpsc::UnboundedReceiver<()>,
    links: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Relay {
    async fn start(upstream: (String, u16)) -> Relay {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let dead = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let links = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (tx, swallowed) = tokio::sync::mpsc::unbounded_channel();
        let (is_dead, all) = (dead.clone(), links.clone());
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((mut client, _)) = listener.accept().await {
                if is_dead.load(Ordering::SeqCst) {
                    held.push(client);
                    let _ = tx.send(());
                    continue;
                }
                let upstream = upstream.clone();
                all.lock().unwrap().push(tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                }));
            }
        });
        Relay { port, dead, swallowed, links }
    }

    /// From now on nothing answers, and the connections already open are cut.
    fn kill(&self) {
        self.dead.store(true, std::sync::atomic::Ordering::SeqCst);
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_stops_within_two_seconds_even_when_the_database_stops_answering() {
    let app = crate::helpers::spawn_app().await;
    let o = app.pool.connect_options();
    let mut relay = Relay::start((o.get_host().to_owned(), o.get_port())).await;
    let url = format!("postgres://{}@127.0.0.1:{}/{}", o.get_username(), relay.port, app.database);
    let mut worker = Process::spawn(
        std::process::Command::new(env!("CARGO_BIN_EXE_attune"))
            .arg("worker")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("DATABASE_URL", url)
            .env("RUST_LOG", "info")
            .stderr(Stdio::piped()),
    );
    let stderr = worker.stderr.take().unwrap();
    let (up_tx, up_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("job worker started") {
                let _ = up_tx.send(());
            }
        }
    });
    up_rx.recv_timeout(Duration::from_secs(30)).expect("the worker starts");
    relay.kill();
    tokio::time::timeout(Duration::from_secs(30), relay.swallowed.recv())
        .await
        .expect("the worker tries the dead database again");

    worker.terminate();
    let asked = Instant::now();
    let status = tokio::task::spawn_blocking(move || worker.wait().unwrap()).await.unwrap();
    let took = asked.elapsed();
    assert!(took < Duration::from_secs(2), "stopping took {took:?}");
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn create_user_makes_an_account_of_the_role_and_refuses_bad_input_without_writing() {
    use crate::helpers::{count, database_url, spawn_app};
    let app = spawn_app().await;
    let run = |args: &[&str], password: &str| {
        attune()
            .arg("create-user")
            .args(args)
            .env("DATABASE_URL", database_url(&app.pool))
            .env("ATTUNE_USER_PASSWORD", password)
            .env("ATTUNE_ENV", "development")
            .output()
            .unwrap()
    };
    let before = count(&app.pool, "users").await;

    let out = run(&["--role", "wizard", "--email", "x@example.com", "--name", "X"], "a long enough password");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("choose customer, practitioner or admin"));
    let out = run(&["--role", "customer", "--email", "x@example.com", "--name", "X"], "short");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("password"));
    assert_eq!(count(&app.pool, "users").await, before, "a refused command writes nothing");

    let out =
        run(&["--role", "practitioner", "--email", "Pat@Example.com", "--name", "Pat Lee"], "a long enough password");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let role: String = sqlx::query_scalar("SELECT role FROM users WHERE email = 'pat@example.com'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(role, "practitioner");
    let again = run(&["--role", "customer", "--email", "pat@example.com", "--name", "Pat"], "a long enough password");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
}

#[tokio::test]
async fn an_instance_of_the_previous_release_starts_on_a_database_a_newer_release_migrated() {
    let app = crate::helpers::spawn_app().await;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time)
         VALUES (99990101000001, 'a later release', now(), true, '\\x00', 0)",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    attune::server::migrate(&app.pool).await.expect("a migration from a later release does not stop this one");
    let later: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE version = 99990101000001")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(later, 1, "the later release's record is left as it is");
}

//! The test harness: the real application on a random port, over a database of its
//! own cloned from a migrated template, talked to over HTTP like a browser would.
//!
//! Migrations run once per test run (into a template named after a hash of the
//! migrations); each test then gets `CREATE DATABASE … TEMPLATE`, which takes a few
//! milliseconds. Each app has a manual clock, so expiry is tested by moving time, and
//! when a test ends the harness fails it if a job died that the test did not expect.
//! `TEST_LOG=1` shows the application's logs (filtered by `RUST_LOG`) beside a failing
//! test's assertion: the cause a user-facing "something went wrong" hides.

use attune::domain::Role;
use attune::server::clock::Clock;
use attune::server::config::{Config, Environment, PasswordCost};
use attune::server::state::AppState;
use attune::server::{http, migrate};
use leptos::config::LeptosOptions;
use reqwest::{Response, StatusCode};
use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, Executor, PgConnection, PgPool};
use std::str::FromStr;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

fn admin_url() -> String {
    std::env::var("DATABASE_URL")
        .expect("DATABASE_URL must point at a PostgreSQL server the tests may create databases on")
}

fn options_for(database: &str) -> PgConnectOptions {
    PgConnectOptions::from_str(&admin_url()).expect("DATABASE_URL parses").database(database)
}

/// The migrated template database, made once per test run (and per migration set).
fn template() -> &'static str {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        std::thread::spawn(|| {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(make_template())
        })
        .join()
        .expect("creating the template database")
    })
}

async fn make_template() -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    let mut files: Vec<_> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files {
        hash.update(f.file_name().unwrap().as_encoded_bytes());
        hash.update(std::fs::read(&f).unwrap());
    }
    let name = format!("attune_tpl_{}", &format!("{:x}", hash.finalize())[..16]);
    let mut admin = PgConnection::connect_with(&PgConnectOptions::from_str(&admin_url()).unwrap()).await.unwrap();
    // One process builds it; the others wait here and then find it made.
    admin.execute("SELECT pg_advisory_lock(727274)").await.unwrap();
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(&name)
        .fetch_one(&mut admin)
        .await
        .unwrap();
    if !exists {
        // Built under another name and renamed when complete, so a run that died
        // half-way never leaves a broken template behind.
        let building = format!("{name}_building");
        admin.execute(format!("DROP DATABASE IF EXISTS {building}").as_str()).await.unwrap();
        admin.execute(format!("CREATE DATABASE {building}").as_str()).await.unwrap();
        let pool = PgPoolOptions::new().max_connections(1).connect_with(options_for(&building)).await.unwrap();
        migrate(&pool).await.expect("migrations apply to an empty database");
        pool.close().await;
        admin.execute(format!("ALTER DATABASE {building} RENAME TO {name}").as_str()).await.unwrap();
    }
    admin.execute("SELECT pg_advisory_unlock(727274)").await.unwrap();
    name
}

/// The key every test app seals its outbox secrets with, so tests can open them.
pub const OUTBOX_KEY: &str = "dGVzdHMgb25seTogbmV2ZXIgYSByZWFsIGtleSEhISE=";

pub struct TestApp {
    pub base: String,
    pub pool: PgPool,
    pub state: AppState,
    pub clock: Clock,
    pub database: String,
    owns_database: bool,
    failed_jobs_expected: AtomicBool,
    users: AtomicUsize,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<std::thread::JoinHandle<()>>,
}

type Tweak = Box<dyn FnOnce(&mut Config)>;

/// How a test wants its app: configuration tweaks on top of the test defaults.
pub struct Builder {
    tweaks: Vec<Tweak>,
    shared_database: Option<String>,
    hasher: Option<attune::server::passwords::Hasher>,
}

impl Builder {
    /// A second instance of the app over `other`'s database, as a second server would be
    /// (its own pool, clock and caches). `other` keeps and drops the database.
    pub fn sharing_database_of(mut self, other: &TestApp) -> Self {
        self.shared_database = Some(other.database.clone());
        self
    }

    /// A password hashing pool of the test's choosing instead of one sized to the machine.
    pub fn hasher(mut self, hasher: attune::server::passwords::Hasher) -> Self {
        self.hasher = Some(hasher);
        self
    }

    pub fn config(mut self, tweak: impl FnOnce(&mut Config) + 'static) -> Self {
        self.tweaks.push(Box::new(tweak));
        self
    }

    pub async fn spawn(self) -> TestApp {
        log_when_asked();
        let owns_database = self.shared_database.is_none();
        let database = match self.shared_database {
            Some(name) => name,
            None => {
                let name = format!("attune_t_{}", uuid::Uuid::new_v4().simple());
                let mut admin =
                    PgConnection::connect_with(&PgConnectOptions::from_str(&admin_url()).unwrap()).await.unwrap();
                admin.execute(format!("CREATE DATABASE {name} TEMPLATE {}", template()).as_str()).await.unwrap();
                admin.close().await.unwrap();
                name
            }
        };
        let pool = attune::server::pool::options(20).connect_with(options_for(&database)).await.unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let base = format!("http://{addr}");
        let mut config = Config {
            env: Environment::Development,
            leptos: LeptosOptions::builder().output_name("attune").site_addr(addr).site_root("target/site").build(),
            public_url: base.clone(),
            smtp_url: None,
            storage: attune::server::storage::Storage::local(
                &std::env::temp_dir().join(format!("attune-it-uploads/{database}")),
            )
            .unwrap(),
            sms_url: None,
            sms_token: None,
            mail_from: "Attune <no-reply@attune.invalid>".into(),
            proxy_hops: 0,
            password_cost: PasswordCost::MinimalForTests,
            job_retention: Duration::from_secs(14 * 86_400),
            outbox_retention: Duration::from_secs(90 * 86_400),
            session_idle: Duration::from_secs(3600),
            session_absolute: Duration::from_secs(24 * 3600),
            run_jobs: false,
            payments: attune::server::payments::Provider::sandbox(None),
            metrics_token: None,
            outbox_key: Some(attune::server::sealing::SealingKey::parse(OUTBOX_KEY).unwrap()),
        };
        for tweak in self.tweaks {
            tweak(&mut config);
        }
        let clock = Clock::manual();
        let mut state = AppState::with_clock(pool.clone(), config, clock.clone());
        if let Some(hasher) = self.hasher {
            state.hasher = hasher;
        }
        let server_state = state.clone();
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        // The app runs on its own multi-threaded runtime, as in production: Leptos's SSR
        // streaming can stall on the single-threaded runtime each #[tokio::test] gets
        // (leptos-rs/leptos#4647).
        let server = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                tokio::select! {
                    _ = http::serve(listener, http::router(server_state), std::future::pending()) => {}
                    _ = stop => {}
                }
            });
            rt.shutdown_timeout(Duration::from_secs(5));
        });
        TestApp {
            base,
            pool,
            state,
            clock,
            database,
            owns_database,
            failed_jobs_expected: AtomicBool::new(false),
            users: AtomicUsize::new(0),
            shutdown: Some(shutdown),
            server: Some(server),
        }
    }
}

/// Installs a log subscriber once when `TEST_LOG` is set, writing through the test
/// harness's capture so only failing tests show their logs.
fn log_when_asked() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    if std::env::var_os("TEST_LOG").is_some() {
        ONCE.call_once(|| {
            let filter = tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
            let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
        });
    }
}

pub async fn spawn_app() -> TestApp {
    TestApp::builder().spawn().await
}

/// Like `spawn_app`, with the configuration adjusted by `tweak` first.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config) + 'static) -> TestApp {
    TestApp::builder().config(tweak).spawn().await
}

/// A user the harness made.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: uuid::Uuid,
    pub email: String,
}

impl TestApp {
    pub fn builder() -> Builder {
        Builder { tweaks: Vec::new(), shared_database: None, hasher: None }
    }

    /// Moves the app's clock forward.
    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    /// This test makes jobs fail on purpose; the end-of-test check allows it.
    pub fn expect_failed_jobs(&self) {
        self.failed_jobs_expected.store(true, Ordering::SeqCst);
    }

    /// A new user with `role` and the password `PASSWORD`.
    pub async fn user(&self, role: Role) -> TestUser {
        let n = self.users.fetch_add(1, Ordering::SeqCst);
        let email = format!("{}{n}@example.com", role.as_str());
        create_user(self, &email, PASSWORD, role).await
    }

    /// A browser signed in as a new user with `role`.
    pub async fn browser_as(&self, role: Role) -> (Browser<'_>, TestUser) {
        let user = self.user(role).await;
        let mut b = Browser::new(self);
        assert_eq!(b.log_in(&user.email, PASSWORD).await.status(), StatusCode::OK);
        (b, user)
    }

    /// Runs queued jobs until none is ready; returns how many ran.
    pub async fn run_jobs(&self) -> usize {
        let registry = attune::server::worker::registry();
        let mut n = 0;
        while attune::server::worker::run_one(&self.state, &registry).await.unwrap() {
            n += 1;
        }
        n
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.join();
        }
        if !self.owns_database {
            return;
        }
        if std::thread::panicking() {
            eprintln!("the failed test's database is kept for a look: {}", self.database);
            return;
        }
        let database = self.database.clone();
        let check = !self.failed_jobs_expected.load(Ordering::SeqCst);
        // Drop cannot await; the check and the clean-up run on a runtime of their own.
        let dead = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async move {
                let mut conn = PgConnection::connect_with(&options_for(&database)).await.unwrap();
                let dead: Vec<(String, Option<String>)> = if check {
                    sqlx::query_as("SELECT kind, last_error FROM jobs WHERE status = 'dead' OR (status = 'queued' AND attempts > 0)")
                        .fetch_all(&mut conn)
                        .await
                        .unwrap()
                } else {
                    Vec::new()
                };
                conn.close().await.unwrap();
                let mut admin =
                    PgConnection::connect_with(&PgConnectOptions::from_str(&admin_url()).unwrap()).await.unwrap();
                admin.execute(format!("DROP DATABASE {database} WITH (FORCE)").as_str()).await.unwrap();
                dead
            })
        })
        .join()
        .unwrap();
        assert!(dead.is_empty(), "jobs failed that the test did not expect: {dead:?}");
    }
}

/// One browser: it keeps its session cookie itself so tests can look at and replay it.
#[derive(Clone)]
pub struct Browser<'a> {
    pub app: &'a TestApp,
    pub cookie: Option<String>,
    http: reqwest::Client,
}

pub fn session_cookie_of(res: &Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("attune_session="))
        .map(|v| v.split(';').next().unwrap().to_owned())
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        Browser { app, cookie: None, http }
    }

    /// Calls a server function the way the hydrated app does (fetch, JSON answer).
    pub async fn call(&mut self, endpoint: &str, form: &[(&str, &str)]) -> Response {
        self.call_with(endpoint, form, &[("origin", self.app.base.clone().as_str())]).await
    }

    pub async fn call_with(&mut self, endpoint: &str, form: &[(&str, &str)], headers: &[(&str, &str)]) -> Response {
        let mut req = self.http.post(format!("{}/api/{endpoint}", self.app.base)).form(form);
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("accept")) {
            req = req.header("accept", "application/json");
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c);
        }
        let res = req.send().await.unwrap();
        if let Some(c) = session_cookie_of(&res) {
            // An expired cookie (Max-Age=0) means the session ended.
            let cleared =
                res.headers().get_all("set-cookie").iter().any(|v| v.to_str().unwrap_or("").contains("Max-Age=0"));
            self.cookie = if cleared { None } else { Some(c) };
        }
        res
    }

    /// Posts a multipart form to a page route, as a browser's form upload does.
    pub async fn upload(&self, path: &str, form: reqwest::multipart::Form) -> Response {
        let mut req =
            self.http.post(format!("{}{path}", self.app.base)).multipart(form).header("origin", self.app.base.as_str());
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c);
        }
        req.send().await.unwrap()
    }

    pub async fn get(&self, path: &str) -> Response {
        let mut req = self.http.get(format!("{}{path}", self.app.base));
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c);
        }
        req.send().await.unwrap()
    }

    pub async fn me(&mut self) -> Value {
        let res = self.call("auth/me", &[]).await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }

    /// Signs up as a person does: the form, then the link emailed to the address (when
    /// one was sent). Answers the form's refusal, or the link's answer.
    pub async fn sign_up(&mut self, name: &str, email: &str, password: &str) -> Response {
        let asked = self.call("auth/signup", &[("name", name), ("email", email), ("password", password)]).await;
        if asked.status() != StatusCode::OK {
            return asked;
        }
        self.confirm_sign_up(email).await.unwrap_or(asked)
    }

    /// Opens the newest sign-up link emailed to `email`, if one waits in the outbox.
    pub async fn confirm_sign_up(&mut self, email: &str) -> Option<Response> {
        let link = secret_link_from_outbox(&self.app.pool, "confirm_sign_up", email).await?;
        let token = link.split_once("token=").expect("a token in the link").1.to_owned();
        Some(self.call("auth/signup/confirm", &[("token", &token)]).await)
    }

    pub async fn log_in(&mut self, email: &str, password: &str) -> Response {
        self.call("auth/login", &[("email", email), ("password", password)]).await
    }
}

/// The JSON error a server function answered with.
pub async fn error_of(res: Response) -> (StatusCode, Value) {
    let status = res.status();
    let body: Value = res.json().await.expect("error body is JSON");
    (status, body)
}

/// A URL for the database behind `pool`, for running the binary against it.
pub fn database_url(pool: &PgPool) -> String {
    let o = pool.connect_options();
    format!(
        "postgres://{}@{}:{}/{}",
        o.get_username(),
        o.get_host(),
        o.get_port(),
        o.get_database().unwrap_or("postgres")
    )
}

/// A secret waiting in the outbox, opened with the test apps' key.
pub fn open_sealed(marker: &str, sealed: &str) -> String {
    let key = attune::server::sealing::SealingKey::parse(OUTBOX_KEY).unwrap();
    key.open(sealed, marker).expect("the test apps' key seals the outbox")
}

/// The links of the `template` emails to `to` still waiting in the outbox, newest first.
pub async fn secret_links_from_outbox(pool: &PgPool, template: &str, to: &str) -> Vec<String> {
    let sealed: Vec<(String, String)> = sqlx::query_as(
        "SELECT secret_marker, secret_value FROM email_outbox WHERE template = $1 AND lower(to_address) = lower(trim($2))
         AND secret_value IS NOT NULL ORDER BY id DESC",
    )
    .bind(template)
    .bind(to)
    .fetch_all(pool)
    .await
    .unwrap();
    sealed.iter().map(|(marker, value)| open_sealed(marker, value)).collect()
}

/// The link of the newest `template` email to `to` still waiting in the outbox, if any.
pub async fn secret_link_from_outbox(pool: &PgPool, template: &str, to: &str) -> Option<String> {
    secret_links_from_outbox(pool, template, to).await.into_iter().next()
}

pub async fn count(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}")).fetch_one(pool).await.unwrap()
}

/// Creates a user with a given role straight through the service layer.
pub async fn create_user(app: &TestApp, email: &str, password: &str, role: Role) -> TestUser {
    use attune::domain::{Email, Password, PersonName};
    let created = attune::server::accounts::sign_up(
        &app.state,
        attune::server::accounts::NewAccount {
            email: Email::parse(email).unwrap(),
            password: Password::parse_new(password, "password", None).unwrap(),
            name: PersonName::parse("Test Person").unwrap(),
            role,
            time_zone: attune::domain::TimeZone::utc(),
        },
    )
    .await
    .unwrap();
    TestUser { id: created.user.id, email: created.user.email.expect("made with an email") }
}

/// A browser signed in as a new user with `role`.
pub async fn signed_in<'a>(app: &'a TestApp, email: &str, role: Role) -> Browser<'a> {
    create_user(app, email, PASSWORD, role).await;
    let mut b = Browser::new(app);
    assert_eq!(b.log_in(email, PASSWORD).await.status(), reqwest::StatusCode::OK);
    b
}

/// A minimal SMTP peer on loopback that accepts every message and keeps what it got.
pub async fn spawn_smtp() -> (u16, std::sync::Arc<tokio::sync::Mutex<Vec<String>>>) {
    spawn_smtp_replying(None).await
}

/// Like `spawn_smtp`, but every recipient is answered with `rcpt_reply` (e.g. a 550).
pub async fn spawn_smtp_replying(
    rcpt_reply: Option<&'static str>,
) -> (u16, std::sync::Arc<tokio::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = std::sync::Arc::new(tokio::sync::Mutex::new(Vec::new()));
    let store = received.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let store = store.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 test ESMTP\r\n").await.unwrap();
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(body) = data.as_mut() {
                        if line == "." {
                            store.lock().await.push(data.take().unwrap());
                            write.write_all(b"250 queued\r\n").await.unwrap();
                        } else {
                            body.push_str(&line);
                            body.push('\n');
                        }
                        continue;
                    }
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" => b"250-test\r\n250 8BITMIME\r\n",
                        "DATA" => {
                            data = Some(String::new());
                            b"354 go ahead\r\n"
                        }
                        "RCPT" if rcpt_reply.is_some() => {
                            write.write_all(format!("{}\r\n", rcpt_reply.unwrap()).as_bytes()).await.unwrap();
                            continue;
                        }
                        "QUIT" => {
                            write.write_all(b"221 bye\r\n").await.unwrap();
                            break;
                        }
                        _ => b"250 ok\r\n",
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, received)
}

pub const PASSWORD: &str = "a long enough passphrase";

/// A practitioner whose onboarding is approved, with the profile address `live-<id>`.
pub async fn approved_practitioner(app: &TestApp) -> TestUser {
    use attune::domain::onboarding::OnboardingState;
    use attune::server::onboarding::transition;
    let user = app.user(Role::Practitioner).await;
    // Everything the wizard makes an approved profile hold.
    sqlx::query(
        "UPDATE practitioner_profiles SET step_reached = 6, slug = $2, first_name = 'Test', last_name = 'Person',
                location = 'Lisbon, Portugal', practice_type = 'Astrology', specialties = '{Birth charts}',
                languages = '{English}', years_experience = 5, headline = 'Practical readings for real questions',
                bio = 'I read birth charts with care: calm, practical sessions about the questions you bring, with notes to keep.'
         WHERE user_id = $1",
    )
        .bind(user.id)
        .bind(format!("live-{}", user.id.simple()))
        .execute(&app.pool)
        .await
        .unwrap();
    let now = app.state.clock.now();
    let mut tx = app.pool.begin().await.unwrap();
    transition(&mut tx, user.id, OnboardingState::Submitted, Some(user.id), "Submitted for review", now).await.unwrap();
    transition(&mut tx, user.id, OnboardingState::Approved, None, "Approved", now).await.unwrap();
    tx.commit().await.unwrap();
    user
}

/// A process the test started, stopped when dropped, so a failing test leaves nothing
/// running behind it (a leftover would also hold the test run's output open). It is
/// asked to stop with SIGTERM, as a service manager would, and killed if it has not
/// stopped within ten seconds.
pub struct Process(std::process::Child);

impl Process {
    pub fn spawn(command: &mut std::process::Command) -> Process {
        Process(command.spawn().unwrap_or_else(|e| panic!("{:?} starts: {e}", command.get_program())))
    }

    fn pid(&self) -> nix::unistd::Pid {
        nix::unistd::Pid::from_raw(self.0.id() as i32)
    }

    pub fn terminate(&self) {
        nix::sys::signal::kill(self.pid(), nix::sys::signal::Signal::SIGTERM).unwrap();
    }
}

impl std::ops::Deref for Process {
    type Target = std::process::Child;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Process {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        use nix::sys::wait::{Id, WaitPidFlag, waitid};
        use std::sync::mpsc::{RecvTimeoutError, channel};
        if !matches!(self.0.try_wait(), Ok(None)) {
            return;
        }
        self.terminate();
        let pid = self.pid();
        let (stopped, on_stop) = channel::<()>();
        let deadline = std::thread::spawn(move || {
            if let Err(RecvTimeoutError::Timeout) = on_stop.recv_timeout(Duration::from_secs(10)) {
                let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
            }
        });
        // Waits for the exit without reaping it, so until `deadline` has finished the
        // process id is still this child's and the kill can reach no other process.
        let _ = waitid(Id::Pid(pid), WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT);
        drop(stopped);
        let _ = deadline.join();
        let _ = self.0.wait();
    }
}

/// Asserts that the database function `allowed` (`<name>_transition_allowed(from, to)`)
/// and the code's `can_move_to` agree on every pair of `states`.
pub async fn database_agrees_on_every_move<S: Copy + std::fmt::Debug>(
    pool: &PgPool,
    allowed: &str,
    states: &[S],
    name: impl Fn(S) -> &'static str,
    can_move_to: impl Fn(S, S) -> bool,
) {
    for &from in states {
        for &to in states {
            let db: bool = sqlx::query_scalar(&format!("SELECT {allowed}($1, $2)"))
                .bind(name(from))
                .bind(name(to))
                .fetch_one(pool)
                .await
                .unwrap();
            assert_eq!(db, can_move_to(from, to), "{allowed}: {from:?} -> {to:?}");
        }
    }
}

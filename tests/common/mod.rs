//! Spawns the real application on a random port against a fresh database (one per
//! test, made by `#[sqlx::test]`) and talks to it over HTTP like a browser would.

#![allow(dead_code)]

use attune::server::config::{Config, Environment};
use attune::server::state::AppState;
use attune::server::{http, migrate};
use leptos::config::LeptosOptions;
use reqwest::{Response, StatusCode};
use serde_json::Value;
use sqlx::PgPool;
use std::time::Duration;

pub struct TestApp {
    pub base: String,
    pub pool: PgPool,
    pub state: AppState,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<std::thread::JoinHandle<()>>,
}

pub async fn spawn_app(pool: PgPool) -> TestApp {
    spawn_app_with(pool, |_| {}).await
}

/// Like `spawn_app`, with the configuration adjusted by `tweak` first.
///
/// The app runs on its own multi-threaded runtime, as in production: Leptos's SSR
/// streaming can stall on a single-threaded runtime (leptos-rs/leptos#4647), which is
/// what each `#[sqlx::test]` gets.
pub async fn spawn_app_with(pool: PgPool, tweak: impl FnOnce(&mut Config)) -> TestApp {
    migrate(&pool).await.expect("migrations");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    let mut config = Config {
        env: Environment::Development,
        leptos: LeptosOptions::builder().output_name("attune").site_addr(addr).site_root("target/site").build(),
        public_url: base.clone(),
        smtp_url: None,
        mail_from: "Attune <no-reply@attune.invalid>".into(),
        trust_proxy: false,
        session_idle: Duration::from_secs(3600),
        session_absolute: Duration::from_secs(24 * 3600),
        run_jobs: false,
    };
    tweak(&mut config);
    let state = AppState::new(pool.clone(), config);
    let server_state = state.clone();
    let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
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
    TestApp { base, pool, state, shutdown: Some(shutdown), server: Some(server) }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.join();
        }
    }
}

/// One browser: it keeps its session cookie itself so tests can look at and replay it.
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

    pub async fn sign_up(&mut self, name: &str, email: &str, password: &str) -> Response {
        self.call("auth/signup", &[("name", name), ("email", email), ("password", password)]).await
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

pub async fn count(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}")).fetch_one(pool).await.unwrap()
}

/// Creates a user with a given role straight through the service layer.
pub async fn create_user(app: &TestApp, email: &str, password: &str, role: attune::domain::Role) {
    use attune::domain::{Email, Password, PersonName};
    attune::server::accounts::sign_up(
        &app.state,
        attune::server::accounts::NewAccount {
            email: Email::parse(email).unwrap(),
            password: Password::parse_new(password, "password", None).unwrap(),
            name: PersonName::parse("Test Person").unwrap(),
            role,
        },
    )
    .await
    .unwrap();
}

/// A browser signed in as a new user with `role`.
pub async fn signed_in<'a>(app: &'a TestApp, email: &str, role: attune::domain::Role) -> Browser<'a> {
    create_user(app, email, PASSWORD, role).await;
    let mut b = Browser::new(app);
    assert_eq!(b.log_in(email, PASSWORD).await.status(), reqwest::StatusCode::OK);
    b
}

/// A minimal SMTP peer on loopback that accepts every message and keeps what it got.
pub async fn spawn_smtp() -> (u16, std::sync::Arc<tokio::sync::Mutex<Vec<String>>>) {
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

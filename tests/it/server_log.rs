//! What `attune serve` writes to its log while it serves pages: for pages that work,
//! no errors.

use crate::helpers::{Process, database_url, spawn_app};
use attune::domain::Role;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `attune serve` on `database` and a free loopback port, logging to a pipe; and its
/// address.
fn serve(database: &str) -> (Process, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let server = Process::spawn(
        Command::new(env!("CARGO_BIN_EXE_attune"))
            .arg("serve")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_remove("ATTUNE_ENV")
            .env("DATABASE_URL", database)
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("PUBLIC_URL", &base)
            .env("ATTUNE_SERVE_JOBS", "false")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped()),
    );
    (server, base)
}

async fn wait_until_ready(http: &reqwest::Client, base: &str) {
    let started = Instant::now();
    while !http.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
        assert!(started.elapsed() < Duration::from_secs(60), "attune serve did not become ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A practitioner still in onboarding opening the practice pages is sent to the wizard
/// as soon as the first load refuses. Each page used to start a second load it then
/// never read, which ran on after the request had ended, found no app state there and
/// was logged as an internal error ("AppState missing from context", request id none):
/// in about one request in seven, so two hundred of them, twenty at a time, show it.
#[tokio::test]
async fn pages_that_send_a_practitioner_to_the_wizard_leave_no_load_behind_to_fail_in_the_log() {
    let app = spawn_app().await;
    let (browser, _) = app.browser_as(Role::Practitioner).await;
    let cookie = browser.cookie.clone().expect("signed in");
    let (mut server, base) = serve(&database_url(&app.pool));
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    wait_until_ready(&http, &base).await;

    for round in 0..10 {
        let pages = (0..20).map(|i| {
            let path = if (round + i) % 2 == 0 { "/practitioner" } else { "/practitioner/services/new" };
            let req = http.get(format!("{base}{path}")).header("cookie", &cookie).header("accept", "text/html");
            async move { (path, req.send().await.unwrap()) }
        });
        for (path, res) in futures::future::join_all(pages).await {
            assert_eq!(res.status(), reqwest::StatusCode::FOUND, "{path}");
            assert_eq!(res.headers()["location"], "/onboarding", "{path}");
        }
    }
    // On SIGTERM the server lets whatever the requests left running finish before it
    // exits, so anything such work logs is in the log read below.
    server.terminate();
    let status = server.wait().unwrap();
    assert!(status.success(), "{status}");
    let mut log = String::new();
    server.stderr.take().unwrap().read_to_string(&mut log).unwrap();
    assert!(!log.contains("still running"), "the server stopped before the requests' work ended:\n{log}");
    let errors: Vec<&str> = log.lines().filter(|l| l.contains("ERROR")).collect();
    assert!(errors.is_empty(), "the server logged errors:\n{}", errors.join("\n"));
}

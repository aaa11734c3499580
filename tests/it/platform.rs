//! Password reset, the job queue and outbox, statistics and the operational endpoints.

use crate::helpers::*;
use attune::domain::Role;
use attune::server::jobs::{Enqueue, Job, JobError, enqueue, enqueue_with};
use attune::server::worker::{Registry, queue_due, run_one};
use reqwest::StatusCode;
use serde_json::json;
use sqlx::PgPool;

/// The token of the newest reset link, opened from where it waits, sealed, for delivery.
pub async fn reset_token_from_outbox(pool: &PgPool) -> String {
    let (marker, sealed): (String, String) = sqlx::query_as(
        "SELECT secret_marker, secret_value FROM email_outbox WHERE template = 'password_reset' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let link = open_sealed(&marker, &sealed);
    link.split_once("token=").expect("reset link in the email").1.to_owned()
}

#[tokio::test]
async fn a_reset_link_works_once_and_ends_every_session() {
    let app = spawn_app().await;
    let mut old = signed_in(&app, "sam@example.com", Role::Customer).await;

    let mut b = Browser::new(&app);
    assert_eq!(b.call("auth/forgot", &[("email", "Sam@Example.com")]).await.status(), StatusCode::OK);
    let token = reset_token_from_outbox(&app.pool).await;
    let stored: Vec<u8> =
        sqlx::query_scalar("SELECT token_hash FROM password_reset_tokens").fetch_one(&app.pool).await.unwrap();
    assert_ne!(stored, token.as_bytes(), "only a hash of the token is stored");

    let (status, err) = error_of(b.call("auth/reset", &[("token", &token), ("password", "short")]).await).await;
    assert_eq!((status, err["Invalid"]["field"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("password")));

    let new = "brand new passphrase";
    let res = b.call("auth/reset", &[("token", &token), ("password", new)]).await;
    assert_eq!(res.status(), StatusCode::OK, "a weak first try must not use up the link");
    assert_eq!(res.headers()["location"], "/login?reset=1");
    assert_eq!(old.me().await, json!(null), "a reset ends every session");

    let (status, err) =
        error_of(b.call("auth/reset", &[("token", &token), ("password", "yet another passphrase")]).await).await;
    assert_eq!((status, err), (StatusCode::GONE, json!("ResetLinkInvalid")));
    assert_eq!(b.log_in("sam@example.com", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(b.log_in("sam@example.com", new).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_expired_reset_link_is_refused() {
    let app = spawn_app().await;
    create_user(&app, "sam@example.com", PASSWORD, Role::Customer).await;
    let mut b = Browser::new(&app);
    b.call("auth/forgot", &[("email", "sam@example.com")]).await;
    let token = reset_token_from_outbox(&app.pool).await;
    let minutes: f64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM expires_at - created_at)::float8 / 60 FROM password_reset_tokens",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(minutes.round(), 30.0);
    app.advance(std::time::Duration::from_secs(29 * 60));
    let early = app.state.clock.now();
    assert!(
        early
            < attune::server::clock::from_db(
                sqlx::query_scalar("SELECT expires_at FROM password_reset_tokens").fetch_one(&app.pool).await.unwrap()
            )
    );
    app.advance(std::time::Duration::from_secs(60));
    let (status, err) =
        error_of(b.call("auth/reset", &[("token", &token), ("password", "brand new passphrase")]).await).await;
    assert_eq!((status, err), (StatusCode::GONE, json!("ResetLinkInvalid")));
    assert_eq!(b.log_in("sam@example.com", PASSWORD).await.status(), StatusCode::OK, "the password is unchanged");
}

#[tokio::test]
async fn asking_for_a_reset_reveals_nothing_about_who_has_an_account() {
    let app = spawn_app().await;
    create_user(&app, "sam@example.com", PASSWORD, Role::Customer).await;
    let outbox = count(&app.pool, "email_outbox").await;
    let mut b = Browser::new(&app);
    let known = b.call("auth/forgot", &[("email", "sam@example.com")]).await;
    let unknown = b.call("auth/forgot", &[("email", "ghost@example.com")]).await;
    assert_eq!(known.status(), unknown.status());
    assert_eq!(known.headers()["location"], unknown.headers()["location"]);
    let sent: Vec<(String, String)> =
        sqlx::query_as("SELECT to_address, template FROM email_outbox ORDER BY id DESC LIMIT 2")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(count(&app.pool, "email_outbox").await, outbox + 2, "each address gets one email");
    assert_eq!(
        sent,
        [
            ("ghost@example.com".into(), "reset_without_account".into()),
            ("sam@example.com".into(), "password_reset".into())
        ],
        "only the account's owner gets a link"
    );
    let (status, err) = error_of(b.call("auth/forgot", &[("email", "not an email")]).await).await;
    assert_eq!((status, err["Invalid"]["field"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("email")));
}

#[tokio::test]
async fn without_smtp_emails_are_kept_in_the_outbox_and_the_job_completes() {
    let app = spawn_app().await;
    create_user(&app, "ada@example.com", PASSWORD, Role::Customer).await;
    assert_eq!(app.run_jobs().await, 1);
    assert_eq!(app.run_jobs().await, 0, "the queue is empty");
    let (status, attempts): (String, i32) =
        sqlx::query_as("SELECT status, attempts FROM email_outbox").fetch_one(&app.pool).await.unwrap();
    assert_eq!((status.as_str(), attempts), ("held", 1));
    let job: String = sqlx::query_scalar("SELECT status FROM jobs").fetch_one(&app.pool).await.unwrap();
    assert_eq!(job, "done");
    // Running the delivery again must not send or count twice.
    attune::server::email::deliver(&app.state, 1).await.unwrap();
    let attempts: i32 = sqlx::query_scalar("SELECT attempts FROM email_outbox").fetch_one(&app.pool).await.unwrap();
    assert_eq!(attempts, 1);
}

/// Fails transiently until the clock passes `until` (unix seconds), then succeeds.
#[derive(serde::Serialize, serde::Deserialize)]
struct Flaky {
    permanent: bool,
}

impl Job for Flaky {
    const NAME: &'static str = "flaky";
    const MAX_ATTEMPTS: i32 = 2;

    async fn run(self, _state: &attune::server::state::AppState) -> Result<(), JobError> {
        if self.permanent {
            Err(JobError::Permanent("this can never work".into()))
        } else {
            Err(JobError::Transient("the far side is down".into()))
        }
    }
}

async fn queue_flaky(app: &TestApp, permanent: bool) {
    let mut conn = app.pool.acquire().await.unwrap();
    enqueue(&mut conn, &Flaky { permanent }, app.state.clock.now()).await.unwrap();
}

#[tokio::test]
async fn failing_jobs_retry_with_backoff_then_die_and_show_in_the_admin_panel() {
    let app = spawn_app().await;
    app.expect_failed_jobs();
    let registry = Registry::default().register::<Flaky>();
    queue_flaky(&app, false).await;
    assert!(run_one(&app.state, &registry).await.unwrap());
    let (status, attempts, delay): (String, i32, f64) =
        sqlx::query_as("SELECT status, attempts, extract(epoch FROM run_at - $1)::float8 FROM jobs")
            .bind(app.state.clock.now_db())
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), attempts), ("queued", 1));
    assert!((9.0..=10.5).contains(&delay), "first retry after ~10 s, got {delay}");
    assert!(!run_one(&app.state, &registry).await.unwrap(), "not before its retry time");

    app.advance(std::time::Duration::from_secs(11));
    assert!(run_one(&app.state, &registry).await.unwrap());
    let (status, error): (String, String) =
        sqlx::query_as("SELECT status, last_error FROM jobs").fetch_one(&app.pool).await.unwrap();
    assert_eq!(status, "dead", "its last attempt failed");
    assert!(error.contains("far side is down"), "{error}");

    let mut admin = signed_in(&app, "boss@example.com", Role::Admin).await;
    let jobs: serde_json::Value = admin.call("admin/jobs", &[]).await.json().await.unwrap();
    assert_eq!(jobs[0]["status"], "dead");
    assert_eq!(jobs[0]["kind"], "flaky");
}

#[tokio::test]
async fn a_permanent_failure_or_an_unknown_kind_is_dead_at_once() {
    let app = spawn_app().await;
    app.expect_failed_jobs();
    let registry = Registry::default().register::<Flaky>();
    queue_flaky(&app, true).await;
    let now = app.state.clock.now_db();
    sqlx::query("INSERT INTO jobs (kind, payload, run_at) VALUES ('no_such_kind', '{}', $1)")
        .bind(now)
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO jobs (kind, payload, run_at) VALUES ('flaky', '{\"wrong\": 1}', $1)")
        .bind(now)
        .execute(&app.pool)
        .await
        .unwrap();
    while run_one(&app.state, &registry).await.unwrap() {}
    let jobs: Vec<(String, String, i32, String)> =
        sqlx::query_as("SELECT kind, status, attempts, last_error FROM jobs ORDER BY id")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(jobs.len(), 3);
    for (kind, status, attempts, _) in &jobs {
        assert_eq!((status.as_str(), *attempts), ("dead", 1), "{kind}");
    }
    assert!(jobs[0].3.contains("can never work"));
    assert!(jobs[1].3.contains("no handler"));
    assert!(jobs[2].3.contains("payload does not fit flaky"), "{}", jobs[2].3);
}

#[tokio::test]
async fn a_dedup_key_queues_a_job_once_and_run_at_delays_it() {
    let app = spawn_app().await;
    app.expect_failed_jobs();
    let registry = Registry::default().register::<Flaky>();
    let mut conn = app.pool.acquire().await.unwrap();
    let later = app.state.clock.now() + jiff::SignedDuration::from_hours(1);
    let opts = || Enqueue { run_at: later, dedup_key: Some("booking-42".into()) };
    assert!(enqueue_with(&mut conn, &Flaky { permanent: true }, opts()).await.unwrap().is_some());
    assert!(
        enqueue_with(&mut conn, &Flaky { permanent: true }, opts()).await.unwrap().is_none(),
        "the repeat is dropped"
    );
    drop(conn);
    assert_eq!(count(&app.pool, "jobs").await, 1);
    assert!(!run_one(&app.state, &registry).await.unwrap(), "not before its time");
    app.advance(std::time::Duration::from_secs(3601));
    assert!(run_one(&app.state, &registry).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_recurring_job_is_queued_once_per_period_however_many_workers_ask() {
    let app = spawn_app().await;
    let registry = attune::server::worker::registry();
    let mut asks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (state, registry) = (app.state.clone(), registry.clone());
        asks.spawn(async move { queue_due(&state, &registry).await.unwrap() });
    }
    let kinds = registry.recurring_kinds();
    assert!(kinds >= 2, "housekeeping and credit expiry");
    let queued: usize = asks.join_all().await.into_iter().sum();
    assert_eq!(queued, kinds, "eight workers asking at once queue one job of each recurring kind");
    assert_eq!(queue_due(&app.state, &registry).await.unwrap(), 0, "not again within the hour");
    app.advance(std::time::Duration::from_secs(86_400));
    assert_eq!(queue_due(&app.state, &registry).await.unwrap(), kinds, "the next period queues the next ones");
    assert_eq!(app.run_jobs().await, 2 * kinds);
    let done: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs WHERE kind = 'housekeeping' AND status = 'done'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(done, 2);
}

#[tokio::test]
async fn housekeeping_deletes_old_finished_jobs_and_delivered_emails_but_keeps_dead_ones() {
    let app = spawn_app_with(|c| {
        c.job_retention = std::time::Duration::from_secs(86_400);
        c.outbox_retention = std::time::Duration::from_secs(2 * 86_400);
    })
    .await;
    create_user(&app, "sam@example.com", PASSWORD, Role::Customer).await;
    assert_eq!(app.run_jobs().await, 1);
    sqlx::query(
        "INSERT INTO jobs (kind, payload, status, attempts, finished_at) VALUES ('old', '{}', 'dead', 1, now())",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    app.expect_failed_jobs();
    let registry = attune::server::worker::registry();
    let housekeeping = || async {
        assert_eq!(queue_due(&app.state, &registry).await.unwrap(), registry.recurring_kinds());
        app.run_jobs().await;
    };
    app.advance(std::time::Duration::from_secs(3600));
    housekeeping().await;
    assert_eq!(count(&app.pool, "email_outbox").await, 1, "kept within its retention");
    app.advance(std::time::Duration::from_secs(2 * 86_400));
    housekeeping().await;
    assert_eq!(count(&app.pool, "email_outbox").await, 0, "a delivered email past its retention is gone");
    let kinds: Vec<(String, String)> =
        sqlx::query_as("SELECT kind, status FROM jobs ORDER BY id").fetch_all(&app.pool).await.unwrap();
    assert!(!kinds.iter().any(|(k, _)| k == "deliver_email"), "finished jobs past retention are gone: {kinds:?}");
    assert!(kinds.contains(&("old".into(), "dead".into())), "dead jobs stay for people to look at: {kinds:?}");
}

#[tokio::test]
async fn two_workers_never_claim_the_same_job() {
    let app = spawn_app().await;
    for i in 0..6 {
        create_user(&app, &format!("p{i}@example.com"), PASSWORD, Role::Customer).await;
    }
    let (a, c) = tokio::join!(
        async {
            let registry = attune::server::worker::registry();
            let mut n = 0;
            while run_one(&app.state, &registry).await.unwrap() {
                n += 1
            }
            n
        },
        async {
            let registry = attune::server::worker::registry();
            let mut n = 0;
            while run_one(&app.state, &registry).await.unwrap() {
                n += 1
            }
            n
        },
    );
    assert_eq!(a + c, 6);
    let attempts: Vec<i32> =
        sqlx::query_scalar("SELECT attempts FROM email_outbox").fetch_all(&app.pool).await.unwrap();
    assert_eq!(attempts, vec![1; 6], "each email was handled exactly once");
}

#[tokio::test]
async fn the_admin_outbox_lists_emails_and_hides_reset_links() {
    let app = spawn_app().await;
    create_user(&app, "boss@example.com", PASSWORD, Role::Admin).await;
    let mut b = Browser::new(&app);
    b.call("auth/forgot", &[("email", "boss@example.com")]).await;
    b.log_in("boss@example.com", PASSWORD).await;
    let rows: serde_json::Value = b.call("admin/outbox", &[]).await.json().await.unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 2);
    assert_eq!(rows[0]["template"], "password_reset");
    assert!(rows[0]["subject"].as_str().unwrap().contains("link hidden"));
    assert!(!rows.to_string().contains("token="));
}

#[tokio::test]
async fn home_statistics_are_real_counts_and_zero_on_an_empty_database() {
    let app = spawn_app().await;
    let mut b = Browser::new(&app);
    let stats: serde_json::Value = b.call("catalog/stats", &[]).await.json().await.unwrap();
    let s = &stats["Available"];
    assert_eq!(
        (s["practitioners"].clone(), s["customers"].clone(), s["service_types"].clone()),
        (json!(0), json!(0), json!(0))
    );
    assert!(s["as_of"].as_str().unwrap().starts_with("20"));

    let app2 = TestApp::builder().sharing_database_of(&app).spawn().await;
    let live = create_user(&app2, "p@example.com", PASSWORD, Role::Practitioner).await;
    let other = create_user(&app2, "q@example.com", PASSWORD, Role::Practitioner).await;
    create_user(&app2, "c@example.com", PASSWORD, Role::Customer).await;
    sqlx::query("UPDATE practitioner_profiles SET step_reached = 6, slug = 'p', onboarding_state = 'submitted' WHERE user_id = $1")
        .bind(live.id)
        .execute(&app2.pool)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE practitioner_profiles SET onboarding_state = 'approved', approved_at = now() WHERE user_id = $1",
    )
    .bind(live.id)
    .execute(&app2.pool)
    .await
    .unwrap();
    // Live means approved with a published service of a listed type.
    sqlx::query("INSERT INTO service_types (slug, name) VALUES ('coaching', 'Coaching')")
        .execute(&app2.pool)
        .await
        .unwrap();
    for practitioner in [live.id, other.id] {
        sqlx::query(
            "INSERT INTO services (practitioner_id, type_id, slug, title, description, delivery, price_credits, status,
                                   created_at, updated_at)
             SELECT $1, id, 'notes-' || $1, 'Coaching notes', 'Written notes on your goals and the steps towards them.',
                    'written', 5, 'active', now(), now() FROM service_types WHERE slug = 'coaching'",
        )
        .bind(practitioner)
        .execute(&app2.pool)
        .await
        .unwrap();
    }
    let mut b2 = Browser::new(&app2);
    let stats: serde_json::Value = b2.call("catalog/stats", &[]).await.json().await.unwrap();
    assert_eq!(stats["Available"]["practitioners"], 1, "only approved practitioners are live; one is still onboarding");
    assert_eq!(stats["Available"]["customers"], 1);
}

#[tokio::test]
async fn when_the_database_is_down_the_home_page_says_statistics_are_unavailable() {
    let app = spawn_app().await;
    app.pool.close().await;
    let mut b = Browser::new(&app);
    let stats: serde_json::Value = b.call("catalog/stats", &[]).await.json().await.unwrap();
    assert_eq!(stats, json!("Unavailable"));
    let home = b.get("/").await;
    assert_eq!(home.status(), StatusCode::OK);
    let html = home.text().await.unwrap();
    assert!(html.contains("Statistics are unavailable right now."));
    assert_eq!(b.get("/readyz").await.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn service_types_are_listed_as_json() {
    let app = spawn_app().await;
    sqlx::query("INSERT INTO service_types (slug, name, position) VALUES ('yoga-class', 'Yoga class', 2), ('astrology-reading', 'Astrology reading', 1)")
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO service_types (slug, name, active) VALUES ('retired', 'Retired', false)")
        .execute(&app.pool)
        .await
        .unwrap();
    let res = Browser::new(&app).get("/api/services/types").await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        body.as_array().unwrap().iter().map(|t| t["slug"].as_str().unwrap()).collect::<Vec<_>>(),
        ["astrology-reading", "yoga-class"]
    );
}

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    assert_eq!(b.get("/healthz").await.text().await.unwrap(), "ok");
    assert_eq!(b.get("/readyz").await.status(), StatusCode::OK);
    b.get("/no-such-page").await;
    let metrics = b.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(r#"attune_http_requests_total{method="GET",route="/healthz",status="200"} 1"#),
        "{metrics}"
    );
    assert!(metrics.contains("attune_http_request_duration_seconds_bucket"));
}

#[tokio::test]
async fn pages_carry_security_headers_and_a_nonce_csp() {
    let app = spawn_app().await;
    let res = Browser::new(&app).get("/login").await;
    assert_eq!(res.status(), StatusCode::OK);
    let h = res.headers().clone();
    let csp = h["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("'wasm-unsafe-eval'") && csp.contains("'nonce-"), "{csp}");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(h.contains_key("x-request-id"));
    let html = res.text().await.unwrap();
    let nonce = csp.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap();
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "inline scripts carry this response's nonce");
    assert!(html.contains("<title>Log in · Attune</title>"));
}

#[tokio::test]
async fn unknown_pages_get_a_real_404() {
    let app = spawn_app().await;
    let res = Browser::new(&app).get("/definitely/not/here").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.text().await.unwrap().contains("We could not find that page"));
}

#[tokio::test]
async fn the_worker_command_delivers_queued_emails_and_stops_on_sigterm() {
    let app = spawn_app().await;
    create_user(&app, "sam@example.com", PASSWORD, Role::Customer).await;
    let mut worker = Process::spawn(
        std::process::Command::new(env!("CARGO_BIN_EXE_attune"))
            .arg("worker")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("DATABASE_URL", database_url(&app.pool))
            .env("RUST_LOG", "error")
            .env_remove("SMTP_URL"),
    );
    // The worker also queues its recurring jobs, so the delivery is picked out by kind;
    // it is over once its job has finished, which it records after the email's row.
    let started = std::time::Instant::now();
    let (job, email) = loop {
        let (job, email): (String, String) =
            sqlx::query_as("SELECT j.status, o.status FROM jobs j, email_outbox o WHERE j.kind = 'deliver_email'")
                .fetch_one(&app.pool)
                .await
                .unwrap();
        if matches!(job.as_str(), "done" | "dead") || started.elapsed() > std::time::Duration::from_secs(20) {
            break (job, email);
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(job, "done");
    assert_eq!(email, "held", "without SMTP the worker keeps the email in the outbox");
    worker.terminate();
    assert!(worker.wait().unwrap().success());
}

#[tokio::test]
async fn with_smtp_configured_emails_are_sent_as_html_and_text() {
    let (port, received) = spawn_smtp().await;
    let app = spawn_app_with(move |c| {
        c.smtp_url = Some(attune::server::config::Secret::new(format!("smtp://127.0.0.1:{port}")));
    })
    .await;
    create_user(&app, "sam@example.com", PASSWORD, Role::Customer).await;
    assert_eq!(app.run_jobs().await, 1);
    let (status, sent): (String, bool) =
        sqlx::query_as("SELECT status, sent_at IS NOT NULL FROM email_outbox").fetch_one(&app.pool).await.unwrap();
    assert_eq!((status.as_str(), sent), ("sent", true));
    let messages = received.lock().await;
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert!(m.contains("To: sam@example.com"), "{m}");
    assert!(m.contains("Subject: Welcome to Attune"), "{m}");
    assert!(m.contains("text/plain") && m.contains("text/html"), "both parts are sent: {m}");
}

#[tokio::test]
async fn an_unreachable_smtp_server_leaves_the_email_pending_for_a_retry() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let app = spawn_app_with(move |c| {
        c.smtp_url = Some(attune::server::config::Secret::new(format!("smtp://127.0.0.1:{closed}")));
    })
    .await;
    app.expect_failed_jobs();
    create_user(&app, "sam@example.com", PASSWORD, Role::Customer).await;
    assert_eq!(app.run_jobs().await, 1);
    let (status, attempts, error): (String, i32, Option<String>) =
        sqlx::query_as("SELECT status, attempts, last_error FROM email_outbox").fetch_one(&app.pool).await.unwrap();
    assert_eq!((status.as_str(), attempts), ("pending", 1));
    assert!(error.is_some());
    let (job, later): (String, bool) = sqlx::query_as("SELECT status, run_at > $1 FROM jobs")
        .bind(app.state.clock.now_db())
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!((job.as_str(), later), ("queued", true), "the delivery is retried later");
}

#[tokio::test]
async fn built_assets_are_served_precompressed_and_hashed_ones_are_cached_for_good() {
    let site = std::env::temp_dir().join(format!("attune-site-{}", uuid::Uuid::new_v4().simple()));
    let pkg = site.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    let hashed = "attune.0123456789abcdef.js";
    std::fs::write(pkg.join(hashed), "export const x = 1;".repeat(50)).unwrap();
    std::fs::write(pkg.join(format!("{hashed}.br")), b"brotli bytes").unwrap();
    std::fs::write(pkg.join(format!("{hashed}.gz")), b"gzip bytes").unwrap();
    std::fs::write(pkg.join("attune.js"), "export const x = 1;").unwrap();
    let root = site.to_str().unwrap().to_owned();
    let app = spawn_app_with(move |c| c.leptos.site_root = root.into()).await;
    let client = reqwest::Client::new();
    let get = |path: &str, encoding: &'static str| {
        client.get(format!("{}{path}", app.base)).header("accept-encoding", encoding).send()
    };

    let res = get(&format!("/pkg/{hashed}"), "gzip, br").await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-encoding"], "br");
    assert_eq!(res.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"brotli bytes", "the build's copy, not one made per request");

    let res = get(&format!("/pkg/{hashed}"), "gzip").await.unwrap();
    assert_eq!(res.headers()["content-encoding"], "gzip");
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"gzip bytes");

    let res = get("/pkg/attune.js", "identity").await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-cache", "a name without a hash may change meaning");
    let res = get("/pkg/missing.0123456789abcdef.js", "br").await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.headers()["cache-control"], "no-cache", "a missing file may appear with the next deployment");
    let _ = std::fs::remove_dir_all(site);
}

#[tokio::test]
async fn the_catalog_is_served_from_a_short_cache_that_a_change_here_clears() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    let slugs = || async {
        let body: serde_json::Value = b.get("/api/services/types").await.json().await.unwrap();
        body.as_array().unwrap().iter().map(|t| t["slug"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    let add = |slug: &'static str| {
        sqlx::query("INSERT INTO service_types (slug, name) VALUES ($1, $1)").bind(slug).execute(&app.pool)
    };
    add("coaching").await.unwrap();
    assert_eq!(slugs().await, ["coaching"]);

    // Written behind this instance's back (as by another instance): served from the
    // cache until it expires.
    add("tarot").await.unwrap();
    assert_eq!(slugs().await, ["coaching"]);
    assert!(b.get("/").await.text().await.unwrap().contains("coaching"));
    app.advance(attune::server::catalog::CATALOG_TTL + std::time::Duration::from_secs(1));
    assert_eq!(slugs().await, ["coaching", "tarot"]);

    // A change made through this instance is shown at once.
    add("yoga").await.unwrap();
    attune::server::catalog::catalog_changed(&app.state).await;
    assert_eq!(slugs().await, ["coaching", "tarot", "yoga"]);
}

/// Kills the backend behind the pool's only connection, once that connection is back
/// in the pool, and waits until the backend has gone.
async fn drop_the_connection_server_side(app: &TestApp, pool: &PgPool) {
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(pool).await.unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while pool.num_idle() < 1 {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the connection returns to the pool");
    let gone: bool =
        sqlx::query_scalar("SELECT pg_terminate_backend($1, 10000)").bind(pid).fetch_one(&app.pool).await.unwrap();
    assert!(gone, "backend {pid} did not end");
}

#[tokio::test]
async fn a_connection_the_server_dropped_while_idle_is_replaced_before_it_is_handed_out() {
    let app = spawn_app().await;
    let url = database_url(&app.pool);

    // Idle past the window: checked on the way out, found dead, replaced.
    let checked =
        attune::server::pool::options_checking_after(1, std::time::Duration::ZERO).connect(&url).await.unwrap();
    drop_the_connection_server_side(&app, &checked).await;
    let answer: i32 = sqlx::query_scalar("SELECT 1").fetch_one(&checked).await.expect("a live connection");
    assert_eq!(answer, 1);

    // Within the window the connection is handed out as it is: the check above is what
    // kept the dead one from the query.
    let unchecked = attune::server::pool::options_checking_after(1, std::time::Duration::from_secs(3600))
        .connect(&url)
        .await
        .unwrap();
    drop_the_connection_server_side(&app, &unchecked).await;
    assert!(sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(&unchecked).await.is_err());
}

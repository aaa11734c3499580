//! The Stripe provider end to end against localstripe with the compatibility layer in
//! `tests/stripe` (started per test, on a port of its own): checkout, the signed
//! webhooks Stripe sends, declines, refunds with their idempotency keys, and Stripe not
//! answering. `stripe_test_mode_*` runs the same checkout code against real Stripe test
//! mode when `STRIPE_TEST_SECRET_KEY` is set.

use crate::helpers::*;
use crate::orders::{balance, ledger_is_clean, location, package, status};
use attune::domain::Role;
use attune::server::payments::Provider;
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::Connection;
use std::process::{Command, Stdio};
use std::time::Duration;

const KEY: &str = "sk_test_attune_local";
const SECRET: &str = "whsec_attune_local";

/// A localstripe server of this test's own; stopped when dropped.
pub(crate) struct LocalStripe {
    pub(crate) url: String,
    _server: Process,
    _state: tempdir::Dir,
}

mod tempdir {
    /// A directory removed when dropped.
    pub struct Dir(pub std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl LocalStripe {
    pub(crate) async fn start() -> LocalStripe {
        let python = std::env::var("LOCALSTRIPE_PYTHON")
            .expect("LOCALSTRIPE_PYTHON names the Python with localstripe installed; scripts/test sets it up");
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let dir = std::env::temp_dir().join(format!("attune-stripe-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/stripe/localstripe_compat.py");
        let server = Process::spawn(
            Command::new(python)
                .args([script, "--port", &port.to_string(), "--state-file"])
                .arg(dir.join("state.pickle"))
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        );
        let url = format!("http://127.0.0.1:{port}");
        let server = LocalStripe { url, _server: server, _state: tempdir::Dir(dir) };
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("localstripe did not start listening on {port}");
    }

    pub(crate) async fn post(&self, path: &str, form: &[(&str, &str)]) -> Value {
        let res = reqwest::Client::new()
            .post(format!("{}{path}", self.url))
            .bearer_auth(KEY)
            .form(form)
            .send()
            .await
            .unwrap();
        let ok = res.status().is_success();
        let text = res.text().await.unwrap();
        assert!(ok, "{path}: {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    pub(crate) async fn get(&self, path: &str) -> Value {
        reqwest::Client::new()
            .get(format!("{}{path}", self.url))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Waits until the list at `path` has `n` items: a stalled call finishing at Stripe
    /// after the app stopped waiting for it.
    async fn until_listed(&self, path: &str, n: usize) {
        for _ in 0..200 {
            if self.get(path).await["data"].as_array().is_some_and(|d| d.len() == n) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{path} never listed {n}");
    }
}

/// The app on Stripe at `stripe`, with its webhook endpoint registered there.
pub(crate) async fn app_on(stripe: &LocalStripe, timeout: Duration) -> TestApp {
    let api = stripe.url.clone();
    let app = spawn_app_with(move |c| {
        c.payments = Provider::stripe(KEY, SECRET, Some(&api), &c.public_url, timeout).unwrap();
    })
    .await;
    stripe
        .post("/_config/webhooks/attune", &[("url", &format!("{}/webhooks/payments", app.base)), ("secret", SECRET)])
        .await;
    app
}

/// Places an order and returns (its number, the Stripe checkout session id).
pub(crate) async fn buy(b: &mut Browser<'_>, pack: &str, key: &str) -> (String, String) {
    let to = location(&b.call("credits/buy", &[("package_id", pack), ("key", key)]).await);
    let session = to.rsplit('/').next().unwrap().to_owned();
    assert!(session.starts_with("cs_"), "sent to Stripe's checkout: {to}");
    let number: String = sqlx::query_scalar(
        "SELECT o.number FROM orders o JOIN checkout_sessions s ON s.order_id = o.id WHERE s.id = $1",
    )
    .bind(&session)
    .fetch_one(&b.app.pool)
    .await
    .unwrap();
    (number, session)
}

/// Waits for Stripe's event of `kind` to reach the app and be handled: it comes over
/// HTTP about a second after the change, from another process.
pub(crate) async fn event_handled(app: &TestApp, kind: &str, count: i64) {
    for _ in 0..300 {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM payment_events WHERE type = $1 AND status = 'processed'")
            .bind(kind)
            .fetch_one(&app.pool)
            .await
            .unwrap();
        if n >= count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let seen: Vec<(String, String)> =
        sqlx::query_as("SELECT type, status FROM payment_events").fetch_all(&app.pool).await.unwrap();
    panic!("no processed {kind} event arrived; seen {seen:?}");
}

#[tokio::test]
async fn stripe_checkout_webhooks_declines_and_refunds_work_end_to_end() {
    let stripe = LocalStripe::start().await;
    let app = app_on(&stripe, Duration::from_secs(10)).await;
    let pack = package(&app, &[]).await;
    let (mut b, user) = app.browser_as(Role::Customer).await;

    // The session carries the order's price from the database and our order number.
    let (number, session) = buy(&mut b, &pack, &uuid::Uuid::new_v4().to_string()).await;
    let s = stripe.get(&format!("/v1/checkout/sessions/{session}")).await;
    assert_eq!((s["amount_total"].as_i64(), s["currency"].as_str()), (Some(4900), Some("eur")), "{s}");
    assert_eq!((s["mode"].as_str(), s["client_reference_id"].as_str()), (Some("payment"), Some(number.as_str())));
    assert_eq!(s["success_url"], format!("{}/checkout/success?order={number}", app.base));

    stripe.post(&format!("/_test/checkout/sessions/{session}/complete"), &[("outcome", "approve")]).await;
    // The success page asks Stripe before the event arrives; then the event finds it paid.
    let order: Value = b.call("orders/result", &[("order", &number)]).await.json().await.unwrap();
    assert_eq!(order["status"], "paid");
    event_handled(&app, "checkout.session.completed", 1).await;
    assert_eq!(balance(&app, user.id).await, 12);
    let intent: Option<String> = sqlx::query_scalar("SELECT payment_intent FROM orders WHERE number = $1")
        .bind(&number)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(intent.is_some_and(|i| i.starts_with("pi_")));

    // A declined card fails the order through Stripe's event.
    let (declined, other) = buy(&mut b, &pack, &uuid::Uuid::new_v4().to_string()).await;
    stripe.post(&format!("/_test/checkout/sessions/{other}/complete"), &[("outcome", "decline")]).await;
    event_handled(&app, "checkout.session.async_payment_failed", 1).await;
    assert_eq!(status(&app, &declined).await, "payment_failed");

    // A refund of 4 credits returns €19.60 through Stripe, once.
    let (mut admin, _) = app.browser_as(Role::Admin).await;
    let form_key = uuid::Uuid::new_v4().to_string();
    let refund = [
        ("order", number.as_str()),
        ("credits", "4"),
        ("expected_amount_minor", "1960"),
        ("reason", "Asked"),
        ("key", &form_key),
    ];
    assert_eq!(
        location(&admin.call("admin/orders/refund", &refund).await),
        format!("/admin/orders/{number}?refund=succeeded")
    );
    assert_eq!(
        location(&admin.call("admin/orders/refund", &refund).await),
        format!("/admin/orders/{number}?refund=succeeded")
    );
    let refunds = stripe.get("/v1/refunds").await;
    let amounts: Vec<i64> = refunds["data"].as_array().unwrap().iter().map(|r| r["amount"].as_i64().unwrap()).collect();
    assert_eq!(amounts, [1960]);
    event_handled(&app, "charge.refunded", 1).await;
    assert_eq!(status(&app, &number).await, "partially_refunded");
    assert_eq!(balance(&app, user.id).await, 8);
    ledger_is_clean(&app).await;
}

#[tokio::test]
async fn stripe_not_answering_leaves_nothing_doubled_and_the_queue_finishes_the_refund() {
    let stripe = LocalStripe::start().await;
    let app = app_on(&stripe, Duration::from_millis(1500)).await;
    let pack = package(&app, &[]).await;
    let (mut b, user) = app.browser_as(Role::Customer).await;

    // Opening the checkout times out; the customer submits the same form again and gets
    // the one session Stripe did open (the same idempotency key).
    stripe.post("/_test/stall", &[("path_prefix", "/v1/checkout/sessions"), ("count", "1"), ("seconds", "3")]).await;
    let form_key = uuid::Uuid::new_v4().to_string();
    let res = b.call("credits/buy", &[("package_id", &pack), ("key", &form_key)]).await;
    let (code, err) = error_of(res).await;
    assert_eq!(code, StatusCode::SERVICE_UNAVAILABLE, "{err}");
    assert_eq!(err, serde_json::json!("ProviderUnavailable"));
    stripe.until_listed("/v1/checkout/sessions", 1).await;
    let (number, session) = buy(&mut b, &pack, &form_key).await;
    let sessions = stripe.get("/v1/checkout/sessions").await;
    assert_eq!(sessions["data"].as_array().unwrap().len(), 1, "{sessions}");
    stripe.post(&format!("/_test/checkout/sessions/{session}/complete"), &[("outcome", "approve")]).await;
    event_handled(&app, "checkout.session.completed", 1).await;
    assert_eq!(status(&app, &number).await, "paid");

    // The refund call times out: the refund waits, its credits held back, until the
    // queued job asks again with the same key and Stripe answers with the one refund.
    stripe.post("/_test/stall", &[("path_prefix", "/v1/refunds"), ("count", "1"), ("seconds", "3")]).await;
    let (mut admin, _) = app.browser_as(Role::Admin).await;
    let key = uuid::Uuid::new_v4().to_string();
    let refund = [
        ("order", number.as_str()),
        ("credits", "10"),
        ("expected_amount_minor", "4900"),
        ("reason", "Asked"),
        ("key", &key),
    ];
    assert_eq!(
        location(&admin.call("admin/orders/refund", &refund).await),
        format!("/admin/orders/{number}?refund=pending")
    );
    assert_eq!(balance(&app, user.id).await, 0);
    assert_eq!(status(&app, &number).await, "paid");
    stripe.until_listed("/v1/refunds", 1).await;
    app.advance(Duration::from_secs(180));
    app.run_jobs().await;
    assert_eq!(status(&app, &number).await, "refunded");
    let refunds = stripe.get("/v1/refunds").await;
    assert_eq!(refunds["data"].as_array().unwrap().len(), 1, "one refund at Stripe: {refunds}");
    ledger_is_clean(&app).await;
}

/// The same checkout code against Stripe's real test mode, when a test key is given.
/// It opens a session and reads it back; paying it needs a person at Stripe's page.
#[tokio::test]
async fn stripe_test_mode_opens_and_reads_back_a_checkout_session_when_a_key_is_set() {
    let Ok(key) = std::env::var("STRIPE_TEST_SECRET_KEY") else {
        eprintln!("STRIPE_TEST_SECRET_KEY is not set: the real Stripe test-mode check did not run");
        return;
    };
    assert!(key.starts_with("sk_test_") || key.starts_with("rk_test_"), "only a test-mode key may be used here");
    let app = spawn_app_with(move |c| {
        c.payments = Provider::stripe(&key, "whsec_unused", None, &c.public_url, Duration::from_secs(20)).unwrap();
    })
    .await;
    let pack = package(&app, &[]).await;
    let (mut b, _) = app.browser_as(Role::Customer).await;
    let to =
        location(&b.call("credits/buy", &[("package_id", &pack), ("key", &uuid::Uuid::new_v4().to_string())]).await);
    assert!(to.starts_with("https://checkout.stripe.com/"), "{to}");
    let number: String = sqlx::query_scalar("SELECT number FROM orders").fetch_one(&app.pool).await.unwrap();
    let order: Value = b.call("orders/result", &[("order", &number)]).await.json().await.unwrap();
    assert_eq!(order["status"], "pending_payment");
}

/// How many answers of `status` the webhook endpoint has given, from /metrics.
async fn webhook_answers(app: &TestApp, status: &str) -> u64 {
    let metrics = reqwest::get(format!("{}/metrics", app.base)).await.unwrap().text().await.unwrap();
    metrics
        .lines()
        .filter(|l| {
            l.starts_with("attune_http_requests_total{")
                && l.contains("/webhooks/payments")
                && l.contains(&format!("status=\"{status}\""))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

#[tokio::test]
async fn with_the_database_gone_when_stripes_event_arrives_reconciliation_pays_the_order_once() {
    let stripe = LocalStripe::start().await;
    let app = app_on(&stripe, Duration::from_secs(10)).await;
    let pack = package(&app, &[]).await;
    let (mut b, user) = app.browser_as(Role::Customer).await;
    let (number, session) = buy(&mut b, &pack, &uuid::Uuid::new_v4().to_string()).await;

    // The payment goes through at Stripe while the app cannot reach its database: the
    // one delivery of the event fails (localstripe, like a lost retry, never sends it again).
    let admin_url = database_url(&app.pool).rsplit_once('/').map(|(base, _)| format!("{base}/postgres")).unwrap();
    let db = app.pool.connect_options().get_database().unwrap().to_owned();
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
    sqlx::query(&format!("ALTER DATABASE {db} ALLOW_CONNECTIONS false")).execute(&mut admin).await.unwrap();
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
    )
    .bind(&db)
    .execute(&mut admin)
    .await
    .unwrap();
    stripe.post(&format!("/_test/checkout/sessions/{session}/complete"), &[("outcome", "approve")]).await;
    for _ in 0..600 {
        if webhook_answers(&app, "500").await + webhook_answers(&app, "503").await > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(webhook_answers(&app, "500").await + webhook_answers(&app, "503").await > 0, "the event's delivery failed");
    sqlx::query(&format!("ALTER DATABASE {db} ALLOW_CONNECTIONS true")).execute(&mut admin).await.unwrap();

    assert_eq!(status(&app, &number).await, "pending_payment");
    let done = attune::server::orders::reconcile(&app.state).await.unwrap();
    assert_eq!((done.checked, done.repaired), (1, 1));
    let again = attune::server::orders::reconcile(&app.state).await.unwrap();
    assert_eq!(again.repaired, 0);
    assert_eq!(status(&app, &number).await, "paid");
    assert_eq!(balance(&app, user.id).await, 12, "credits granted once");
    ledger_is_clean(&app).await;
}

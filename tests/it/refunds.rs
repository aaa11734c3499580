//! Refunds of credit-pack orders: the preview an admin confirms, the card refund at the
//! provider, the credits taken back from the order's own lots, the credit note, what a
//! refused, repeated, concurrent or unanswered refund does, and the provider's
//! `charge.refunded` events delivered many times at once.

use crate::fixtures::{PaidOrder, paid_order, recipients_of};
use crate::helpers::*;
use crate::orders::{balance, buy, ledger_is_clean, location, package, settle, status};
use attune::domain::{Credits, Role};
use attune::server::ledger::{self, Kind, Movement};
use attune::server::payments::signature;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use uuid::Uuid;

async fn preview(admin: &mut Browser<'_>, number: &str, credits: &str) -> (StatusCode, Value) {
    let res = admin.call("admin/orders/refund/preview", &[("order", number), ("credits", credits)]).await;
    let code = res.status();
    (code, res.json().await.unwrap())
}

async fn refund(admin: &mut Browser<'_>, number: &str, credits: &str, expected: &str, key: &str) -> reqwest::Response {
    admin
        .call(
            "admin/orders/refund",
            &[
                ("order", number),
                ("credits", credits),
                ("expected_amount_minor", expected),
                ("reason", "Customer asked"),
                ("key", key),
            ],
        )
        .await
}

async fn spend(app: &TestApp, user: Uuid, n: i64) {
    let mut tx = app.pool.begin().await.unwrap();
    let key = format!("test-spend:{}", Uuid::new_v4());
    let m = Movement {
        kind: Kind::Spend,
        key: &key,
        actor: None,
        reference: None,
        reason: None,
        at: app.state.clock.now(),
    };
    ledger::spend(&mut tx, user, Credits::new(n).unwrap(), &m).await.unwrap();
    tx.commit().await.unwrap();
}

fn key() -> String {
    Uuid::new_v4().to_string()
}

#[tokio::test]
async fn an_admin_sees_exactly_what_a_full_refund_moves_and_it_moves_exactly_that_once() {
    let app = spawn_app().await;
    let PaidOrder { number, customer: user, .. } = paid_order(&app).await;
    let (mut admin, admin_user) = app.browser_as(Role::Admin).await;

    let (code, p) = preview(&mut admin, &number, "").await;
    assert_eq!(code, StatusCode::OK, "{p}");
    assert_eq!(
        (p["credits"].as_i64(), p["bonus_credits"].as_i64(), p["max_credits"].as_i64()),
        (Some(10), Some(2), Some(10))
    );
    assert_eq!(p["amount"]["minor"], 4900, "{p}");
    assert_eq!((p["balance_before"].as_i64(), p["balance_after"].as_i64()), (Some(12), Some(0)));
    assert_eq!(p["status_after"], "refunded");
    let html = admin.get(&format!("/admin/orders/{number}?refund_credits=10")).await.text().await.unwrap();
    assert!(html.contains("Return €49.00 to the card") && html.contains("balance goes from 12 to 0"), "{html}");

    let form_key = key();
    let res = refund(&mut admin, &number, "10", "4900", &form_key).await;
    assert_eq!(location(&res), format!("/admin/orders/{number}?refund=succeeded"));
    assert_eq!(status(&app, &number).await, "refunded");
    assert_eq!(balance(&app, user.id).await, 0);
    let year = jiff::tz::TimeZone::UTC.to_datetime(app.state.clock.now()).year();
    let row: (String, i64, Option<String>, Uuid) =
        sqlx::query_as("SELECT status, amount_minor, credit_note_number, actor_id FROM refunds")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(row, ("succeeded".into(), 4900, Some(format!("CN-{year}-000001")), admin_user.id));
    let at_provider: i64 =
        sqlx::query_scalar("SELECT sum(amount)::bigint FROM sandbox_refunds").fetch_one(&app.pool).await.unwrap();
    assert_eq!(at_provider, 4900);
    let refunded: i64 = sqlx::query_scalar("SELECT refunded_minor FROM orders").fetch_one(&app.pool).await.unwrap();
    assert_eq!(refunded, 4900);
    let mail: String = sqlx::query_scalar("SELECT body_text FROM email_outbox WHERE template = 'order_refunded'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(
        mail.contains("€49.00")
            && mail.contains(&format!("CN-{year}-000001"))
            && mail.contains(&format!("INV-{year}-000001")),
        "{mail}"
    );
    let last: (String, String, Option<Uuid>) =
        sqlx::query_as("SELECT from_status, to_status, actor_id FROM order_transitions ORDER BY id DESC LIMIT 1")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(last, ("paid".into(), "refunded".into(), Some(admin_user.id)));
    let audit: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'order.refund_requested'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(audit, 1);

    // The provider's charge.refunded event finds the refund done.
    app.run_jobs().await;
    let event: String = sqlx::query_scalar("SELECT status FROM payment_events WHERE type = 'charge.refunded'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(event, "processed");

    // The same confirmation again refunds nothing more.
    let again = refund(&mut admin, &number, "10", "4900", &form_key).await;
    assert_eq!(location(&again), format!("/admin/orders/{number}?refund=succeeded"));
    assert_eq!(count(&app.pool, "refunds").await, 1);
    assert_eq!(count(&app.pool, "sandbox_refunds").await, 1);
    let (code, err) = preview(&mut admin, &number, "").await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(err["Invalid"]["message"].as_str().unwrap().starts_with("Only a paid order"), "{err}");
    let page = admin.get(&format!("/admin/orders/{number}")).await.text().await.unwrap();
    assert!(page.contains(&format!("CN-{year}-000001")) && page.contains("Customer asked"), "{page}");
    ledger_is_clean(&app).await;
}

#[tokio::test]
async fn partial_refunds_are_limited_to_unspent_credits_and_add_up_to_what_they_are_worth() {
    let app = spawn_app().await;
    let PaidOrder { number, customer: user, .. } = paid_order(&app).await;
    // Spending 5 takes the 2 bonus credits first, then 3 paid ones: 7 paid are left.
    spend(&app, user.id, 5).await;
    let (mut admin, _) = app.browser_as(Role::Admin).await;
    let (code, err) = preview(&mut admin, &number, "8").await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["Invalid"]["message"], "At most 7 unspent paid credits of this order can be refunded.");

    let (_, p) = preview(&mut admin, &number, "3").await;
    assert_eq!((p["amount"]["minor"].as_i64(), p["bonus_credits"].as_i64()), (Some(1470), Some(0)));
    assert_eq!(p["status_after"], "partially_refunded");
    assert_eq!(
        location(&refund(&mut admin, &number, "3", "1470", &key()).await),
        format!("/admin/orders/{number}?refund=succeeded")
    );
    assert_eq!(status(&app, &number).await, "partially_refunded");

    let (_, p) = preview(&mut admin, &number, "").await;
    assert_eq!((p["credits"].as_i64(), p["amount"]["minor"].as_i64()), (Some(4), Some(1960)));
    assert_eq!(p["refunded_so_far"]["minor"], 1470);
    refund(&mut admin, &number, "4", "1960", &key()).await;
    assert_eq!(status(&app, &number).await, "partially_refunded", "the 3 spent credits' worth was not refunded");
    assert_eq!(balance(&app, user.id).await, 0);
    let notes: Vec<String> =
        sqlx::query_scalar("SELECT credit_note_number FROM refunds ORDER BY created_at, credit_note_number")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    let year = jiff::tz::TimeZone::UTC.to_datetime(app.state.clock.now()).year();
    assert_eq!(notes, [format!("CN-{year}-000001"), format!("CN-{year}-000002")]);
    let refunded: i64 = sqlx::query_scalar("SELECT refunded_minor FROM orders").fetch_one(&app.pool).await.unwrap();
    assert_eq!(refunded, 3430);
    ledger_is_clean(&app).await;
}

#[tokio::test]
async fn bad_refunds_get_specific_errors_and_change_nothing() {
    let app = spawn_app().await;
    let PaidOrder { number, customer: user, .. } = paid_order(&app).await;
    let (mut admin, _) = app.browser_as(Role::Admin).await;
    let transactions = count(&app.pool, "ledger_transactions").await;
    let cases: &[(&str, &str, &str, &str, &str)] = &[
        ("credits", "abc", "4900", "Customer asked", "credits"),
        ("credits", "0", "4900", "Customer asked", "credits"),
        ("credits", "-3", "4900", "Customer asked", "credits"),
        ("credits", "11", "4900", "Customer asked", "credits"),
        ("credits", "99999999999999999999", "4900", "Customer asked", "credits"),
        ("stale amount", "10", "4899", "Customer asked", "credits"),
        ("tampered amount", "10", "x", "Customer asked", "credits"),
        ("no reason", "10", "4900", "   ", "reason"),
    ];
    for (what, credits, expected, reason, field) in cases {
        let res = admin
            .call(
                "admin/orders/refund",
                &[
                    ("order", &number),
                    ("credits", credits),
                    ("expected_amount_minor", expected),
                    ("reason", reason),
                    ("key", &key()),
                ],
            )
            .await;
        let (code, err) = error_of(res).await;
        assert_eq!(
            (code, err["Invalid"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(*field)),
            "{what}: {err}"
        );
    }
    let (code, err) = error_of(refund(&mut admin, &number, "10", "4900", "not-a-key").await).await;
    assert_eq!((code, err["Invalid"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("key")));
    let (code, _) = error_of(refund(&mut admin, "ATN-0000-0000", "1", "490", &key()).await).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    let (mut customer, _) = app.browser_as(Role::Customer).await;
    let (code, _) = error_of(refund(&mut customer, &number, "10", "4900", &key()).await).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (code, _) = preview(&mut customer, &number, "").await;
    assert_eq!(code, StatusCode::FORBIDDEN);

    // An order that was never paid has nothing to refund.
    let pack = package(&app, &[("name", "Other")]).await;
    let (mut b, _) = app.browser_as(Role::Customer).await;
    let (unpaid, _) = buy(&mut b, &pack).await;
    let (code, err) = error_of(refund(&mut admin, &unpaid, "1", "490", &key()).await).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(err["Invalid"]["message"].as_str().unwrap().contains("awaiting payment"), "{err}");

    assert_eq!(count(&app.pool, "refunds").await, 0);
    assert_eq!(count(&app.pool, "sandbox_refunds").await, 0);
    assert_eq!(count(&app.pool, "ledger_transactions").await, transactions);
    assert_eq!(balance(&app, user.id).await, 12);
    assert_eq!(status(&app, &number).await, "paid");
}

#[tokio::test]
async fn a_refund_the_provider_refuses_gives_the_credits_back_and_can_be_made_again() {
    let app = spawn_app().await;
    let PaidOrder { number, customer: user, .. } = paid_order(&app).await;
    // Someone refunded €40 of the charge at the provider directly: a full refund here
    // is now more than what is left of the charge, and the provider says so.
    sqlx::query(
        "INSERT INTO sandbox_refunds (id, session_id, amount, idempotency_key, metadata, created_at)
         SELECT 're_elsewhere', id, 4000, 'elsewhere', '{}', now() FROM sandbox_sessions",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let (mut admin, _) = app.browser_as(Role::Admin).await;
    let res = refund(&mut admin, &number, "10", "4900", &key()).await;
    assert_eq!(location(&res), format!("/admin/orders/{number}?refund=failed"));
    let (state, failure, note): (String, Option<String>, Option<String>) =
        sqlx::query_as("SELECT status, failure, credit_note_number FROM refunds").fetch_one(&app.pool).await.unwrap();
    assert_eq!((state.as_str(), note), ("failed", None));
    assert!(failure.unwrap().contains("more than what is left"));
    assert_eq!(balance(&app, user.id).await, 12, "the credits are back");
    assert_eq!(status(&app, &number).await, "paid");
    let refunded: i64 = sqlx::query_scalar("SELECT refunded_minor FROM orders").fetch_one(&app.pool).await.unwrap();
    assert_eq!(refunded, 0);
    let lots: Vec<i64> =
        sqlx::query_scalar("SELECT remaining FROM credit_lots ORDER BY source").fetch_all(&app.pool).await.unwrap();
    assert_eq!(lots, [10, 2], "back in the lots they came from");
    ledger_is_clean(&app).await;

    // A smaller refund, within what is left of the charge, goes through.
    let (_, p) = preview(&mut admin, &number, "1").await;
    assert_eq!(p["amount"]["minor"], 490);
    assert_eq!(
        location(&refund(&mut admin, &number, "1", "490", &key()).await),
        format!("/admin/orders/{number}?refund=succeeded")
    );
    assert_eq!(balance(&app, user.id).await, 11);
    ledger_is_clean(&app).await;
}

#[tokio::test]
async fn refunds_submitted_many_times_at_once_refund_once() {
    let app = spawn_app().await;
    let PaidOrder { number, customer: user, .. } = paid_order(&app).await;
    let (admin, _) = app.browser_as(Role::Admin).await;
    let same = key();
    let keys: Vec<String> = (0..8).map(|i| if i % 2 == 0 { same.clone() } else { key() }).collect();
    let calls = keys.iter().map(|k| {
        let mut admin = admin.clone();
        let number = number.clone();
        async move { refund(&mut admin, &number, "10", "4900", k).await.status() }
    });
    let codes = futures::future::join_all(calls).await;
    assert!(codes.iter().all(|c| *c == StatusCode::OK || *c == StatusCode::UNPROCESSABLE_ENTITY), "{codes:?}");
    assert_eq!(count(&app.pool, "refunds").await, 1);
    assert_eq!(count(&app.pool, "sandbox_refunds").await, 1);
    assert_eq!(balance(&app, user.id).await, 0);
    assert_eq!(status(&app, &number).await, "refunded");
    ledger_is_clean(&app).await;
}

#[tokio::test]
async fn a_refund_the_provider_did_not_answer_is_finished_by_the_queued_job_with_the_same_key() {
    let app = spawn_app().await;
    let PaidOrder { number, customer: user, .. } = paid_order(&app).await;
    // The provider cannot be reached: its refund call fails outright.
    sqlx::query("ALTER TABLE sandbox_refunds RENAME TO sandbox_refunds_away").execute(&app.pool).await.unwrap();
    let (mut admin, _) = app.browser_as(Role::Admin).await;
    let res = refund(&mut admin, &number, "10", "4900", &key()).await;
    assert_eq!(location(&res), format!("/admin/orders/{number}?refund=pending"));
    assert_eq!(balance(&app, user.id).await, 0, "the credits cannot be spent while the refund is under way");
    assert_eq!(status(&app, &number).await, "paid");
    let (code, err) = error_of(refund(&mut admin, &number, "1", "490", &key()).await).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(err["Invalid"]["message"].as_str().unwrap().contains("still being processed"), "{err}");

    sqlx::query("ALTER TABLE sandbox_refunds_away RENAME TO sandbox_refunds").execute(&app.pool).await.unwrap();
    app.run_jobs().await;
    assert_eq!(status(&app, &number).await, "paid", "the safety net waits a little first");
    app.advance(Duration::from_secs(180));
    app.run_jobs().await;
    assert_eq!(status(&app, &number).await, "refunded");
    let state: String = sqlx::query_scalar("SELECT status FROM refunds").fetch_one(&app.pool).await.unwrap();
    assert_eq!(state, "succeeded");
    assert_eq!(count(&app.pool, "sandbox_refunds").await, 1);
    ledger_is_clean(&app).await;
}

fn pdf_text(bytes: &[u8]) -> String {
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    let doc = lopdf::Document::load_mem(bytes).expect("a readable PDF");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    doc.extract_text(&pages).expect("its text")
}

#[tokio::test]
async fn receipts_and_credit_notes_download_as_pdfs_for_their_owner_and_admins_only() {
    let app = spawn_app().await;
    let pack = package(&app, &[]).await;
    let (mut b, user) = app.browser_as(Role::Customer).await;
    let (number, session) = buy(&mut b, &pack).await;
    assert_eq!(
        b.get(&format!("/orders/{number}/receipt.pdf")).await.status(),
        StatusCode::NOT_FOUND,
        "no receipt before payment"
    );
    settle(&mut b, &session, "approve").await;
    app.run_jobs().await;
    let code: i64 =
        sqlx::query_scalar("SELECT code FROM users WHERE id = $1").bind(user.id).fetch_one(&app.pool).await.unwrap();
    let customer = attune::domain::UserCode::from_number(code).unwrap().to_string();
    let year = jiff::tz::TimeZone::UTC.to_datetime(app.state.clock.now()).year();

    let res = b.get(&format!("/orders/{number}/receipt.pdf")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains(&format!("attune-INV-{year}-000001.pdf")));
    let text = pdf_text(&res.bytes().await.unwrap());
    for expected in [
        format!("Receipt INV-{year}-000001"),
        number.clone(),
        customer.clone(),
        "€49.00".into(),
        "10 credits + 2 bonus".into(),
    ] {
        assert!(text.contains(&expected), "{expected:?} missing from:\n{text}");
    }

    let (mut admin, _) = app.browser_as(Role::Admin).await;
    refund(&mut admin, &number, "4", "1960", &key()).await;
    let orders: Value = b.call("orders/mine", &[]).await.json().await.unwrap();
    let note = orders[0]["credit_notes"][0].as_str().expect("the credit note is listed").to_owned();
    assert_eq!(note, format!("CN-{year}-000001"));
    let text = pdf_text(&admin.get(&format!("/orders/{number}/credit-notes/{note}.pdf")).await.bytes().await.unwrap());
    for expected in [format!("Credit note {note}"), format!("INV-{year}-000001"), customer.clone(), "€19.60".into()] {
        assert!(text.contains(&expected), "{expected:?} missing from:\n{text}");
    }
    let text = pdf_text(&b.get(&format!("/orders/{number}/receipt.pdf")).await.bytes().await.unwrap());
    assert!(text.contains(&note) && text.contains("€29.40"), "the receipt lists the refund and what is left:\n{text}");
    let dashboard = b.get("/dashboard").await.text().await.unwrap();
    assert!(
        dashboard.contains(&format!("/orders/{number}/receipt.pdf")) && dashboard.contains(&format!("{note}.pdf")),
        "{dashboard}"
    );

    let (other, _) = app.browser_as(Role::Customer).await;
    assert_eq!(other.get(&format!("/orders/{number}/receipt.pdf")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(other.get(&format!("/orders/{number}/credit-notes/{note}.pdf")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        b.get(&format!("/orders/{number}/credit-notes/CN-{year}-000099.pdf")).await.status(),
        StatusCode::NOT_FOUND
    );
    let anonymous = Browser::new(&app);
    let res = anonymous.get(&format!("/orders/{number}/receipt.pdf")).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(res.headers()["location"].to_str().unwrap().starts_with("/login?next="));
}

// The provider's `charge.refunded` events.

/// A provider's `charge.refunded` event for the €49.00 charge of `session`, listing one
/// settled refund that carries our refund's id.
fn charge_refunded(event: &str, session: &str, refund: Uuid, provider_refund: &str) -> Vec<u8> {
    let suffix = session.trim_start_matches("cs_sandbox_");
    serde_json::to_vec(&json!({
        "id": event, "object": "event", "type": "charge.refunded",
        "data": { "object": {
            "id": format!("ch_sandbox_{suffix}"), "object": "charge", "amount": 4900, "amount_refunded": 4900,
            "currency": "eur", "payment_intent": format!("pi_sandbox_{suffix}"), "refunded": true,
            "refunds": { "object": "list", "data": [{
                "id": provider_refund, "object": "refund", "amount": 4900, "currency": "eur", "status": "succeeded",
                "metadata": { "refund_id": refund.to_string() },
            }] },
        } },
    }))
    .unwrap()
}

/// A provider's `checkout.session.completed` event saying `session` collected €49.00.
fn session_completed(event: &str, session: &str, number: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "id": event, "object": "event", "type": "checkout.session.completed",
        "data": { "object": {
            "id": session, "object": "checkout.session", "client_reference_id": number,
            "amount_total": 4900, "currency": "eur", "status": "complete", "payment_status": "paid",
        } },
    }))
    .unwrap()
}

/// A fixed shuffle, so a failure can be replayed.
fn shuffle<T>(items: &mut [T], mut seed: u64) {
    for i in (1..items.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        items.swap(i, (seed % (i as u64 + 1)) as usize);
    }
}

/// Delivers every body to the webhook at once, each signed as the provider signs.
async fn deliver_at_once(app: &TestApp, bodies: &[Vec<u8>]) -> Vec<StatusCode> {
    let client = reqwest::Client::new();
    let secret = app.state.config.payments.webhook_secret();
    let at = app.state.clock.now().as_second();
    let posts = bodies.iter().map(|body| {
        let req = client
            .post(format!("{}/webhooks/payments", app.base))
            .header("stripe-signature", signature::sign(secret, at, body))
            .body(body.clone());
        async move { req.send().await.unwrap().status() }
    });
    futures::future::join_all(posts).await
}

/// Each movement of the user's wallet, oldest first: (kind, change).
async fn wallet_moves(app: &TestApp, user: Uuid) -> Vec<(String, i64)> {
    sqlx::query_as(
        "SELECT t.kind::text, sum(e.amount)::bigint FROM ledger_transactions t
         JOIN ledger_entries e ON e.transaction_id = t.id JOIN ledger_accounts a ON a.id = e.account_id
         WHERE a.user_id = $1 GROUP BY t.id ORDER BY t.id",
    )
    .bind(user)
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

/// The order's status history: (from, to, who).
async fn history(app: &TestApp, number: &str) -> Vec<(Option<String>, String, Option<Uuid>)> {
    sqlx::query_as(
        "SELECT t.from_status, t.to_status, t.actor_id FROM order_transitions t JOIN orders o ON o.id = t.order_id
         WHERE o.number = $1 ORDER BY t.id",
    )
    .bind(number)
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

/// A refund the provider did not answer at once stays pending with its credits taken
/// back. The provider's `charge.refunded` events for it (two of them, each delivered
/// five times at once, shuffled among five repeats of the payment's event) confirm it
/// exactly once: one credit note, one move to refunded by the admin who asked, one
/// email, the credits taken back once and not granted again; the safety-net job then
/// asks the provider nothing more.
#[tokio::test]
async fn charge_refunded_events_delivered_five_times_at_once_confirm_a_pending_refund_once() {
    let app = spawn_app().await;
    let PaidOrder { number, session, customer: user } = paid_order(&app).await;
    sqlx::query("ALTER TABLE sandbox_refunds RENAME TO sandbox_refunds_away").execute(&app.pool).await.unwrap();
    let (mut admin, admin_user) = app.browser_as(Role::Admin).await;
    let res = refund(&mut admin, &number, "10", "4900", &key()).await;
    assert_eq!(location(&res), format!("/admin/orders/{number}?refund=pending"));
    assert_eq!(status(&app, &number).await, "paid");
    assert_eq!(balance(&app, user.id).await, 0, "the credits are taken back while the refund is under way");
    let refund: Uuid = sqlx::query_scalar("SELECT id FROM refunds").fetch_one(&app.pool).await.unwrap();

    let mut deliveries = Vec::new();
    for body in [
        charge_refunded("evt_refund_1", &session, refund, "re_provider_1"),
        charge_refunded("evt_refund_2", &session, refund, "re_provider_1"),
        session_completed("evt_late_payment", &session, &number),
    ] {
        for _ in 0..5 {
            deliveries.push(body.clone());
        }
    }
    shuffle(&mut deliveries, 0x2545_f491_4f6c_dd1d);
    let codes = deliver_at_once(&app, &deliveries).await;
    assert!(codes.iter().all(|c| *c == StatusCode::OK), "{codes:?}");

    let stored: Vec<(String, String)> = sqlx::query_as(
        "SELECT id, status FROM payment_events
         WHERE id IN ('evt_refund_1', 'evt_refund_2', 'evt_late_payment') ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        stored,
        [
            ("evt_late_payment".into(), "processed".into()),
            ("evt_refund_1".into(), "processed".into()),
            ("evt_refund_2".into(), "processed".into()),
        ],
        "each event stored once"
    );
    let year = jiff::tz::TimeZone::UTC.to_datetime(app.state.clock.now()).year();
    let settled: (String, Option<String>, Option<String>) =
        sqlx::query_as("SELECT status, provider_refund_id, credit_note_number FROM refunds")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(settled, ("succeeded".into(), Some("re_provider_1".into()), Some(format!("CN-{year}-000001"))));
    assert_eq!(status(&app, &number).await, "refunded");
    assert_eq!(
        history(&app, &number).await,
        [
            (None, "pending_payment".into(), Some(user.id)),
            (Some("pending_payment".into()), "paid".into(), None),
            (Some("paid".into()), "refunded".into(), Some(admin_user.id)),
        ]
    );
    let why: String = sqlx::query_scalar("SELECT reason FROM order_transitions ORDER BY id DESC LIMIT 1")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(why, format!("Refunded €49.00 (CN-{year}-000001): Customer asked"));
    assert_eq!(
        wallet_moves(&app, user.id).await,
        [("purchase".into(), 10), ("bonus".into(), 2), ("refund".into(), -12)],
        "granted once and taken back once"
    );
    assert_eq!(balance(&app, user.id).await, 0);
    assert_eq!(
        (recipients_of(&app, "order_paid").await.len(), recipients_of(&app, "order_refunded").await.len()),
        (1, 1)
    );

    sqlx::query("ALTER TABLE sandbox_refunds_away RENAME TO sandbox_refunds").execute(&app.pool).await.unwrap();
    app.advance(Duration::from_secs(180));
    app.run_jobs().await;
    let finished: String =
        sqlx::query_scalar("SELECT status FROM jobs WHERE kind = 'finish_refund'").fetch_one(&app.pool).await.unwrap();
    assert_eq!(finished, "done");
    assert_eq!(count(&app.pool, "sandbox_refunds").await, 0, "a confirmed refund is not asked for again");
    assert_eq!(count(&app.pool, "refunds").await, 1);
    assert_eq!(status(&app, &number).await, "refunded");
    ledger_is_clean(&app).await;
}

/// The `charge.refunded` event the sandbox sends for a refund it answered at once,
/// delivered five times at once and then once more by its own queue, is stored once
/// and changes nothing: the credits stay taken back once, and the order keeps one move
/// to refunded, one credit note and one email.
#[tokio::test]
async fn the_providers_charge_refunded_event_for_a_settled_refund_delivered_five_times_at_once_changes_nothing() {
    let app = spawn_app().await;
    let PaidOrder { number, customer: user, .. } = paid_order(&app).await;
    let (mut admin, admin_user) = app.browser_as(Role::Admin).await;
    let res = refund(&mut admin, &number, "10", "4900", &key()).await;
    assert_eq!(location(&res), format!("/admin/orders/{number}?refund=succeeded"));
    let event: Value = sqlx::query_scalar(
        "SELECT payload->'event' FROM jobs
         WHERE kind = 'sandbox_event' AND status = 'queued' AND payload->'event'->>'type' = 'charge.refunded'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let id = event["id"].as_str().expect("the event's id").to_owned();
    let body = serde_json::to_vec(&event).unwrap();
    let deliveries = vec![body; 5];
    let codes = deliver_at_once(&app, &deliveries).await;
    assert!(codes.iter().all(|c| *c == StatusCode::OK), "{codes:?}");
    app.run_jobs().await;
    let stored: Vec<(String, String)> =
        sqlx::query_as("SELECT id, status FROM payment_events WHERE type = 'charge.refunded'")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(stored, [(id, "processed".to_owned())], "stored once, however often it came");

    assert_eq!(status(&app, &number).await, "refunded");
    let (_, _, last) = history(&app, &number).await.pop().expect("a history");
    assert_eq!(last, Some(admin_user.id));
    let refunded: Vec<String> = history(&app, &number).await.into_iter().map(|(_, to, _)| to).collect();
    assert_eq!(refunded, ["pending_payment", "paid", "refunded"]);
    let notes: Vec<Option<String>> =
        sqlx::query_scalar("SELECT credit_note_number FROM refunds").fetch_all(&app.pool).await.unwrap();
    let year = jiff::tz::TimeZone::UTC.to_datetime(app.state.clock.now()).year();
    assert_eq!(notes, [Some(format!("CN-{year}-000001"))]);
    assert_eq!(
        wallet_moves(&app, user.id).await,
        [("purchase".into(), 10), ("bonus".into(), 2), ("refund".into(), -12)],
        "granted once and taken back once"
    );
    assert_eq!(recipients_of(&app, "order_refunded").await.len(), 1);
    assert_eq!(count(&app.pool, "sandbox_refunds").await, 1);
    ledger_is_clean(&app).await;
}

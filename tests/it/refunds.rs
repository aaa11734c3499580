//! Refunds of credit-pack orders: the preview an admin confirms, the card refund at the
//! provider, the credits taken back from the order's own lots, the credit note, and
//! what a refused, repeated, concurrent or unanswered refund does.

use crate::helpers::*;
use crate::orders::{balance, buy, ledger_is_clean, location, package, settle, status};
use attune::domain::{Credits, Role};
use attune::server::ledger::{self, Kind, Movement};
use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;

/// A customer who bought and paid for a pack of 10 credits + 2 bonus at €49.00.
async fn paid_order(app: &TestApp) -> (String, TestUser) {
    let pack = package(app, &[]).await;
    let (mut b, user) = app.browser_as(Role::Customer).await;
    let (number, session) = buy(&mut b, &pack).await;
    settle(&mut b, &session, "approve").await;
    app.run_jobs().await;
    assert_eq!(status(app, &number).await, "paid");
    (number, user)
}

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

async fn spend(app: &TestApp, user: uuid::Uuid, n: i64) {
    let mut tx = app.pool.begin().await.unwrap();
    let key = format!("test-spend:{}", uuid::Uuid::new_v4());
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
    uuid::Uuid::new_v4().to_string()
}

#[tokio::test]
async fn an_admin_sees_exactly_what_a_full_refund_moves_and_it_moves_exactly_that_once() {
    let app = spawn_app().await;
    let (number, user) = paid_order(&app).await;
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
    let row: (String, i64, Option<String>, uuid::Uuid) =
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
    let last: (String, String, Option<uuid::Uuid>) =
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
    let (number, user) = paid_order(&app).await;
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
    let (number, user) = paid_order(&app).await;
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
    let (number, user) = paid_order(&app).await;
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
    let (number, user) = paid_order(&app).await;
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
    let (number, user) = paid_order(&app).await;
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

//! An order paid twice: opening a new checkout expires the earlier ones at the
//! provider, and a payment that still arrives for an order another checkout already
//! paid is refunded in full on its own, once, however it is reported (the event, its
//! repeats, the success page, the reconciler; one after another or all at once),
//! recorded, counted, emailed and shown to admins.

use crate::checkout::page;
use crate::fixtures::emails_to;
use crate::orders::{balance, buy, ledger_is_clean, location, package, settle, status};
use crate::stripe::{LocalStripe, app_on, event_handled};
use attune::domain::Role;
use attune::server::payments::signature;
use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;

use crate::helpers::*;

/// Opens another checkout for the order, as "pay again" does; returns its session id.
async fn pay_again(b: &mut Browser<'_>, number: &str) -> String {
    let to = location(&b.call("orders/pay", &[("order", number)]).await);
    to.rsplit('/').next().unwrap().to_owned()
}

/// The provider could not expire `session` (the customer was already paying in it when
/// another checkout was opened): it is open there, and not known here to be closed.
async fn still_open_at_the_provider(app: &TestApp, session: &str) {
    for sql in [
        "UPDATE sandbox_sessions SET status = 'open' WHERE id = $1",
        "UPDATE checkout_sessions SET closed_at = NULL WHERE id = $1",
    ] {
        sqlx::query(sql).bind(session).execute(&app.pool).await.unwrap();
    }
}

async fn sandbox_status(app: &TestApp, session: &str) -> String {
    sqlx::query_scalar("SELECT status FROM sandbox_sessions WHERE id = $1")
        .bind(session)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// The duplicate payments recorded: (session, status).
async fn duplicates(app: &TestApp) -> Vec<(String, String)> {
    sqlx::query_as("SELECT session_id, status FROM duplicate_payments ORDER BY detected_at, id")
        .fetch_all(&app.pool)
        .await
        .unwrap()
}

/// The sandbox's refunds: (session, amount).
async fn provider_refunds(app: &TestApp) -> Vec<(String, i64)> {
    sqlx::query_as("SELECT session_id, amount FROM sandbox_refunds ORDER BY created_at, id")
        .fetch_all(&app.pool)
        .await
        .unwrap()
}

async fn paid_by(app: &TestApp, number: &str) -> String {
    sqlx::query_scalar("SELECT paid_session_id FROM orders WHERE number = $1")
        .bind(number)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// The value of `attune_duplicate_payments_total` for `provider` and `stage`.
fn counted(app: &TestApp, provider: &str, stage: &str) -> u64 {
    let wanted = format!("attune_duplicate_payments_total{{provider=\"{provider}\",stage=\"{stage}\"}} ");
    app.state.metrics.render().lines().find_map(|l| l.strip_prefix(wanted.as_str())?.parse().ok()).unwrap_or(0)
}

/// The order is paid once (one invoice, one grant of 10 + 2 credits, no refund of its
/// own), and exactly one other payment of €49.00 went back, through `refunded_session`.
async fn paid_once_and_refunded_once(app: &TestApp, customer: &TestUser, number: &str, refunded_session: &str) {
    assert_eq!(status(app, number).await, "paid");
    assert_eq!(balance(app, customer.id).await, 12, "credits granted once");
    let (refunded_minor, order_refunds): (i64, i64) = sqlx::query_as(
        "SELECT refunded_minor, (SELECT count(*) FROM refunds r WHERE r.order_id = o.id) FROM orders o WHERE number = $1",
    )
    .bind(number)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!((refunded_minor, order_refunds), (0, 0), "the order's own payment stands");
    assert_ne!(paid_by(app, number).await, refunded_session, "the payment that paid the order is kept");
    assert_eq!(duplicates(app).await, [(refunded_session.to_owned(), "succeeded".to_owned())]);
    assert_eq!(provider_refunds(app).await, [(refunded_session.to_owned(), 4900)], "one full refund at the provider");
    assert_eq!(emails_to(app, &customer.email, "duplicate_payment_refunded").await, 1);
    assert_eq!(emails_to(app, &customer.email, "order_paid").await, 1);
    assert_eq!((counted(app, "sandbox", "detected"), counted(app, "sandbox", "refunded")), (1, 1));
    ledger_is_clean(app).await;
}

#[tokio::test]
async fn opening_another_checkout_expires_the_earlier_one_whose_page_no_longer_offers_approval() {
    let app = spawn_app().await;
    let pack = package(&app, &[]).await;
    let (mut b, customer) = app.browser_as(Role::Customer).await;
    let (number, first) = buy(&mut b, &pack).await;
    assert!(page(&b, &format!("/sandbox/checkout/{first}")).await.1.contains("Approve test payment"));

    let second = pay_again(&mut b, &number).await;
    assert_ne!(second, first);
    assert_eq!(sandbox_status(&app, &first).await, "expired", "expired at the provider");
    assert_eq!(sandbox_status(&app, &second).await, "open");
    let closed: Vec<(String, bool)> =
        sqlx::query_as("SELECT id, closed_at IS NOT NULL FROM checkout_sessions ORDER BY closed_at IS NULL, id")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(closed, [(first.clone(), true), (second.clone(), false)]);
    let (code, superseded) = page(&b, &format!("/sandbox/checkout/{first}")).await;
    assert_eq!(code, StatusCode::OK);
    assert!(!superseded.contains("Approve test payment"), "the expired checkout offers no approval");
    assert!(superseded.contains("This test checkout has expired."));
    let (code, err) = error_of(b.call("sandbox/settle", &[("session_id", &first), ("outcome", "approve")]).await).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(sandbox_status(&app, &first).await, "expired", "and takes no payment");

    // The open one pays the order; once paid, no checkout of it is left to approve.
    let third = pay_again(&mut b, &number).await;
    app.run_jobs().await;
    still_open_at_the_provider(&app, &second).await;
    assert_eq!(settle(&mut b, &third, "approve").await, format!("/checkout/success?order={number}"));
    app.run_jobs().await;
    assert_eq!(status(&app, &number).await, "paid");
    assert_eq!(sandbox_status(&app, &second).await, "expired", "the payment expired the other open checkout");
    assert!(!page(&b, &format!("/sandbox/checkout/{second}")).await.1.contains("Approve test payment"));
    assert_eq!(balance(&app, customer.id).await, 12);
    assert!(duplicates(&app).await.is_empty(), "nothing paid twice");
    let again = location(&b.call("orders/pay", &[("order", &number)]).await);
    assert_eq!(again, format!("/checkout/success?order={number}"), "a paid order opens no checkout");
    assert_eq!(count(&app.pool, "checkout_sessions").await, 3);
    ledger_is_clean(&app).await;
}

#[tokio::test]
async fn a_second_payment_after_the_order_was_paid_is_refunded_in_full_once_and_shown_to_admins() {
    let app = spawn_app().await;
    let pack = package(&app, &[]).await;
    let (mut b, customer) = app.browser_as(Role::Customer).await;
    let (number, first) = buy(&mut b, &pack).await;
    let second = pay_again(&mut b, &number).await;

    settle(&mut b, &second, "approve").await;
    app.run_jobs().await;
    assert_eq!(status(&app, &number).await, "paid");
    still_open_at_the_provider(&app, &first).await;
    settle(&mut b, &first, "approve").await;
    app.run_jobs().await;
    // Reported again by every path: the success page, the reconciler, the event's retry.
    let view: Value = b.call("orders/result", &[("order", &number)]).await.json().await.unwrap();
    assert_eq!(view["status"], "paid");
    attune::server::orders::reconcile(&app.state).await.unwrap();
    app.run_jobs().await;
    paid_once_and_refunded_once(&app, &customer, &number, &first).await;

    let (admin, _) = app.browser_as(Role::Admin).await;
    let line = "the duplicate payment was refunded in full";
    let detail = page(&admin, &format!("/admin/orders/{number}")).await.1;
    assert!(detail.contains(line) && detail.contains(&first), "the order's page says what happened");
    let payments = page(&admin, "/admin/payments").await.1;
    assert!(payments.contains(line) && payments.contains(&number), "and so does the payments page");
    let mail: String =
        sqlx::query_scalar("SELECT body_text FROM email_outbox WHERE template = 'duplicate_payment_refunded'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(mail.contains("€49.00") && mail.contains(&number), "{mail}");
}

#[tokio::test]
async fn two_checkouts_approved_at_once_and_their_events_repeated_at_once_pay_once_and_refund_once() {
    let app = spawn_app().await;
    let pack = package(&app, &[]).await;
    let (mut b, customer) = app.browser_as(Role::Customer).await;
    let (number, first) = buy(&mut b, &pack).await;
    let second = pay_again(&mut b, &number).await;
    still_open_at_the_provider(&app, &first).await;

    let (mut one, mut two) = (b.clone(), b.clone());
    let (a, z) = tokio::join!(settle(&mut one, &first, "approve"), settle(&mut two, &second, "approve"));
    let success = format!("/checkout/success?order={number}");
    assert_eq!((a, z), (success.clone(), success), "both payments went through at the provider");

    // Each event is delivered twice at once, and the success page and the reconciler
    // ask the provider at the same time.
    let events: Vec<Value> = sqlx::query_scalar(
        "SELECT payload->'event' FROM jobs WHERE kind = 'sandbox_event' AND payload->'event'->>'type' = 'checkout.session.completed'",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(events.len(), 2);
    let deliver = |event: &Value| {
        let body = serde_json::to_vec(event).unwrap();
        let header =
            signature::sign(app.state.config.payments.webhook_secret(), app.state.clock.now().as_second(), &body);
        let url = format!("{}/webhooks/payments", app.base);
        async move {
            let res = reqwest::Client::new().post(url).header("stripe-signature", header).body(body).send().await;
            res.unwrap().status()
        }
    };
    let mut page_of_order = b.clone();
    let order_form = [("order", number.as_str())];
    let (s1, s2, s3, s4, reconciled, viewed) = tokio::join!(
        deliver(&events[0]),
        deliver(&events[0]),
        deliver(&events[1]),
        deliver(&events[1]),
        attune::server::orders::reconcile(&app.state),
        page_of_order.call("orders/result", &order_form),
    );
    assert!([s1, s2, s3, s4].iter().all(|s| *s == StatusCode::OK), "{:?}", [s1, s2, s3, s4]);
    reconciled.unwrap();
    assert_eq!(viewed.status(), StatusCode::OK);
    app.run_jobs().await;

    let paid = paid_by(&app, &number).await;
    let other = if paid == first { second } else { first };
    paid_once_and_refunded_once(&app, &customer, &number, &other).await;
}

#[tokio::test]
async fn at_stripe_a_checkout_that_could_not_be_expired_and_was_paid_too_is_refunded_in_full_once() {
    let stripe = LocalStripe::start().await;
    let app = app_on(&stripe, Duration::from_secs(10)).await;
    let pack = package(&app, &[]).await;
    let (mut b, customer) = app.browser_as(Role::Customer).await;
    let (number, first) = crate::stripe::buy(&mut b, &pack, &uuid::Uuid::new_v4().to_string()).await;

    // The expiry of the first checkout never reaches Stripe.
    let expire = format!("/v1/checkout/sessions/{first}/expire");
    stripe.post("/_test/stall", &[("path_prefix", &expire), ("count", "5"), ("seconds", "0"), ("drop", "1")]).await;
    let second = pay_again(&mut b, &number).await;
    assert!(second.starts_with("cs_") && second != first, "{second}");
    assert_eq!(stripe.get(&format!("/v1/checkout/sessions/{first}")).await["status"], "open");

    for session in [&first, &second] {
        stripe.post(&format!("/_test/checkout/sessions/{session}/complete"), &[("outcome", "approve")]).await;
    }
    event_handled(&app, "checkout.session.completed", 2).await;
    reqwest::Client::new().delete(format!("{}/_test/stall", stripe.url)).send().await.unwrap();
    app.run_jobs().await;
    event_handled(&app, "charge.refunded", 1).await;

    assert_eq!(status(&app, &number).await, "paid");
    assert_eq!(balance(&app, customer.id).await, 12);
    let paid = paid_by(&app, &number).await;
    let other = if paid == first { &second } else { &first };
    let refunds = stripe.get("/v1/refunds").await;
    let refunds: Vec<(i64, String)> = refunds["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["amount"].as_i64().unwrap(), r["metadata"]["refund_id"].as_str().unwrap().to_owned()))
        .collect();
    let recorded: uuid::Uuid = sqlx::query_scalar("SELECT id FROM duplicate_payments WHERE session_id = $1")
        .bind(other)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(refunds, [(4900, recorded.to_string())], "the other payment, in full, once");
    assert_eq!(duplicates(&app).await, [(other.clone(), "succeeded".to_owned())]);
    assert_eq!(emails_to(&app, &customer.email, "duplicate_payment_refunded").await, 1);
    assert_eq!((counted(&app, "stripe", "detected"), counted(&app, "stripe", "refunded")), (1, 1));
    ledger_is_clean(&app).await;

    // With Stripe answering, another order's earlier checkout is expired there.
    let (later, third) = crate::stripe::buy(&mut b, &pack, &uuid::Uuid::new_v4().to_string()).await;
    pay_again(&mut b, &later).await;
    assert_eq!(stripe.get(&format!("/v1/checkout/sessions/{third}")).await["status"], "expired");
}

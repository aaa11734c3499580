//! Buying credit packs: packages, orders, the sandbox checkout, signed webhooks, the
//! one fulfilment function, and what bad input and repeated or reordered events do.

use crate::helpers::*;
use attune::domain::Role;
use attune::domain::orders::OrderStatus;
use attune::server::payments::signature;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use uuid::Uuid;

/// A package created through the admin form; returns its id.
pub(crate) async fn package(app: &TestApp, fields: &[(&str, &str)]) -> String {
    let (mut admin, _) = app.browser_as(Role::Admin).await;
    let mut form: Vec<(&str, &str)> = vec![
        ("id", ""),
        ("name", "Starter"),
        ("credits", "10"),
        ("bonus_credits", "2"),
        ("price", "49.00"),
        ("currency", "EUR"),
        ("active", "on"),
        ("position", "1"),
        ("badge", ""),
        ("validity_days", ""),
    ];
    for (k, v) in fields {
        match form.iter_mut().find(|(name, _)| name == k) {
            Some(slot) => slot.1 = v,
            None => form.push((k, v)),
        }
    }
    form.retain(|(k, v)| !(*k == "active" && v.is_empty()));
    let res = admin.call("admin/packages/save", &form).await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    let name = form.iter().find(|(k, _)| *k == "name").unwrap().1;
    sqlx::query_scalar::<_, Uuid>("SELECT id FROM credit_packages WHERE name = $1")
        .bind(name)
        .fetch_one(&app.pool)
        .await
        .unwrap()
        .to_string()
}

pub(crate) fn location(res: &reqwest::Response) -> String {
    assert_eq!(res.status(), StatusCode::OK);
    res.headers()["location"].to_str().unwrap().to_owned()
}

/// Places an order; returns (order number, sandbox session id).
pub(crate) async fn buy(b: &mut Browser<'_>, package_id: &str) -> (String, String) {
    let key = Uuid::new_v4().to_string();
    let res = b.call("credits/buy", &[("package_id", package_id), ("key", &key)]).await;
    let to = location(&res);
    let session = to.strip_prefix("/sandbox/checkout/").expect("sent to the sandbox checkout").to_owned();
    let number: String = sqlx::query_scalar("SELECT client_reference_id FROM sandbox_sessions WHERE id = $1")
        .bind(&session)
        .fetch_one(&b.app.pool)
        .await
        .unwrap();
    (number, session)
}

pub(crate) async fn settle(b: &mut Browser<'_>, session: &str, outcome: &str) -> String {
    location(&b.call("sandbox/settle", &[("session_id", session), ("outcome", outcome)]).await)
}

async fn result(b: &mut Browser<'_>, number: &str) -> Value {
    let res = b.call("orders/result", &[("order", number)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

pub(crate) async fn balance(app: &TestApp, user: Uuid) -> i64 {
    sqlx::query_scalar::<_, Option<i64>>("SELECT balance FROM wallet_balances WHERE user_id = $1")
        .bind(user)
        .fetch_optional(&app.pool)
        .await
        .unwrap()
        .flatten()
        .unwrap_or(0)
}

pub(crate) async fn status(app: &TestApp, number: &str) -> String {
    sqlx::query_scalar("SELECT status FROM orders WHERE number = $1").bind(number).fetch_one(&app.pool).await.unwrap()
}

pub(crate) async fn ledger_is_clean(app: &TestApp) {
    let mut conn = app.pool.acquire().await.unwrap();
    let check = attune::server::ledger::check(&mut conn).await.unwrap();
    assert!(check.is_clean(), "{check:?}");
}

async fn post_event(app: &TestApp, body: &[u8], signature: Option<String>) -> StatusCode {
    let mut req = reqwest::Client::new().post(format!("{}/webhooks/payments", app.base)).body(body.to_vec());
    if let Some(s) = signature {
        req = req.header("stripe-signature", s);
    }
    req.send().await.unwrap().status()
}

/// A Stripe-shaped event about a checkout session, as the provider would send it.
fn event(id: &str, kind: &str, session: &str, number: &str, amount: i64, paid: bool) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "id": id, "object": "event", "type": kind,
        "data": { "object": {
            "id": session, "object": "checkout.session", "client_reference_id": number,
            "amount_total": amount, "currency": "eur", "status": "complete",
            "payment_status": if paid { "paid" } else { "unpaid" },
        } }
    }))
    .unwrap()
}

fn sign(app: &TestApp, body: &[u8]) -> String {
    signature::sign(app.state.config.payments.webhook_secret(), app.state.clock.now().as_second(), body)
}

#[tokio::test]
async fn admins_define_packages_with_specific_errors_and_the_shop_lists_those_on_sale_in_order() {
    let app = spawn_app().await;
    package(&app, &[("name", "Large"), ("position", "2"), ("price", "120"), ("badge", "Most popular")]).await;
    package(&app, &[("name", "Small"), ("position", "1")]).await;
    package(&app, &[("name", "Retired"), ("active", "")]).await;

    let (mut admin, _) = app.browser_as(Role::Admin).await;
    let before = count(&app.pool, "credit_packages").await;
    let base = [
        ("id", ""),
        ("name", "X"),
        ("credits", "5"),
        ("price", "5"),
        ("currency", "EUR"),
        ("position", ""),
        ("badge", ""),
        ("validity_days", ""),
        ("bonus_credits", ""),
    ];
    for (field, bad) in [
        ("credits", "0"),
        ("credits", "-1"),
        ("credits", "1e3"),
        ("price", "0"),
        ("price", "-5"),
        ("price", "9999999999"),
        ("currency", "XXX"),
        ("validity_days", "0"),
        ("name", ""),
    ] {
        let mut form = base.to_vec();
        form.iter_mut().find(|(k, _)| *k == field).unwrap().1 = bad;
        let (code, err) = error_of(admin.call("admin/packages/save", &form).await).await;
        assert_eq!(
            (code, err["Invalid"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{field}={bad}"
        );
    }
    assert_eq!(count(&app.pool, "credit_packages").await, before, "refused forms write nothing");

    let (mut customer, _) = app.browser_as(Role::Customer).await;
    let (code, _) = error_of(customer.call("admin/packages/save", &base).await).await;
    assert_eq!(code, StatusCode::FORBIDDEN);

    let visitor_list: Value = Browser::new(&app).call("credits/packages", &[]).await.json().await.unwrap();
    let names: Vec<&str> = visitor_list.as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Small", "Large"], "on sale only, by position");
    let large = &visitor_list[1];
    assert_eq!(
        (large["credits"].clone(), large["price_minor"].clone(), large["currency"].clone()),
        (json!(10), json!(12000), json!("EUR"))
    );
    assert_eq!(large["badge"], "Most popular");

    let page = Browser::new(&app).get("/credits").await.text().await.unwrap();
    assert!(page.contains("€120.00") && page.contains("Most popular") && page.contains("Log in to buy"), "{page}");
    assert!(!page.contains("Retired"));
}

/// (price, credits, bonus credits, validity in days) of an order.
async fn order_terms(app: &TestApp, number: &str) -> (i64, i64, i64, Option<i32>) {
    sqlx::query_as("SELECT price_minor, credits, bonus_credits, validity_days FROM orders WHERE number = $1")
        .bind(number)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// Editing a package changes it in place, audited, and the shop lists and sells it on
/// the new terms from then on; an order placed before keeps the price, credits and
/// validity it was placed with, is paid at that price and grants those credits.
#[tokio::test]
async fn an_edited_package_sells_on_its_new_terms_and_orders_already_placed_keep_theirs() {
    let app = spawn_app().await;
    let pack = package(&app, &[]).await;
    let (mut b, user) = app.browser_as(Role::Customer).await;
    let (old, old_session) = buy(&mut b, &pack).await;

    let (mut admin, _) = app.browser_as(Role::Admin).await;
    let edit = [
        ("id", pack.as_str()),
        ("name", "Starter plus"),
        ("credits", "15"),
        ("bonus_credits", "3"),
        ("price", "59.50"),
        ("currency", "EUR"),
        ("active", "on"),
        ("position", "1"),
        ("badge", "New terms"),
        ("validity_days", "30"),
    ];
    assert_eq!(location(&admin.call("admin/packages/save", &edit).await), "/admin/packages?saved=1");
    assert_eq!(count(&app.pool, "credit_packages").await, 1, "changed in place, not added");
    let audited: Vec<Value> =
        sqlx::query_scalar("SELECT details FROM audit_log WHERE action = 'package.updated' AND subject_id = $1")
            .bind(Uuid::parse_str(&pack).unwrap())
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(audited.len(), 1);
    assert_eq!((audited[0]["price_minor"].clone(), audited[0]["credits"].clone()), (json!(5950), json!(15)));

    let on_sale: Value = Browser::new(&app).call("credits/packages", &[]).await.json().await.unwrap();
    assert_eq!(
        on_sale,
        json!([{
            "id": pack.as_str(), "name": "Starter plus", "credits": 15, "bonus_credits": 3, "price_minor": 5950,
            "currency": "EUR", "active": true, "position": 1, "badge": "New terms", "validity_days": 30,
        }])
    );
    let shop = Browser::new(&app).get("/credits").await.text().await.unwrap().replace("<!>", "");
    for shown in ["Starter plus", "€59.50", " + 3 bonus", "New terms", "Valid for 30 days after purchase."] {
        assert!(shop.contains(shown), "{shown:?} missing from the shop: {shop}");
    }
    assert!(!shop.contains("€49.00"), "the old price is gone from the shop: {shop}");

    assert_eq!(order_terms(&app, &old).await, (4900, 10, 2, None), "the order keeps what it was placed with");
    let mine: Value = b.call("orders/mine", &[]).await.json().await.unwrap();
    let placed =
        mine.as_array().unwrap().iter().find(|o| o["number"] == old.as_str()).expect("the order placed before");
    assert_eq!(
        (placed["item_name"].clone(), placed["price"]["card"]["minor"].clone(), placed["credits"].clone()),
        (json!("Starter"), json!(4900), json!(10))
    );
    let checkout = b.get(&format!("/sandbox/checkout/{old_session}")).await.text().await.unwrap();
    assert!(checkout.contains("€49.00") && !checkout.contains("€59.50"), "{checkout}");
    settle(&mut b, &old_session, "approve").await;
    app.run_jobs().await;
    assert_eq!(status(&app, &old).await, "paid");
    assert_eq!(balance(&app, user.id).await, 12, "10 + 2 credits, as when it was placed");

    let (new, new_session) = buy(&mut b, &pack).await;
    assert_eq!(order_terms(&app, &new).await, (5950, 15, 3, Some(30)));
    settle(&mut b, &new_session, "approve").await;
    app.run_jobs().await;
    assert_eq!(status(&app, &new).await, "paid");
    assert_eq!(balance(&app, user.id).await, 30);
    let lots: Vec<(String, i64, bool)> =
        sqlx::query_as("SELECT source::text, granted, expires_at IS NOT NULL FROM credit_lots ORDER BY id")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        lots,
        [
            ("paid".into(), 10, false),
            ("promotional".into(), 2, false),
            ("paid".into(), 15, true),
            ("promotional".into(), 3, true)
        ]
    );
    ledger_is_clean(&app).await;
}

/// Saving a package under an id no package has, or under something that is not an id,
/// is not found, and neither adds a package nor changes the one there is.
#[tokio::test]
async fn saving_a_package_under_an_unknown_or_malformed_id_is_not_found_and_writes_nothing() {
    let app = spawn_app().await;
    let pack = package(&app, &[]).await;
    let (mut admin, _) = app.browser_as(Role::Admin).await;
    let written = || async {
        let audits: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action LIKE 'package.%'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
        (count(&app.pool, "credit_packages").await, audits)
    };
    let before = written().await;
    let unknown = Uuid::new_v4().to_string();
    let nil = Uuid::nil().to_string();
    let too_long = format!("{pack}0");
    for id in
        [unknown.as_str(), nil.as_str(), "not-a-uuid", too_long.as_str(), "12345", "'; DELETE FROM credit_packages; --"]
    {
        let form = [
            ("id", id),
            ("name", "Ghost"),
            ("credits", "5"),
            ("bonus_credits", ""),
            ("price", "5"),
            ("currency", "EUR"),
            ("active", "on"),
            ("position", ""),
            ("badge", ""),
            ("validity_days", ""),
        ];
        let (code, err) = error_of(admin.call("admin/packages/save", &form).await).await;
        assert_eq!((code, err), (StatusCode::NOT_FOUND, json!("NotFound")), "{id:?}");
    }
    assert_eq!(written().await, before, "nothing added, changed or audited");
    let on_sale: Value = Browser::new(&app).call("credits/packages", &[]).await.json().await.unwrap();
    let names: Vec<(&str, i64)> = on_sale
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["price_minor"].as_i64().unwrap()))
        .collect();
    assert_eq!(names, [("Starter", 4900)], "the package there is is unchanged");
}

#[tokio::test]
async fn buying_a_pack_in_the_sandbox_pays_the_order_once_with_an_invoice_credits_and_an_email() {
    let app = spawn_app().await;
    let pack = package(&app, &[("validity_days", "365")]).await;
    let (mut b, user) = app.browser_as(Role::Customer).await;
    let (number, session) = buy(&mut b, &pack).await;
    assert!(number.starts_with("ATN-") && number.len() == 13, "{number}");
    assert_eq!(status(&app, &number).await, "pending_payment");
    let page = b.get(&format!("/sandbox/checkout/{session}")).await.text().await.unwrap();
    assert!(page.contains("Test mode") && page.contains("€49.00") && page.contains(&number), "{page}");

    assert_eq!(settle(&mut b, &session, "approve").await, format!("/checkout/success?order={number}"));
    // The success page asks the provider before any event has arrived.
    let order = result(&mut b, &number).await;
    assert_eq!(order["status"], "paid");
    let year = jiff::tz::TimeZone::UTC.to_datetime(app.state.clock.now()).year();
    assert_eq!(order["invoice_number"], format!("INV-{year}-000001"));
    assert_eq!(balance(&app, user.id).await, 12);

    // Then the event arrives and finds the order paid.
    app.run_jobs().await;
    let events: Vec<(String, String)> =
        sqlx::query_as("SELECT type, status FROM payment_events").fetch_all(&app.pool).await.unwrap();
    assert_eq!(events, [("checkout.session.completed".to_owned(), "processed".to_owned())]);
    assert_eq!(balance(&app, user.id).await, 12, "credits granted once");
    let lots: Vec<(String, i64, bool)> =
        sqlx::query_as("SELECT source::text, granted, expires_at IS NOT NULL FROM credit_lots ORDER BY source")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(lots, [("paid".into(), 10, true), ("promotional".into(), 2, true)]);
    let history: Vec<(Option<String>, String, String)> = sqlx::query_as(
        "SELECT t.from_status, t.to_status, t.reason FROM order_transitions t JOIN orders o ON o.id = t.order_id ORDER BY t.id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!((history[1].0.as_deref(), history[1].1.as_str()), (Some("pending_payment"), "paid"));
    let mail: (String, String) =
        sqlx::query_as("SELECT template, body_text FROM email_outbox WHERE template = 'order_paid'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(mail.1.contains(&number) && mail.1.contains("INV-") && mail.1.contains("€49.00"), "{}", mail.1);
    ledger_is_clean(&app).await;

    let html = b.get(&format!("/checkout/success?order={number}")).await.text().await.unwrap();
    assert!(html.contains("your order is paid") && html.contains(&format!("INV-{year}-000001")), "{html}");
    let metrics = b.get("/metrics").await.text().await.unwrap();
    let metric = |name: &str, labels: &[&str], value: &str| {
        metrics.lines().any(|l| {
            l.starts_with(&format!("{name}{{"))
                && labels.iter().all(|x| l.contains(x))
                && l.ends_with(&format!(" {value}"))
        })
    };
    assert!(metric("attune_payments_total", &["provider=\"sandbox\"", "outcome=\"paid\""], "1"), "{metrics}");
    assert!(metric(
        "attune_webhook_events_total",
        &["type=\"checkout.session.completed\"", "result=\"processed\""],
        "1"
    ));
    assert!(metric("attune_payment_fulfilment_seconds_count", &["path=\"provider check\""], "1"));
    let again = settle(&mut b, &session, "approve").await;
    assert_eq!(again, format!("/checkout/success?order={number}"), "a second press changes nothing");
    assert_eq!(app.run_jobs().await, 0);
}

#[tokio::test]
async fn bad_purchases_get_specific_errors_and_write_nothing() {
    let app = spawn_app().await;
    let pack = package(&app, &[]).await;
    let retired = package(&app, &[("name", "Old"), ("active", "")]).await;
    let (mut b, _) = app.browser_as(Role::Customer).await;
    let key = Uuid::new_v4().to_string();
    for (package_id, key, field) in [
        (Uuid::new_v4().to_string(), key.clone(), "package_id"),
        ("not-a-uuid".into(), key.clone(), "package_id"),
        (retired.clone(), key.clone(), "package_id"),
        (pack.clone(), "stale".into(), "key"),
    ] {
        let (code, err) = error_of(b.call("credits/buy", &[("package_id", &package_id), ("key", &key)]).await).await;
        assert_eq!(
            (code, err["Invalid"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{package_id}"
        );
    }
    let (code, _) =
        error_of(Browser::new(&app).call("credits/buy", &[("package_id", &pack), ("key", &key)]).await).await;
    assert_eq!(code, StatusCode::UNAUTHORIZED);
    assert_eq!(count(&app.pool, "orders").await, 0);

    // A price sent by the client is ignored: the order costs what the package costs.
    let res = b.call("credits/buy", &[("package_id", &pack), ("key", &key), ("price_minor", "1")]).await;
    let price: Option<i64> =
        sqlx::query_scalar("SELECT price_minor FROM orders").fetch_optional(&app.pool).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(price, Some(4900));

    // The same form submitted twice makes one order.
    let key = Uuid::new_v4().to_string();
    let first = location(&b.call("credits/buy", &[("package_id", &pack), ("key", &key)]).await);
    let second = location(&b.call("credits/buy", &[("package_id", &pack), ("key", &key)]).await);
    assert!(first.starts_with("/sandbox/checkout/") && second.starts_with("/sandbox/checkout/"));
    let orders: i64 = sqlx::query_scalar("SELECT count(*) FROM orders WHERE request_key = $1::uuid")
        .bind(&key)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(orders, 1);

    // Someone else's order does not exist for you.
    let (number, _) = buy(&mut b, &pack).await;
    let (mut other, _) = app.browser_as(Role::Customer).await;
    let (code, err) = error_of(other.call("orders/result", &[("order", &number)]).await).await;
    assert_eq!((code, err), (StatusCode::NOT_FOUND, json!("NotFound")));
    let (code, _) = error_of(other.call("orders/pay", &[("order", &number)]).await).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_declined_payment_fails_the_order_and_paying_again_on_the_same_order_succeeds() {
    let app = spawn_app().await;
    let pack = package(&app, &[]).await;
    let (mut b, user) = app.browser_as(Role::Customer).await;
    let (number, session) = buy(&mut b, &pack).await;
    assert_eq!(settle(&mut b, &session, "decline").await, format!("/checkout/failed?order={number}"));
    app.run_jobs().await;
    assert_eq!(status(&app, &number).await, "payment_failed");
    let mail: i64 = sqlx::query_scalar("SELECT count(*) FROM email_outbox WHERE template = 'payment_failed'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(mail, 1);
    let html = b.get(&format!("/checkout/failed?order={number}")).await.text().await.unwrap();
    assert!(html.contains("did not go through") && html.contains("Pay now"), "{html}");

    let to = location(&b.call("orders/pay", &[("order", &number)]).await);
    let retry = to.strip_prefix("/sandbox/checkout/").unwrap().to_owned();
    assert_ne!(retry, session, "a new checkout on the same order");
    assert_eq!(status(&app, &number).await, "pending_payment");
    settle(&mut b, &retry, "approve").await;
    app.run_jobs().await;
    assert_eq!(status(&app, &number).await, "paid");
    assert_eq!(balance(&app, user.id).await, 12);
    let moves: Vec<String> =
        sqlx::query_scalar("SELECT to_status FROM order_transitions ORDER BY id").fetch_all(&app.pool).await.unwrap();
    assert_eq!(moves, ["pending_payment", "payment_failed", "pending_payment", "paid"]);
    ledger_is_clean(&app).await;
}

#[tokio::test]
async fn every_event_delivered_five_times_at_once_in_shuffled_order_with_the_success_page_grants_once() {
    let app = spawn_app().await;
    let pack = package(&app, &[]).await;
    let mut buyers = Vec::new();
    for _ in 0..3 {
        let (mut b, user) = app.browser_as(Role::Customer).await;
        let (number, session) = buy(&mut b, &pack).await;
        buyers.push((b, user, number, session));
    }
    // The provider says "paid" for each session, without its own event delivery.
    for (_, _, _, session) in &buyers {
        sqlx::query("UPDATE sandbox_sessions SET status = 'complete', payment_status = 'paid' WHERE id = $1")
            .bind(session)
            .execute(&app.pool)
            .await
            .unwrap();
    }
    let mut deliveries = Vec::new();
    for (i, (_, _, number, session)) in buyers.iter().enumerate() {
        for (j, kind) in [
            "checkout.session.completed",
            "checkout.session.async_payment_succeeded",
            "checkout.session.expired",
            "checkout.session.async_payment_failed",
        ]
        .iter()
        .enumerate()
        {
            let paid = matches!(*kind, "checkout.session.completed" | "checkout.session.async_payment_succeeded");
            let body = event(&format!("evt_{i}_{j}"), kind, session, number, 4900, paid);
            for _ in 0..5 {
                deliveries.push(body.clone());
            }
        }
    }
    // A fixed shuffle, so a failure can be replayed.
    let mut seed = 0x9e37_79b9_u64;
    for i in (1..deliveries.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        deliveries.swap(i, (seed % (i as u64 + 1)) as usize);
    }
    let app_ref = &app;
    let posts = deliveries.iter().map(|body| async move { post_event(app_ref, body, Some(sign(app_ref, body))).await });
    let pages = buyers.iter_mut().map(|(b, _, number, _)| async move { result(b, number).await });
    let (codes, pages) = tokio::join!(futures::future::join_all(posts), futures::future::join_all(pages));
    assert!(codes.iter().all(|c| *c == StatusCode::OK), "{codes:?}");
    assert!(pages.iter().all(|o| o["status"] == "paid"), "{pages:?}");
    for (_, user, number, _) in &buyers {
        assert_eq!(balance(&app, user.id).await, 12, "{number}");
        assert_eq!(status(&app, number).await, "paid");
    }
    assert_eq!(count(&app.pool, "payment_events").await, 12, "each event stored once");
    let invoices: Vec<String> = sqlx::query_scalar("SELECT invoice_number FROM orders ORDER BY invoice_number")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    let year = jiff::tz::TimeZone::UTC.to_datetime(app.state.clock.now()).year();
    assert_eq!(invoices, (1..=3).map(|n| format!("INV-{year}-{n:06}")).collect::<Vec<_>>(), "gap-free");
    ledger_is_clean(&app).await;
}

#[tokio::test]
async fn unsigned_changed_or_stale_events_are_refused_and_write_nothing() {
    let app = spawn_app().await;
    let body = event("evt_1", "checkout.session.completed", "cs_x", "ATN-0000-0000", 4900, true);
    let secret = app.state.config.payments.webhook_secret().to_owned();
    let now = app.state.clock.now().as_second();
    let mut changed = body.clone();
    let at = changed.iter().position(|b| *b == b'4').unwrap();
    changed[at] = b'5';
    for (body, sig) in [
        (body.clone(), None),
        (body.clone(), Some(signature::sign("whsec_wrong", now, &body))),
        (changed.clone(), Some(signature::sign(&secret, now, &body))),
        (body.clone(), Some(signature::sign(&secret, now - 301, &body))),
        (b"not json".to_vec(), Some(signature::sign(&secret, now, b"not json"))),
    ] {
        assert_eq!(post_event(&app, &body, sig).await, StatusCode::BAD_REQUEST);
    }
    assert_eq!(count(&app.pool, "payment_events").await, 0);
    assert_eq!(count(&app.pool, "jobs").await, 0);
}

#[tokio::test]
async fn an_event_that_cannot_be_handled_is_kept_failed_and_retried_and_the_order_waits() {
    let app = spawn_app().await;
    app.expect_failed_jobs();
    let pack = package(&app, &[]).await;
    let (mut b, user) = app.browser_as(Role::Customer).await;
    let (number, session) = buy(&mut b, &pack).await;
    let body = event("evt_short", "checkout.session.completed", &session, &number, 100, true);
    assert_eq!(post_event(&app, &body, Some(sign(&app, &body))).await, StatusCode::OK);
    let (state, error): (String, Option<String>) =
        sqlx::query_as("SELECT status, last_error FROM payment_events").fetch_one(&app.pool).await.unwrap();
    assert_eq!(state, "failed");
    assert!(error.unwrap().contains("collected 100 eur"));
    assert_eq!(status(&app, &number).await, "pending_payment", "a short payment does not pay the order");
    assert_eq!(balance(&app, user.id).await, 0);
    app.run_jobs().await;
    let attempts: i32 = sqlx::query_scalar("SELECT attempts FROM payment_events").fetch_one(&app.pool).await.unwrap();
    assert_eq!(attempts, 2, "retried by the queue");
    assert_eq!(post_event(&app, &body, Some(sign(&app, &body))).await, StatusCode::OK, "a redelivery is a no-op");
    assert_eq!(count(&app.pool, "payment_events").await, 1);
}

#[tokio::test]
async fn unpaid_orders_expire_after_a_day_and_a_late_payment_still_pays_them() {
    let app = spawn_app().await;
    let pack = package(&app, &[]).await;
    let (mut b, user) = app.browser_as(Role::Customer).await;
    let (late, late_session) = buy(&mut b, &pack).await;
    let (abandoned, abandoned_session) = buy(&mut b, &pack).await;
    app.advance(Duration::from_secs(23 * 3600));
    assert_eq!(attune::server::orders::expire_due(&app.state).await.unwrap(), 0);
    app.advance(Duration::from_secs(3600));
    assert_eq!(attune::server::orders::expire_due(&app.state).await.unwrap(), 2);
    assert_eq!(b.log_in(&user.email, PASSWORD).await.status(), StatusCode::OK, "a day idle ended the session");
    assert_eq!(status(&app, &abandoned).await, "expired");
    let (code, err) =
        error_of(b.call("sandbox/settle", &[("session_id", &abandoned_session), ("outcome", "approve")]).await).await;
    assert_eq!((code, err["Invalid"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("session_id")));
    let to = location(&b.call("orders/pay", &[("order", &abandoned)]).await);
    assert_eq!(to, format!("/checkout/failed?order={abandoned}"), "an expired order cannot be paid from the shop");
    app.run_jobs().await;

    // The provider took the money just before the session closed: the order becomes paid.
    let body = event("evt_late", "checkout.session.completed", &late_session, &late, 4900, true);
    assert_eq!(post_event(&app, &body, Some(sign(&app, &body))).await, StatusCode::OK);
    assert_eq!(status(&app, &late).await, "paid");
    assert_eq!(balance(&app, user.id).await, 12);
    ledger_is_clean(&app).await;
}

#[tokio::test]
async fn the_database_and_the_code_agree_on_every_order_transition_and_refuse_the_rest() {
    let app = spawn_app().await;
    database_agrees_on_every_move(
        &app.pool,
        "order_transition_allowed",
        &OrderStatus::ALL,
        OrderStatus::as_str,
        OrderStatus::can_move_to,
    )
    .await;
    let pack = package(&app, &[]).await;
    let (mut b, _) = app.browser_as(Role::Customer).await;
    let (number, _) = buy(&mut b, &pack).await;
    let refused =
        sqlx::query("UPDATE orders SET status = 'refunded' WHERE number = $1").bind(&number).execute(&app.pool).await;
    assert!(refused.unwrap_err().to_string().contains("cannot move from pending_payment to refunded"));
    let refused =
        sqlx::query("UPDATE orders SET price_minor = 1 WHERE number = $1").bind(&number).execute(&app.pool).await;
    assert!(refused.is_err(), "what an order bought cannot change");
}

#[tokio::test]
async fn with_payment_events_lost_reconciliation_pays_the_order_exactly_once() {
    let app = spawn_app().await;
    let pack = package(&app, &[]).await;
    let (mut b, user) = app.browser_as(Role::Customer).await;
    let (number, session) = buy(&mut b, &pack).await;
    let (unpaid, _) = buy(&mut b, &pack).await;
    settle(&mut b, &session, "approve").await;
    // The provider's event never arrives, and the customer never returns to the shop.
    sqlx::query("DELETE FROM jobs WHERE kind = 'sandbox_event'").execute(&app.pool).await.unwrap();
    assert_eq!(status(&app, &number).await, "pending_payment");

    let first = attune::server::orders::reconcile(&app.state).await.unwrap();
    assert_eq!((first.checked, first.repaired), (2, 1));
    assert_eq!(status(&app, &number).await, "paid");
    assert_eq!(status(&app, &unpaid).await, "pending_payment", "an unpaid checkout stays unpaid");
    let second = attune::server::orders::reconcile(&app.state).await.unwrap();
    assert_eq!((second.checked, second.repaired), (1, 0), "a second run repairs nothing");
    assert_eq!(balance(&app, user.id).await, 12);
    ledger_is_clean(&app).await;

    let (mut admin, _) = app.browser_as(Role::Admin).await;
    let page = admin.get("/admin/payments").await.text().await.unwrap();
    assert!(page.contains(": 1 unpaid orders asked about, 0 repaired."), "{page}");
    assert!(page.contains(&number) && page.contains(&unpaid));
    let res = admin.call("admin/payments/reconcile", &[]).await;
    assert_eq!(location(&res), "/admin/payments?reconciled=1");
    let (code, _) = error_of(b.call("admin/payments/reconcile", &[]).await).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let dashboard = b.get("/dashboard").await.text().await.unwrap();
    assert!(dashboard.contains(&number) && dashboard.contains("INV-"), "the customer's orders are listed");
}

#[tokio::test]
async fn an_admin_can_retry_a_failed_event_and_sees_why_it_still_fails() {
    let app = spawn_app().await;
    app.expect_failed_jobs();
    let pack = package(&app, &[]).await;
    let (mut b, _) = app.browser_as(Role::Customer).await;
    let (number, session) = buy(&mut b, &pack).await;
    let body = event("evt_bad_amount", "checkout.session.completed", &session, &number, 1, true);
    assert_eq!(post_event(&app, &body, Some(sign(&app, &body))).await, StatusCode::OK);
    let (mut admin, _) = app.browser_as(Role::Admin).await;
    let (code, _) = error_of(b.call("admin/payments/retry", &[("event_id", "evt_bad_amount")]).await).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let res = admin.call("admin/payments/retry", &[("event_id", "evt_bad_amount")]).await;
    assert_eq!(location(&res), "/admin/payments?retried=1");
    let (state, attempts): (String, i32) =
        sqlx::query_as("SELECT status, attempts FROM payment_events").fetch_one(&app.pool).await.unwrap();
    assert_eq!((state.as_str(), attempts), ("failed", 2));
    let page = admin.get("/admin/payments").await.text().await.unwrap();
    assert!(page.contains("evt_bad_amount") && page.contains("collected 1 eur"), "{page}");
    let (code, err) = error_of(admin.call("admin/payments/retry", &[("event_id", "evt_none")]).await).await;
    assert_eq!((code, err), (StatusCode::NOT_FOUND, json!("NotFound")));
}

#[tokio::test]
async fn the_credit_history_downloads_as_csv_for_its_owner_only() {
    let app = spawn_app().await;
    let pack = package(&app, &[("name", "Starter, large")]).await;
    let (mut b, _) = app.browser_as(Role::Customer).await;
    let (number, session) = buy(&mut b, &pack).await;
    settle(&mut b, &session, "approve").await;
    assert_eq!(result(&mut b, &number).await["status"], "paid");
    let res = b.get("/dashboard/credits.csv").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(
        res.headers()["content-disposition"].to_str().unwrap().starts_with("attachment; filename=\"attune-credits-U")
    );
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert_eq!(lines[0], "time_utc,kind,reason,change,balance_after");
    assert!(lines[1].ends_with(",purchase,\"Starter, large\",10,10"), "{csv}");
    assert!(lines[2].ends_with(",bonus,\"Starter, large\",2,12"), "{csv}");
    let anonymous = Browser::new(&app).get("/dashboard/credits.csv").await;
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    assert_eq!(anonymous.headers()["location"], "/login?next=/dashboard/credits.csv");
}

#[tokio::test]
async fn events_that_are_not_about_our_orders_are_stored_and_ignored() {
    let app = spawn_app().await;
    let foreign = event("evt_foreign", "checkout.session.completed", "cs_other", "INV-42", 4900, true);
    let unknown_kind =
        serde_json::to_vec(&json!({ "id": "evt_kind", "type": "customer.created", "data": { "object": {} } })).unwrap();
    for body in [&foreign, &unknown_kind] {
        assert_eq!(post_event(&app, body, Some(sign(&app, body))).await, StatusCode::OK);
    }
    let stored: Vec<(String, String)> =
        sqlx::query_as("SELECT id, status FROM payment_events ORDER BY id").fetch_all(&app.pool).await.unwrap();
    assert_eq!(stored, [("evt_foreign".into(), "ignored".into()), ("evt_kind".into(), "ignored".into())]);
    assert_eq!(count(&app.pool, "jobs").await, 0, "nothing to retry");
}

#[tokio::test]
async fn a_worker_killed_while_delivering_a_payment_event_leaves_it_to_the_next_worker() {
    let app = spawn_app().await;
    let pack = package(&app, &[]).await;
    let (mut b, user) = app.browser_as(Role::Customer).await;
    let (number, session) = buy(&mut b, &pack).await;
    settle(&mut b, &session, "approve").await;
    // A worker took the delivery job and died before finishing it.
    let taken = sqlx::query(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_at = $1 WHERE kind = 'sandbox_event'",
    )
    .bind(app.state.clock.now_db())
    .execute(&app.pool)
    .await
    .unwrap();
    assert_eq!(taken.rows_affected(), 1);
    app.run_jobs().await;
    let delivery = || async {
        sqlx::query_scalar::<_, String>("SELECT status FROM jobs WHERE kind = 'sandbox_event'")
            .fetch_one(&app.pool)
            .await
            .unwrap()
    };
    assert_eq!(delivery().await, "running", "a running job is not taken while its lease lasts");
    assert_eq!(status(&app, &number).await, "pending_payment");
    app.advance(Duration::from_secs(301));
    app.run_jobs().await;
    assert_eq!(delivery().await, "done");
    assert_eq!(status(&app, &number).await, "paid");
    assert_eq!(balance(&app, user.id).await, 12);
    ledger_is_clean(&app).await;
}

#[tokio::test]
async fn admins_see_an_orders_customer_sessions_and_history_and_no_one_else_does() {
    let app = spawn_app().await;
    let pack = package(&app, &[]).await;
    let (mut b, _) = app.browser_as(Role::Customer).await;
    let (number, session) = buy(&mut b, &pack).await;
    settle(&mut b, &session, "decline").await;
    app.run_jobs().await;
    let (mut admin, _) = app.browser_as(Role::Admin).await;
    let detail: Value =
        admin.call("admin/orders/detail", &[("order", &number.to_lowercase())]).await.json().await.unwrap();
    assert_eq!(detail["order"]["number"], number.as_str(), "found however it is typed");
    assert_eq!(detail["sessions"], json!([session]));
    let moves: Vec<(Value, Value, Value)> = detail["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["to"].clone(), t["actor"].clone(), t["reason"].clone()))
        .collect();
    let customer_code = detail["customer"].clone();
    assert_eq!(
        moves,
        [
            (json!("pending_payment"), customer_code, json!("Order placed")),
            (json!("payment_failed"), Value::Null, json!("The payment was declined")),
        ]
    );
    let page = admin.get(&format!("/admin/orders/{number}")).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("The payment was declined") && html.contains("System"), "{html}");
    assert_eq!(admin.get("/admin/orders/ATN-0000-0000").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(b.get(&format!("/admin/orders/{number}")).await.status(), StatusCode::FORBIDDEN);
    let (code, _) = error_of(b.call("admin/orders/detail", &[("order", &number)]).await).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
}

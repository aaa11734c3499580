//! The service checkout and the orders it makes: the three steps with drafts saved and
//! resumed, guests, paying in credits (and the race for one wallet) or by card, the
//! shortfall offer, the practitioner's work on the order, who may see what, and what
//! bad input does.

use crate::fixtures::emails_to;
use crate::helpers::*;
use crate::orders::{ledger_is_clean, location, package, settle};
use attune::domain::Credits;
use attune::domain::Role;
use attune::domain::catalog::{Question, QuestionKind};
use attune::domain::ledger::LotSource;
use attune::server::ledger::{self, Kind, Movement};
use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;
use uuid::Uuid;

/// A published written service of a new approved practitioner; returns its slug and the
/// practitioner.
pub(crate) async fn service(
    app: &TestApp,
    credits: Option<i64>,
    card_minor: Option<i64>,
    questions: &[Question],
) -> (String, TestUser) {
    let owner = approved_practitioner(app).await;
    sqlx::query(
        "INSERT INTO service_types (slug, name) VALUES ('written-readings', 'Written readings') ON CONFLICT DO NOTHING",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let slug = format!("written-{}", Uuid::new_v4().simple());
    sqlx::query(
        "INSERT INTO services (practitioner_id, type_id, slug, title, description, delivery, price_credits, price_minor,
                               currency, questions, status, created_at, updated_at)
         VALUES ($1, (SELECT id FROM service_types WHERE slug = 'written-readings'), $2, 'Written year ahead',
                 'A written forecast of the year ahead, sent within five days.', 'written', $3, $4, $5, $6, 'active',
                 now(), now())",
    )
    .bind(owner.id)
    .bind(&slug)
    .bind(credits)
    .bind(card_minor)
    .bind(card_minor.map(|_| "EUR"))
    .bind(serde_json::to_value(questions).unwrap())
    .execute(&app.pool)
    .await
    .unwrap();
    (slug, owner)
}

pub(crate) fn question(label: &str, kind: QuestionKind, required: bool, options: &[&str]) -> Question {
    Question {
        id: Uuid::new_v4(),
        label: label.into(),
        kind,
        required,
        options: options.iter().map(|o| o.to_string()).collect(),
    }
}

pub(crate) async fn give_credits(app: &TestApp, user: Uuid, n: i64) {
    let mut tx = app.pool.begin().await.unwrap();
    let key = format!("test-grant:{}", Uuid::new_v4());
    let m = Movement {
        kind: Kind::Purchase,
        key: &key,
        actor: None,
        reference: None,
        reason: None,
        at: app.state.clock.now(),
    };
    ledger::grant(&mut tx, user, Credits::new(n).unwrap(), LotSource::Paid, None, &m).await.unwrap();
    tx.commit().await.unwrap();
}

pub(crate) async fn spendable(app: &TestApp, user: Uuid) -> i64 {
    attune::server::credits::spendable(&app.pool, user, app.state.clock.now()).await.unwrap()
}

/// Step 1 of a new order; returns its number.
pub(crate) async fn start(b: &mut Browser<'_>, slug: &str, name: &str, email: &str) -> String {
    let key = Uuid::new_v4().to_string();
    let res = b
        .call("checkout/details", &[("order", ""), ("service", slug), ("key", &key), ("name", name), ("email", email)])
        .await;
    let to = location(&res);
    to.strip_prefix("/checkout/").expect("sent on to the order's checkout").to_owned()
}

pub(crate) async fn order(app: &TestApp, number: &str) -> (String, Option<String>, Value, i16) {
    sqlx::query_as("SELECT status, paid_with, answers, step FROM orders WHERE number = $1")
        .bind(number)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

pub(crate) async fn page(b: &Browser<'_>, path: &str) -> (StatusCode, String) {
    let res = b.get(path).await;
    (res.status(), res.text().await.unwrap().replace("<!>", ""))
}

#[tokio::test]
async fn three_steps_then_credits_pay_the_order_and_the_practitioner_works_it_to_completion() {
    let app = spawn_app().await;
    let topic = question("What should the reading focus on?", QuestionKind::LongText, true, &[]);
    let when = question("Birth date", QuestionKind::Date, true, &[]);
    let (slug, owner) = service(&app, Some(30), Some(4500), &[topic.clone(), when.clone()]).await;
    let mut customer = signed_in(&app, "ana@example.com", Role::Customer).await;
    let ana = sqlx::query_scalar::<_, Uuid>("SELECT id FROM users WHERE email = 'ana@example.com'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    give_credits(&app, ana, 50).await;

    let service_page = page(&customer, &format!("/s/{slug}")).await.1;
    assert!(service_page.contains(&format!("/checkout/new/{slug}")), "the service page offers Purchase");
    let (status, step1) = page(&customer, &format!("/checkout/new/{slug}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(step1.contains("value=\"ana@example.com\""), "step 1 is prefilled for a signed-in customer");
    assert!(step1.contains("aria-current=\"step\""), "the progress indicator marks the step");

    let number = start(&mut customer, &slug, "Ana Lima", "ana@example.com").await;
    assert_eq!(order(&app, &number).await.0, "draft");
    let step2 = page(&customer, &format!("/checkout/{number}")).await.1;
    assert!(step2.contains(&format!("name=\"answers[q{}]\"", topic.id)), "step 2 asks the service's questions");

    let (tk, wk) = (format!("answers[q{}]", topic.id), format!("answers[q{}]", when.id));
    let res = customer
        .call("checkout/answers", &[("order", &number), (&tk, "Career and moving abroad"), (&wk, "1990-04-02")])
        .await;
    assert_eq!(location(&res), format!("/checkout/{number}?step=3"));
    let review = page(&customer, &format!("/checkout/{number}")).await.1;
    assert!(review.contains("30 credits · €45.00"), "the review shows the price the service page showed");
    assert!(review.contains("50 credits"), "and the balance");

    let res = customer.call("checkout/pay", &[("order", &number), ("method", "credits")]).await;
    assert_eq!(location(&res), format!("/orders/{number}"));
    let (status, paid_with, answers, _) = order(&app, &number).await;
    assert_eq!((status.as_str(), paid_with.as_deref()), ("paid", Some("credits")));
    assert_eq!(answers[topic.id.to_string()], "Career and moving abroad");
    assert_eq!(spendable(&app, ana).await, 20);
    ledger_is_clean(&app).await;
    assert_eq!(emails_to(&app, "ana@example.com", "service_order_paid").await, 1);
    assert_eq!(emails_to(&app, &owner.email, "service_order_received").await, 1);

    let again = customer.call("checkout/pay", &[("order", &number), ("method", "credits")]).await;
    assert_eq!(location(&again), format!("/orders/{number}"), "paying again goes to the order");
    assert_eq!(spendable(&app, ana).await, 20, "and takes nothing more");

    let mut practitioner = Browser::new(&app);
    practitioner.log_in(&owner.email, PASSWORD).await;
    let list: Value = practitioner.call("practitioner/orders", &[]).await.json().await.unwrap();
    assert_eq!(list[0]["number"], number.as_str());
    assert_eq!(list[0]["price"], "30 credits", "what was paid");
    let mine: Value = customer.call("orders/services", &[]).await.json().await.unwrap();
    assert_eq!(mine[0]["number"], number.as_str());

    let early = practitioner.call("practitioner/orders/work", &[("order", &number), ("step", "complete")]).await;
    assert_eq!(error_of(early).await.0, StatusCode::UNPROCESSABLE_ENTITY, "not completed before it is accepted");
    for step in ["accept", "complete"] {
        let res = practitioner.call("practitioner/orders/work", &[("order", &number), ("step", step)]).await;
        assert_eq!(location(&res), format!("/orders/{number}"));
    }
    assert_eq!(order(&app, &number).await.0, "completed");
    assert_eq!(emails_to(&app, "ana@example.com", "service_order_moved").await, 2);
    let earnings: Value = practitioner.call("practitioner/earnings", &[]).await.json().await.unwrap();
    assert_eq!(earnings[0]["credits"], 30, "the spend, as the ledger recorded it: {earnings}");
    assert_eq!(earnings[0]["orders"], 1);

    let (status, detail) = page(&customer, &format!("/orders/{number}")).await;
    assert_eq!(status, StatusCode::OK);
    for shown in [
        "Checkout started",
        "Paid with 30 credits",
        "Accepted by the practitioner",
        "Completed by the practitioner",
        "Career and moving abroad",
    ] {
        assert!(detail.contains(shown), "{shown:?} missing from the order page");
    }
    let history: Vec<String> = sqlx::query_scalar(
        "SELECT to_status FROM order_transitions t JOIN orders o ON o.id = t.order_id WHERE o.number = $1 ORDER BY t.id",
    )
    .bind(&number)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(history, ["draft", "paid", "in_progress", "completed"]);
}

#[tokio::test]
async fn a_draft_resumes_on_another_device_at_the_step_reached_with_its_answers() {
    let app = spawn_app().await;
    let q = question("Your question", QuestionKind::ShortText, true, &[]);
    let (slug, _) = service(&app, Some(10), None, std::slice::from_ref(&q)).await;
    let mut phone = signed_in(&app, "bo@example.com", Role::Customer).await;
    let number = start(&mut phone, &slug, "Bo", "bo@example.com").await;
    let key = format!("answers[q{}]", q.id);
    phone.call("checkout/answers", &[("order", &number), (&key, "Will it rain?")]).await;

    let mut laptop = Browser::new(&app);
    laptop.log_in("bo@example.com", PASSWORD).await;
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/checkout/new/{slug}", app.base))
        .header("accept", "text/html")
        .header("cookie", laptop.cookie.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FOUND, "a browser is redirected");
    assert_eq!(res.headers()["location"], format!("/checkout/{number}").as_str(), "the same draft, not a new one");
    let review = page(&laptop, &format!("/checkout/{number}")).await.1;
    assert!(review.contains("Will it rain?"), "the answers were kept");
    assert!(review.contains("data-testid=\"review\""), "it opens at review, the step reached");
    let back = page(&laptop, &format!("/checkout/{number}?step=1")).await.1;
    assert!(back.contains("value=\"Bo\""), "earlier steps can be revisited");
    assert_eq!(count(&app.pool, "orders").await, 1);

    let stranger = signed_in(&app, "cy@example.com", Role::Customer).await;
    let (status, _) = page(&stranger, &format!("/checkout/{number}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "someone else's draft does not exist for them");
}

#[tokio::test]
async fn a_guest_submitting_step_one_twice_at_once_gets_one_account_one_order_and_one_email() {
    let app = spawn_app().await;
    let (slug, _) = service(&app, None, Some(2500), &[]).await;
    let mut guest = Browser::new(&app);
    let key = Uuid::new_v4().to_string();
    let form = [
        ("order", ""),
        ("service", slug.as_str()),
        ("key", key.as_str()),
        ("name", "Dee Guest"),
        ("email", "dee@example.com"),
    ];
    let posts = (0..2).map(|_| {
        let mut b = guest.clone();
        async move {
            let res = b.call("checkout/details", &form).await;
            (res, b.cookie)
        }
    });
    let answers = futures::future::join_all(posts).await;
    let places: Vec<String> = answers.iter().map(|(res, _)| location(res)).collect();
    // Each answer started a session holding the order; the browser keeps the last one.
    guest.cookie = answers[1].1.clone();
    assert!(answers.iter().all(|(_, c)| c.is_some()));
    assert_eq!(places[0], places[1], "both submissions land on the same order");
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE email = 'dee@example.com'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(users, 1);
    let orders: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM orders o JOIN users u ON u.id = o.user_id WHERE u.email = 'dee@example.com'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(orders, 1);
    assert_eq!(emails_to(&app, "dee@example.com", "set_password").await, 1);

    let number = places[0].strip_prefix("/checkout/").unwrap().to_owned();
    let review = page(&guest, &format!("/checkout/{number}")).await.1;
    assert!(
        review.contains("data-testid=\"review\"") && review.contains("€25.00"),
        "a service without questions goes straight to review: {review}"
    );
    let res = guest.call("checkout/pay", &[("order", &number), ("method", "card")]).await;
    let session = location(&res).strip_prefix("/sandbox/checkout/").expect("sent to the sandbox").to_owned();
    assert_eq!(settle(&mut guest, &session, "approve").await, format!("/orders/{number}"));
    app.run_jobs().await;
    let (status, paid_with, _, _) = order(&app, &number).await;
    assert_eq!((status.as_str(), paid_with.as_deref()), ("paid", Some("card")));
    let invoice: Option<String> = sqlx::query_scalar("SELECT invoice_number FROM orders WHERE number = $1")
        .bind(&number)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(invoice.is_some(), "a card payment has its invoice");
    let (status, detail) = page(&guest, &format!("/orders/{number}")).await;
    assert_eq!(status, StatusCode::OK, "the guest sees their order in the browser that placed it");
    assert!(detail.contains("€25.00") && detail.contains("Paid"));
    let (status, _) = page(&Browser::new(&app), &format!("/orders/{number}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another browser does not");
}

#[tokio::test]
async fn two_hundred_checkouts_paying_from_a_wallet_that_covers_37_make_37_paid_orders_and_no_drift() {
    let app = spawn_app().await;
    let (slug, _) = service(&app, Some(3), None, &[]).await;
    let buyer = signed_in(&app, "fay@example.com", Role::Customer).await;
    let fay = sqlx::query_scalar::<_, Uuid>("SELECT id FROM users WHERE email = 'fay@example.com'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    give_credits(&app, fay, 37 * 3).await;
    let mut numbers = Vec::new();
    for _ in 0..200 {
        let mut b = buyer.clone();
        numbers.push(start(&mut b, &slug, "Fay", "fay@example.com").await);
    }
    let pays = numbers.iter().map(|n| {
        let mut b = buyer.clone();
        async move { b.call("checkout/pay", &[("order", n), ("method", "credits")]).await }
    });
    let answers = futures::future::join_all(pays).await;
    let mut paid = 0;
    let mut short = 0;
    for res in answers {
        match res.status() {
            StatusCode::OK => paid += 1,
            StatusCode::CONFLICT => {
                let body: Value = res.json().await.unwrap();
                assert_eq!(body["InsufficientCredits"]["available"], 0, "{body}");
                assert_eq!(body["InsufficientCredits"]["needed"], 3);
                short += 1;
            }
            other => panic!("unexpected answer {other}: {:?}", res.text().await),
        }
    }
    assert_eq!((paid, short), (37, 163));
    let orders_paid: i64 =
        sqlx::query_scalar("SELECT count(*) FROM orders WHERE status = 'paid'").fetch_one(&app.pool).await.unwrap();
    let drafts: i64 =
        sqlx::query_scalar("SELECT count(*) FROM orders WHERE status = 'draft'").fetch_one(&app.pool).await.unwrap();
    assert_eq!((orders_paid, drafts), (37, 163), "a refused payment leaves its draft as it was");
    let spends: i64 = sqlx::query_scalar("SELECT count(*) FROM ledger_transactions WHERE kind = 'spend'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(spends, 37);
    assert_eq!(spendable(&app, fay).await, 0);
    ledger_is_clean(&app).await;
}

#[tokio::test]
async fn a_short_wallet_is_told_the_shortfall_offered_a_pack_that_covers_it_and_brought_back_to_the_order() {
    let app = spawn_app().await;
    let small = package(&app, &[("name", "Small"), ("credits", "5"), ("bonus_credits", "0"), ("price", "5.00")]).await;
    package(
        &app,
        &[("name", "Medium"), ("credits", "20"), ("bonus_credits", "5"), ("price", "20.00"), ("position", "2")],
    )
    .await;
    package(
        &app,
        &[("name", "Large"), ("credits", "60"), ("bonus_credits", "0"), ("price", "50.00"), ("position", "3")],
    )
    .await;
    let _ = small;
    let (slug, _) = service(&app, Some(30), None, &[]).await;
    let mut b = signed_in(&app, "gil@example.com", Role::Customer).await;
    let gil = sqlx::query_scalar::<_, Uuid>("SELECT id FROM users WHERE email = 'gil@example.com'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    give_credits(&app, gil, 8).await;
    let number = start(&mut b, &slug, "Gil", "gil@example.com").await;
    let review = page(&b, &format!("/checkout/{number}")).await.1;
    assert!(review.contains("You need 22 more credits"), "the shortfall is stated");
    assert!(review.contains("Buy Medium for €20.00"), "the cheapest pack that covers it is offered");
    let res = b.call("checkout/pay", &[("order", &number), ("method", "credits")]).await;
    let (status, body) = error_of(res).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        (body["InsufficientCredits"]["available"].as_i64(), body["InsufficientCredits"]["needed"].as_i64()),
        (Some(8), Some(30))
    );
    assert_eq!(order(&app, &number).await.0, "draft");
    assert_eq!(spendable(&app, gil).await, 8, "nothing was taken");

    let medium: String = sqlx::query_scalar("SELECT id::text FROM credit_packages WHERE name = 'Medium'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let key = Uuid::new_v4().to_string();
    let res = b.call("credits/buy", &[("package_id", &medium), ("key", &key), ("for_order", &number)]).await;
    let session = location(&res).strip_prefix("/sandbox/checkout/").unwrap().to_owned();
    let result = settle(&mut b, &session, "approve").await;
    app.run_jobs().await;
    let result_page = page(&b, &result).await.1;
    assert!(result_page.contains(&format!("/checkout/{number}?step=3")), "the pack's result leads back to the order");
    let res = b.call("checkout/pay", &[("order", &number), ("method", "credits")]).await;
    assert_eq!(location(&res), format!("/orders/{number}"));
    assert_eq!(spendable(&app, gil).await, 3, "8 + 25 − 30");
    ledger_is_clean(&app).await;
}

#[tokio::test]
async fn bad_answers_and_tampered_requests_get_specific_errors_and_change_nothing() {
    let app = spawn_app().await;
    let short = question("Name on the chart", QuestionKind::ShortText, true, &[]);
    let pick = question("Format", QuestionKind::Choice, true, &["PDF", "Audio"]);
    let (slug, owner) = service(&app, Some(10), None, &[short.clone(), pick.clone()]).await;
    let mut b = signed_in(&app, "hal@example.com", Role::Customer).await;
    let hal = sqlx::query_scalar::<_, Uuid>("SELECT id FROM users WHERE email = 'hal@example.com'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    give_credits(&app, hal, 100).await;
    let number = start(&mut b, &slug, "Hal", "hal@example.com").await;
    let (sk, pk) = (format!("answers[q{}]", short.id), format!("answers[q{}]", pick.id));
    let stray = format!("answers[q{}]", Uuid::new_v4());
    let long = "x".repeat(201);
    let cases: Vec<(Vec<(&str, &str)>, String)> = vec![
        (vec![(&pk, "PDF")], format!("answer-{}", short.id)),
        (vec![(&sk, &long), (&pk, "PDF")], format!("answer-{}", short.id)),
        (vec![(&sk, "Hal"), (&pk, "Video")], format!("answer-{}", pick.id)),
        (vec![(&sk, "Hal"), (&pk, "PDF"), (&stray, "x")], "answers".to_owned()),
    ];
    for (fields, field) in cases {
        let mut form = vec![("order", number.as_str())];
        form.extend(fields);
        let (status, body) = error_of(b.call("checkout/answers", &form).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["Invalid"]["field"], field.as_str(), "{body}");
        assert_eq!(order(&app, &number).await.3, 1, "still at step 1");
    }
    let early = b.call("checkout/pay", &[("order", &number), ("method", "credits")]).await;
    assert_eq!(error_of(early).await.0, StatusCode::UNPROCESSABLE_ENTITY, "cannot pay before answering");
    let bad_method = b.call("checkout/pay", &[("order", &number), ("method", "cash")]).await;
    assert_eq!(error_of(bad_method).await.1["Invalid"]["field"], "method");
    let by_card = b.call("checkout/pay", &[("order", &number), ("method", "card")]).await;
    assert_eq!(error_of(by_card).await.0, StatusCode::UNPROCESSABLE_ENTITY, "no card price, no card payment");

    let html = "<script>alert(1)</script>";
    let ok = b.call("checkout/answers", &[("order", &number), (&sk, html), (&pk, "PDF")]).await;
    assert_eq!(ok.status(), StatusCode::OK);
    // The service changes after the order was started: the order keeps what it agreed.
    sqlx::query("UPDATE services SET price_credits = 99, title = 'Renamed' WHERE slug = $1")
        .bind(&slug)
        .execute(&app.pool)
        .await
        .unwrap();
    let review = page(&b, &format!("/checkout/{number}")).await.1;
    assert!(!review.contains(html) && review.contains("&lt;script&gt;"), "HTML in an answer is shown as text");
    assert!(review.contains("10 credits") && !review.contains("99 credits"));

    // A paused service cannot be paid for, and the refusal writes nothing.
    sqlx::query("UPDATE services SET status = 'paused' WHERE slug = $1").bind(&slug).execute(&app.pool).await.unwrap();
    let (status, body) = error_of(b.call("checkout/pay", &[("order", &number), ("method", "credits")]).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["Invalid"]["message"].as_str().unwrap().contains("no longer offered"));
    assert_eq!(order(&app, &number).await.0, "draft");
    assert_eq!(spendable(&app, hal).await, 100);
    sqlx::query("UPDATE services SET status = 'active' WHERE slug = $1").bind(&slug).execute(&app.pool).await.unwrap();
    let paid = b.call("checkout/pay", &[("order", &number), ("method", "credits")]).await;
    assert_eq!(location(&paid), format!("/orders/{number}"));
    assert_eq!(spendable(&app, hal).await, 90, "charged what the order agreed, not the new price");
    let detail = page(&b, &format!("/orders/{number}")).await.1;
    assert!(!detail.contains(html) && detail.contains("&lt;script&gt;"));

    let after_paid = b.call("checkout/answers", &[("order", &number), (&sk, "Changed"), (&pk, "PDF")]).await;
    assert_eq!(error_of(after_paid).await.0, StatusCode::UNPROCESSABLE_ENTITY, "answers are fixed once paid");
    let tampered = b.call("checkout/answers", &[("order", "ATN-0000-0000"), (&sk, "x"), (&pk, "PDF")]).await;
    assert_eq!(error_of(tampered).await.0, StatusCode::NOT_FOUND);
    let unknown = b
        .call(
            "checkout/details",
            &[
                ("order", ""),
                ("service", "no-such-service"),
                ("key", &Uuid::new_v4().to_string()),
                ("name", "Hal"),
                ("email", "hal@example.com"),
            ],
        )
        .await;
    assert_eq!(error_of(unknown).await.0, StatusCode::NOT_FOUND);
    let stale_key = b
        .call(
            "checkout/details",
            &[("order", ""), ("service", &slug), ("key", "not-a-key"), ("name", "Hal"), ("email", "hal@example.com")],
        )
        .await;
    assert_eq!(error_of(stale_key).await.1["Invalid"]["field"], "key");

    let mut own = Browser::new(&app);
    own.log_in(&owner.email, PASSWORD).await;
    let self_order = own
        .call(
            "checkout/details",
            &[
                ("order", ""),
                ("service", &slug),
                ("key", &Uuid::new_v4().to_string()),
                ("name", "Me"),
                ("email", &owner.email),
            ],
        )
        .await;
    assert_eq!(error_of(self_order).await.1["Invalid"]["field"], "service", "no one orders their own service");
    assert_eq!(count(&app.pool, "orders").await, 1);
}

#[tokio::test]
async fn scheduled_services_are_not_bought_through_this_checkout() {
    let app = spawn_app().await;
    let (slug, _) = service(&app, Some(10), None, &[]).await;
    sqlx::query("UPDATE services SET delivery = 'video', duration_minutes = 60 WHERE slug = $1")
        .bind(&slug)
        .execute(&app.pool)
        .await
        .unwrap();
    let mut b = signed_in(&app, "ian@example.com", Role::Customer).await;
    let page_html = page(&b, &format!("/s/{slug}")).await.1;
    assert!(!page_html.contains("/checkout/new/"), "no Purchase on a session booked for a time");
    let res = b
        .call(
            "checkout/details",
            &[
                ("order", ""),
                ("service", &slug),
                ("key", &Uuid::new_v4().to_string()),
                ("name", "Ian"),
                ("email", "ian@example.com"),
            ],
        )
        .await;
    assert_eq!(error_of(res).await.1["Invalid"]["field"], "service");
    assert_eq!(count(&app.pool, "orders").await, 0);
}

#[tokio::test]
async fn an_unpaid_draft_expires_after_a_day_and_cannot_be_paid() {
    let app = spawn_app().await;
    let (slug, _) = service(&app, Some(4), None, &[]).await;
    let mut b = signed_in(&app, "jo@example.com", Role::Customer).await;
    let jo = sqlx::query_scalar::<_, Uuid>("SELECT id FROM users WHERE email = 'jo@example.com'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    give_credits(&app, jo, 10).await;
    let number = start(&mut b, &slug, "Jo", "jo@example.com").await;
    app.advance(Duration::from_secs(25 * 3600));
    b.log_in("jo@example.com", PASSWORD).await;
    let res = b.call("checkout/pay", &[("order", &number), ("method", "credits")]).await;
    let (status, body) = error_of(res).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["Invalid"]["message"].as_str().unwrap().contains("expired"), "{body}");
    attune::server::orders::expire_due(&app.state).await.unwrap();
    assert_eq!(order(&app, &number).await.0, "expired");
    assert_eq!(spendable(&app, jo).await, 10);
    let fresh = page(&b, &format!("/checkout/new/{slug}")).await;
    assert_eq!(fresh.0, StatusCode::OK, "an expired draft is not resumed: a new checkout starts");
}

#[tokio::test]
async fn only_the_customer_the_assigned_practitioner_and_admins_see_an_order_and_only_the_practitioner_works_it() {
    let app = spawn_app().await;
    let (slug, owner) = service(&app, Some(2), None, &[]).await;
    let mut customer = signed_in(&app, "kim@example.com", Role::Customer).await;
    let kim = sqlx::query_scalar::<_, Uuid>("SELECT id FROM users WHERE email = 'kim@example.com'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    give_credits(&app, kim, 2).await;
    let number = start(&mut customer, &slug, "Kim", "kim@example.com").await;
    customer.call("checkout/pay", &[("order", &number), ("method", "credits")]).await;

    let mut assigned = Browser::new(&app);
    assigned.log_in(&owner.email, PASSWORD).await;
    let other_practitioner = approved_practitioner(&app).await;
    let mut other = Browser::new(&app);
    other.log_in(&other_practitioner.email, PASSWORD).await;
    let mut stranger = signed_in(&app, "lee@example.com", Role::Customer).await;
    let (mut admin, _) = app.browser_as(Role::Admin).await;
    let mut anonymous = Browser::new(&app);

    let path = format!("/orders/{number}");
    for (who, b, seen) in [
        ("customer", &mut customer, true),
        ("assigned practitioner", &mut assigned, true),
        ("other practitioner", &mut other, false),
        ("other customer", &mut stranger, false),
        ("admin", &mut admin, true),
        ("anonymous", &mut anonymous, false),
    ] {
        let (status, _) = page(b, &path).await;
        let api = b.call("orders/service", &[("order", &number)]).await.status();
        let checkout = b.call("checkout/view", &[("order", &number)]).await.status();
        if seen {
            assert_eq!((status, api), (StatusCode::OK, StatusCode::OK), "{who}");
        } else {
            assert_eq!((status, api), (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND), "{who}");
            assert_eq!(checkout, StatusCode::NOT_FOUND, "{who}");
            let details = b
                .call(
                    "checkout/details",
                    &[("order", &number), ("name", "Intruder"), ("email", "intruder@example.com")],
                )
                .await
                .status();
            let answers = b.call("checkout/answers", &[("order", &number)]).await.status();
            let pay = b.call("checkout/pay", &[("order", &number), ("method", "credits")]).await.status();
            assert_eq!(
                (details, answers, pay),
                (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND, StatusCode::NOT_FOUND),
                "{who}"
            );
        }
        if who != "assigned practitioner" {
            let work = b.call("practitioner/orders/work", &[("order", &number), ("step", "accept")]).await.status();
            assert!(work.is_client_error(), "{who} cannot accept: {work}");
        }
        if who != "admin" {
            let code =
                b.call("admin/orders/reassign", &[("order", &number), ("practitioner", "U-0000")]).await.status();
            assert!(code == StatusCode::UNAUTHORIZED || code == StatusCode::FORBIDDEN, "{who} cannot reassign: {code}");
        }
    }
    assert_eq!(order(&app, &number).await.0, "paid", "no refused move changed it");

    let other_code: i64 = sqlx::query_scalar("SELECT code FROM users WHERE id = $1")
        .bind(other_practitioner.id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let code = attune::domain::UserCode::from_number(other_code).unwrap().to_string();
    let bad = admin.call("admin/orders/reassign", &[("order", &number), ("practitioner", "nobody")]).await;
    assert_eq!(error_of(bad).await.1["Invalid"]["field"], "practitioner");
    let res = admin.call("admin/orders/reassign", &[("order", &number), ("practitioner", &code)]).await;
    assert_eq!(location(&res), path);
    assert_eq!(page(&other, &path).await.0, StatusCode::OK, "the new practitioner sees it");
    assert_eq!(page(&assigned, &path).await.0, StatusCode::NOT_FOUND, "the old one no longer does");
    let res = other.call("practitioner/orders/work", &[("order", &number), ("step", "accept")]).await;
    assert_eq!(location(&res), path);
    let timeline = page(&customer, &path).await.1;
    assert!(timeline.contains("Reassigned from"), "the reassignment is in the history");
}

/// The text of the element with `data-testid="{id}"` in `html`.
fn testid_text(html: &str, id: &str) -> String {
    let marker = format!("data-testid=\"{id}\"");
    let at = html.find(&marker).unwrap_or_else(|| panic!("{id} missing"));
    let open = at + html[at..].find('>').unwrap() + 1;
    let close = open + html[open..].find('<').unwrap();
    html[open..close].to_owned()
}

#[tokio::test]
async fn random_prices_read_the_same_on_the_service_page_checkout_order_page_and_for_admins() {
    use attune::domain::catalog::Price;
    use attune::domain::{Currency, Locale, Money};
    let app = spawn_app().await;
    let mut customer = signed_in(&app, "mo@example.com", Role::Customer).await;
    let mo = sqlx::query_scalar::<_, Uuid>("SELECT id FROM users WHERE email = 'mo@example.com'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    give_credits(&app, mo, 1_000_000).await;
    let (admin, _) = app.browser_as(Role::Admin).await;
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    for _ in 0..6 {
        let credits = (next(3) > 0).then(|| 1 + next(99_999) as i64);
        let card = (credits.is_none() || next(2) == 0).then(|| 1 + next(9_999_999) as i64);
        let (slug, _) = service(&app, credits, card, &[]).await;
        let eur = Currency::parse("EUR").unwrap();
        let price = Price::new(credits, card.map(|m| Money::from_minor(m, eur))).unwrap();
        let label = price.label(Locale::default());
        let shown = page(&customer, &format!("/s/{slug}")).await.1;
        assert_eq!(testid_text(&shown, "service-price"), label);
        let number = start(&mut customer, &slug, "Mo", "mo@example.com").await;
        let review = page(&customer, &format!("/checkout/{number}")).await.1;
        assert_eq!(testid_text(&review, "review-price"), label);
        assert_eq!(testid_text(&review, "checkout-price"), label);
        let before = page(&admin, &format!("/orders/{number}")).await.1;
        assert_eq!(testid_text(&before, "order-price"), label, "unpaid, an order shows its whole price");
        if let Some(c) = credits {
            location(&customer.call("checkout/pay", &[("order", &number), ("method", "credits")]).await);
            let paid = format!("{c} credits");
            for b in [&customer, &admin] {
                assert_eq!(testid_text(&page(b, &format!("/orders/{number}")).await.1, "order-price"), paid);
            }
            let mine: Value = customer.call("orders/services", &[]).await.json().await.unwrap();
            let row = mine.as_array().unwrap().iter().find(|r| r["number"] == number.as_str()).unwrap();
            assert_eq!(row["price"], paid.as_str());
        }
    }
}

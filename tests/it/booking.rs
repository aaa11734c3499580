//! Booking sessions: availability, the slot picker in the reader's zone, the race for
//! one time across two app instances, holds during card payment and the late payment
//! that lost its time, and cancellation whose preview is the refund.

use crate::checkout::{give_credits, spendable};
use crate::fixtures::emails_to;
use crate::helpers::*;
use crate::orders::{ledger_is_clean, location};
use attune::domain::Role;
use jiff::{SignedDuration, Timestamp};
use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;
use uuid::Uuid;

/// The practitioner's weekly hours: every day 09:00-17:00 in London, 15 minutes kept
/// free after each session, no notice needed, 60 days ahead, full refund up to 24 hours
/// before and half after that.
pub(crate) const HOURS: [(&str, &str); 13] = [
    ("time_zone", "Europe/London"),
    ("day_0", "09:00-17:00"),
    ("day_1", "09:00-17:00"),
    ("day_2", "09:00-17:00"),
    ("day_3", "09:00-17:00"),
    ("day_4", "09:00-17:00"),
    ("day_5", "09:00-17:00"),
    ("day_6", "09:00-17:00"),
    ("buffer_before_minutes", "0"),
    ("buffer_after_minutes", "15"),
    ("min_notice_hours", "0"),
    ("horizon_days", "60"),
    ("full_refund_hours", "24"),
];

/// A live practitioner with those hours and a published 60-minute video session priced
/// in credits and by card. Returns the service's slug and the practitioner's browser.
pub(crate) async fn session_service<'a>(app: &'a TestApp, credits: i64, card_minor: i64) -> (String, Browser<'a>) {
    let owner = approved_practitioner(app).await;
    let mut b = Browser::new(app);
    assert_eq!(b.log_in(&owner.email, PASSWORD).await.status(), StatusCode::OK);
    let mut form: Vec<(&str, &str)> = HOURS.to_vec();
    form.push(("late_refund_percent", "50"));
    let res = b.call("availability/save", &form).await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    sqlx::query("INSERT INTO service_types (slug, name) VALUES ('sessions', 'Sessions') ON CONFLICT DO NOTHING")
        .execute(&app.pool)
        .await
        .unwrap();
    let slug = format!("session-{}", Uuid::new_v4().simple());
    sqlx::query(
        "INSERT INTO services (practitioner_id, type_id, slug, title, description, delivery, duration_minutes,
                               price_credits, price_minor, currency, status, created_at, updated_at)
         VALUES ($1, (SELECT id FROM service_types WHERE slug = 'sessions'), $2, 'Birth chart session',
                 'An hour on video going through your birth chart and your questions.', 'video', 60, $3, $4, 'GBP',
                 'active', now(), now())",
    )
    .bind(owner.id)
    .bind(&slug)
    .bind(credits)
    .bind(card_minor)
    .execute(&app.pool)
    .await
    .unwrap();
    (slug, b)
}

/// An app whose sign-ins outlast the days its tests move the clock through.
pub(crate) async fn booking_app() -> TestApp {
    spawn_app_with(|c| {
        c.session_idle = Duration::from_secs(30 * 86_400);
        c.session_absolute = Duration::from_secs(30 * 86_400);
    })
    .await
}

/// `days` from the app's today at `hh:mm` London time.
pub(crate) fn london(app: &TestApp, days: i64, hh: i8, mm: i8) -> Timestamp {
    let tz = jiff::tz::db().get("Europe/London").unwrap();
    let today = app.state.clock.now().to_zoned_datetime(tz.clone()).date();
    today.checked_add(jiff::Span::new().days(days)).unwrap().at(hh, mm, 0, 0).to_zoned_datetime(tz).unwrap().timestamp()
}

pub(crate) fn machine(t: Timestamp) -> String {
    attune::domain::datetime::machine(t)
}

/// Step 1 of a checkout for a session at `at`; returns the order's number.
pub(crate) async fn start_at(b: &mut Browser<'_>, slug: &str, at: Timestamp, name: &str, email: &str) -> String {
    let key = Uuid::new_v4().to_string();
    let at = machine(at);
    let res = b
        .call(
            "checkout/details",
            &[
                ("order", ""),
                ("service", slug),
                ("key", &key),
                ("at", &at),
                ("tz", ""),
                ("name", name),
                ("email", email),
            ],
        )
        .await;
    let to = location(&res);
    to.strip_prefix("/checkout/").unwrap_or_else(|| panic!("sent on to the order's checkout, not {to}")).to_owned()
}

pub(crate) async fn booking_of(app: &TestApp, number: &str) -> (String, Timestamp, i32) {
    let (status, starts, sequence): (String, time::OffsetDateTime, i32) = sqlx::query_as(
        "SELECT b.status, b.starts_at, b.sequence FROM bookings b JOIN orders o ON o.id = b.order_id WHERE o.number = $1",
    )
    .bind(number)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    (status, attune::server::clock::from_db(starts), sequence)
}

pub(crate) async fn customer<'a>(app: &'a TestApp, email: &str, credits: i64) -> (Browser<'a>, Uuid) {
    let b = signed_in(app, email, Role::Customer).await;
    let id = sqlx::query_scalar::<_, Uuid>("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    if credits > 0 {
        give_credits(app, id, credits).await;
    }
    (b, id)
}

pub(crate) async fn book_in_credits(b: &mut Browser<'_>, slug: &str, at: Timestamp, email: &str) -> String {
    let number = start_at(b, slug, at, "Customer", email).await;
    let res = b.call("checkout/pay", &[("order", &number), ("method", "credits")]).await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    number
}

pub(crate) async fn order_view(b: &mut Browser<'_>, number: &str) -> Value {
    let res = b.call("orders/service", &[("order", number)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

#[tokio::test]
async fn the_editor_saves_hours_and_refuses_bad_input_by_field_changing_nothing() {
    let app = booking_app().await;
    let (slug, mut p) = session_service(&app, 10, 4000).await;
    let before: i64 = count(&app.pool, "availability_hours").await;
    assert_eq!(before, 7);

    let mut bad: Vec<(&str, &str)> = HOURS.to_vec();
    bad.push(("late_refund_percent", "50"));
    bad[4] = ("day_3", "09:00-12:00, 11:00-13:00");
    let (status, body) = error_of(p.call("availability/save", &bad).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["Invalid"]["field"], "day_3", "{body}");
    assert!(body["Invalid"]["message"].as_str().unwrap().contains("overlaps"));
    let mut bad: Vec<(&str, &str)> = HOURS.to_vec();
    bad.push(("late_refund_percent", "101"));
    let (_, body) = error_of(p.call("availability/save", &bad).await).await;
    assert_eq!(body["Invalid"]["field"], "late_refund_percent", "{body}");
    assert_eq!(count(&app.pool, "availability_hours").await, 7, "a refused form changes nothing");

    let view: Value = p.call("availability/view", &[]).await.json().await.unwrap();
    assert_eq!(view["configured"], true);
    assert_eq!(view["form"]["day_2"], "09:00-17:00");
    assert_eq!(view["week"].as_array().unwrap().len(), 7);

    // A day off removes that day's times from the picker.
    let tomorrow = london(&app, 1, 9, 0).to_zoned_datetime(jiff::tz::db().get("Europe/London").unwrap()).date();
    let res =
        p.call("availability/exceptions/add", &[("day", &tomorrow.to_string()), ("kind", "off"), ("hours", "")]).await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    let (_, body) = error_of(
        p.call("availability/exceptions/add", &[("day", &tomorrow.to_string()), ("kind", "off"), ("hours", "")]).await,
    )
    .await;
    assert_eq!(body["Invalid"]["field"], "day", "the same day off twice is refused: {body}");
    let picker: Value = Browser::new(&app)
        .call("booking/slots", &[("service", &slug), ("week", &tomorrow.to_string()), ("tz", "Europe/London")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(picker["days"][0]["day"], tomorrow.to_string());
    assert_eq!(picker["days"][0]["slots"], serde_json::json!([]), "the day off has no times");
    assert!(!picker["days"][1]["slots"].as_array().unwrap().is_empty());

    // Only practitioners edit availability.
    let (mut c, _) = app.browser_as(Role::Customer).await;
    let (status, _) = error_of(c.call("availability/view", &[]).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_picker_shows_the_practitioners_hours_in_the_readers_zone() {
    let app = booking_app().await;
    let (slug, _) = session_service(&app, 10, 4000).await;
    let day = london(&app, 2, 9, 0).to_zoned_datetime(jiff::tz::db().get("Europe/London").unwrap()).date();
    let read = |zone: &'static str| {
        let (app, slug, day) = (&app, slug.clone(), day);
        async move {
            let v: Value = Browser::new(app)
                .call("booking/slots", &[("service", &slug), ("week", &day.to_string()), ("tz", zone)])
                .await
                .json()
                .await
                .unwrap();
            v
        }
    };
    let london_view = read("Europe/London").await;
    let first = &london_view["days"][0]["slots"];
    assert_eq!(first[0]["label"], "09:00");
    assert_eq!(first.as_array().unwrap().last().unwrap()["label"], "16:00", "a 60-minute session ends by 17:00");
    assert_eq!(first.as_array().unwrap().len(), 15, "every 30 minutes from 09:00 to 16:00");
    let tokyo = read("Asia/Tokyo").await;
    let all: Vec<&Value> =
        tokyo["days"].as_array().unwrap().iter().flat_map(|d| d["slots"].as_array().unwrap()).collect();
    let nine_london = london(&app, 2, 9, 0);
    let same = all.iter().find(|s| s["at"] == serde_json::to_value(nine_london).unwrap()).expect("the same instant");
    let expected =
        nine_london.to_zoned_datetime(jiff::tz::db().get("Asia/Tokyo").unwrap()).strftime("%H:%M").to_string();
    assert_eq!(same["label"], expected, "09:00 in London is read as Tokyo time");
    assert_eq!(tokyo["practitioner_zone"], "Europe/London");
    assert_eq!(tokyo["zone"], "Asia/Tokyo");

    let page = Browser::new(&app).get(&format!("/s/{slug}/book?tz=Asia/Tokyo&week={day}")).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!("/checkout/new/{slug}?at={}", machine(nine_london))), "each time leads to checkout");
    let service = Browser::new(&app).get(&format!("/s/{slug}")).await.text().await.unwrap();
    assert!(service.contains(&format!("/s/{slug}/book")), "a session is booked, not purchased");
}

#[tokio::test]
async fn two_hundred_attempts_at_overlapping_times_through_two_instances_make_exactly_one_booking() {
    let app = booking_app().await;
    let other = TestApp::builder().sharing_database_of(&app).spawn().await;
    let (slug, _) = session_service(&app, 2, 3000).await;
    let (buyer, id) = customer(&app, "gil@example.com", 2 * 200).await;
    // 10:00, 10:30 and 11:00: each overlaps the others once the 15 minutes after a
    // session are counted, so only one of them can be booked.
    let times = [london(&app, 3, 10, 0), london(&app, 3, 10, 30), london(&app, 3, 11, 0)];
    let mut drafts = Vec::new();
    for i in 0..200 {
        let mut b = buyer.clone();
        drafts.push(start_at(&mut b, &slug, times[i % 3], "Gil", "gil@example.com").await);
    }
    let attempts = drafts.iter().enumerate().map(|(i, number)| {
        let mut b = buyer.clone();
        if i % 2 == 1 {
            b.app = &other;
        }
        let method = if i % 4 < 2 { "credits" } else { "card" };
        async move { b.call("checkout/pay", &[("order", number), ("method", method)]).await }
    });
    let answers = futures::future::join_all(attempts).await;
    let (mut booked, mut taken) = (0, 0);
    for res in answers {
        match res.status() {
            StatusCode::OK => booked += 1,
            StatusCode::CONFLICT => {
                let body: Value = res.json().await.unwrap();
                assert!(body["SlotTaken"]["nearest"].is_array(), "{body}");
                taken += 1;
            }
            other => panic!("unexpected answer {other}: {:?}", res.text().await),
        }
    }
    assert_eq!((booked, taken), (1, 199));
    let blocking: i64 = sqlx::query_scalar("SELECT count(*) FROM bookings WHERE status IN ('held', 'confirmed')")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(blocking, 1);
    let spends: i64 = sqlx::query_scalar("SELECT count(*) FROM ledger_transactions WHERE kind = 'spend'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let held: i64 =
        sqlx::query_scalar("SELECT count(*) FROM bookings WHERE status = 'held'").fetch_one(&app.pool).await.unwrap();
    assert_eq!(spends + held, 1, "the one booking was paid in credits or held for a card");
    assert_eq!(spendable(&app, id).await, 400 - 2 * spends);
    ledger_is_clean(&app).await;

    // A time clear of the booked one and its buffer can still be booked.
    let (mut late, _) = customer(&app, "hal@example.com", 2).await;
    let clear = start_at(&mut late, &slug, london(&app, 3, 13, 0), "Hal", "hal@example.com").await;
    let res = late.call("checkout/pay", &[("order", &clear), ("method", "credits")]).await;
    assert_eq!(res.status(), StatusCode::OK, "13:00 does not touch the booked time");
}

#[tokio::test]
async fn a_time_taken_while_the_customer_was_at_checkout_is_answered_with_the_nearest_free_times() {
    let app = booking_app().await;
    let (slug, _) = session_service(&app, 2, 3000).await;
    let (mut a, _) = customer(&app, "ida@example.com", 2).await;
    let (mut b, b_id) = customer(&app, "jon@example.com", 2).await;
    let ten = london(&app, 4, 10, 0);
    let first = start_at(&mut a, &slug, ten, "Ida", "ida@example.com").await;
    let second = start_at(&mut b, &slug, ten, "Jon", "jon@example.com").await;
    let res = a.call("checkout/pay", &[("order", &first), ("method", "credits")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let (status, body) = error_of(b.call("checkout/pay", &[("order", &second), ("method", "credits")]).await).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let nearest = body["SlotTaken"]["nearest"].as_array().unwrap();
    assert_eq!(nearest.len(), 5);
    let starts: Vec<Timestamp> = nearest.iter().map(|n| serde_json::from_value(n["at"].clone()).unwrap()).collect();
    // 10:00-11:00 and the 15 minutes after it are taken; 09:00 would run into them.
    let expected: Vec<Timestamp> =
        [(11, 30), (12, 0), (12, 30), (13, 0), (13, 30)].iter().map(|(h, m)| london(&app, 4, *h, *m)).collect();
    assert_eq!(starts, expected);
    assert_eq!(spendable(&app, b_id).await, 2, "nothing was spent");
    assert_eq!(crate::checkout::order(&app, &second).await.0, "draft", "the loser's draft is as it was");

    // Choosing one of them books it.
    let at = machine(london(&app, 4, 11, 30));
    let res = b.call("checkout/time", &[("order", &second), ("at", &at)]).await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    let res = b.call("checkout/pay", &[("order", &second), ("method", "credits")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(booking_of(&app, &second).await.0, "confirmed");
    assert_eq!(emails_to(&app, "jon@example.com", "booking_confirmed").await, 1);
    ledger_is_clean(&app).await;
}

#[tokio::test]
async fn a_card_payment_after_its_hold_ran_out_and_the_time_was_booked_is_refunded_and_everyone_told() {
    let app = booking_app().await;
    let (slug, _) = session_service(&app, 2, 3000).await;
    create_user(&app, "admin@example.com", PASSWORD, Role::Admin).await;
    let (mut a, _) = customer(&app, "kim@example.com", 0).await;
    let (mut b, _) = customer(&app, "lea@example.com", 2).await;
    let ten = london(&app, 5, 10, 0);
    let by_card = start_at(&mut a, &slug, ten, "Kim", "kim@example.com").await;
    let by_credits = start_at(&mut b, &slug, ten, "Lea", "lea@example.com").await;
    let res = a.call("checkout/pay", &[("order", &by_card), ("method", "card")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(location(&res).contains("/sandbox/checkout/"), "sent to the card checkout");
    assert_eq!(booking_of(&app, &by_card).await.0, "held");
    let (status, _) = error_of(b.call("checkout/pay", &[("order", &by_credits), ("method", "credits")]).await).await;
    assert_eq!(status, StatusCode::CONFLICT, "a held time cannot be taken");
    let key = Uuid::new_v4().to_string();
    let at = machine(ten);
    let details = [
        ("order", ""),
        ("service", slug.as_str()),
        ("key", &key),
        ("at", &at),
        ("tz", ""),
        ("name", "Lea"),
        ("email", "lea@example.com"),
    ];
    let (status, _) = error_of(b.call("checkout/details", &details).await).await;
    assert_eq!(status, StatusCode::CONFLICT, "nor chosen for a new checkout");

    app.advance(Duration::from_secs(16 * 60));
    let res = b.call("checkout/pay", &[("order", &by_credits), ("method", "credits")]).await;
    assert_eq!(res.status(), StatusCode::OK, "the hold ran out, so the time is free again");

    // The card payment is collected now (Stripe keeps a checkout open for at least 30
    // minutes, so a payment can land after the 15-minute hold) and confirmed as a late
    // webhook would confirm it.
    let session: String = sqlx::query_scalar(
        "SELECT s.id FROM checkout_sessions s JOIN orders o ON o.id = s.order_id WHERE o.number = $1",
    )
    .bind(&by_card)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    sqlx::query("UPDATE sandbox_sessions SET status = 'complete', payment_status = 'paid' WHERE id = $1")
        .bind(&session)
        .execute(&app.pool)
        .await
        .unwrap();
    let collected = attune::server::payments::Collected {
        session_id: session,
        order_number: Some(attune::domain::OrderNumber::parse(&by_card).unwrap()),
        paid: true,
        amount_total: 3000,
        currency: "gbp".into(),
        payment_intent: Some("pi_late".into()),
    };
    let mut tx = app.pool.begin().await.unwrap();
    attune::server::orders::fulfil(&mut tx, &app.state, &collected, "webhook").await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = app.pool.begin().await.unwrap();
    let again = attune::server::orders::fulfil(&mut tx, &app.state, &collected, "webhook").await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(again, attune::server::orders::Fulfilment::AlreadyPaid, "a repeat changes nothing");
    app.run_jobs().await;

    assert_eq!(booking_of(&app, &by_card).await.0, "released", "no booking for the late payment");
    assert_eq!(booking_of(&app, &by_credits).await.0, "confirmed", "the other customer keeps the time");
    assert_eq!(crate::checkout::order(&app, &by_card).await.0, "refunded");
    let refunded: (i64, String) = sqlx::query_as(
        "SELECT r.amount_minor, r.status FROM refunds r JOIN orders o ON o.id = r.order_id WHERE o.number = $1",
    )
    .bind(&by_card)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(refunded, (3000, "succeeded".to_owned()));
    assert_eq!(emails_to(&app, "kim@example.com", "booking_lost").await, 1);
    assert_eq!(emails_to(&app, "kim@example.com", "booking_confirmed").await, 0);
    assert_eq!(emails_to(&app, "admin@example.com", "booking_lost_admin").await, 1);
    ledger_is_clean(&app).await;
}

/// Books a session `hours_ahead` from now in credits (7 credits) or by card (£40.00),
/// moves the clock to `before_start` before its start, and returns the preview and
/// what cancelling then returned.
async fn cancel_at(before_start: SignedDuration, by_card: bool) -> (Value, i64, i64) {
    let app = booking_app().await;
    let (slug, _) = session_service(&app, 7, 4000).await;
    let (mut c, id) = customer(&app, "max@example.com", if by_card { 0 } else { 7 }).await;
    let at = london(&app, 3, 10, 0);
    let number = start_at(&mut c, &slug, at, "Max", "max@example.com").await;
    if by_card {
        let res = c.call("checkout/pay", &[("order", &number), ("method", "card")]).await;
        let session = location(&res).rsplit('/').next().unwrap().to_owned();
        crate::orders::settle(&mut c, &session, "approve").await;
        app.run_jobs().await;
    } else {
        let res = c.call("checkout/pay", &[("order", &number), ("method", "credits")]).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    assert_eq!(booking_of(&app, &number).await.0, "confirmed");
    let target = at - before_start;
    let gap = target.duration_since(app.state.clock.now());
    app.advance(Duration::from_nanos(u64::try_from(gap.as_nanos()).unwrap()));
    assert_eq!(app.state.clock.now(), target);
    let view = order_view(&mut c, &number).await;
    let preview = view["booking"]["cancel"].clone();
    let expected = preview["refund"].as_str().unwrap().to_owned();
    let res = c.call("booking/cancel", &[("order", &number), ("refund", &expected)]).await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    app.run_jobs().await;
    assert_eq!(booking_of(&app, &number).await.0, "cancelled");
    let card_back: i64 = sqlx::query_scalar(
        "SELECT COALESCE(sum(r.amount_minor), 0)::bigint FROM refunds r JOIN orders o ON o.id = r.order_id
         WHERE o.number = $1 AND r.status = 'succeeded'",
    )
    .bind(&number)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let credits_back = spendable(&app, id).await;
    ledger_is_clean(&app).await;
    (preview, credits_back, card_back)
}

#[tokio::test]
async fn the_refund_preview_is_the_refund_at_every_policy_boundary_to_the_second() {
    let s = SignedDuration::from_secs(1);
    let day = SignedDuration::from_hours(24);
    let cases =
        [(day + s, 100, 7), (day, 100, 7), (day - s, 50, 3), (s, 50, 3), (SignedDuration::ZERO, 0, 0), (-s, 0, 0)];
    for (before, percent, back) in cases {
        let (preview, credits_back, _) = cancel_at(before, false).await;
        assert_eq!(preview["due"]["percent"], percent, "{before:?}: {preview}");
        let label = if back == 1 { "1 credit".to_owned() } else { format!("{back} credits") };
        assert_eq!(preview["refund"], label, "{before:?}");
        assert_eq!(credits_back, back, "{before:?}: what came back is what the preview said");
    }
    let (preview, _, card_back) = cancel_at(day - s, true).await;
    assert_eq!(preview["refund"], "£20.00", "{preview}");
    assert_eq!(card_back, 2000, "half of £40.00 went back to the card");
}

#[tokio::test]
async fn a_stale_preview_changes_nothing_and_the_practitioner_cancelling_refunds_in_full() {
    let app = booking_app().await;
    let (slug, mut p) = session_service(&app, 7, 4000).await;
    let (mut c, id) = customer(&app, "ned@example.com", 14).await;
    let at = london(&app, 3, 10, 0);
    let number = book_in_credits(&mut c, &slug, at, "ned@example.com").await;
    let (status, body) = error_of(c.call("booking/cancel", &[("order", &number), ("refund", "3 credits")]).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["Invalid"]["message"].as_str().unwrap().contains("7 credits"), "{body}");
    assert_eq!(booking_of(&app, &number).await.0, "confirmed", "nothing changed");

    // Late, by the practitioner: everything comes back all the same. Two hours before
    // the session, whatever the time of day the test runs at.
    let until = at.duration_since(app.state.clock.now()) - SignedDuration::from_hours(2);
    app.advance(Duration::from_secs(u64::try_from(until.as_secs()).unwrap()));
    let view = order_view(&mut p, &number).await;
    assert_eq!(view["booking"]["cancel"]["due"]["window"], "ByPractitioner");
    assert_eq!(view["booking"]["cancel"]["refund"], "7 credits");
    let res = p.call("booking/cancel", &[("order", &number), ("refund", "7 credits")]).await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    assert_eq!(spendable(&app, id).await, 14);
    assert_eq!(crate::checkout::order(&app, &number).await.0, "refunded");
    assert_eq!(emails_to(&app, "ned@example.com", "booking_cancelled").await, 1);
    let res = c.call("booking/cancel", &[("order", &number), ("refund", "7 credits")]).await;
    assert_eq!(res.status(), StatusCode::OK, "cancelling twice is harmless");
    assert_eq!(spendable(&app, id).await, 14, "and returns nothing twice");
    ledger_is_clean(&app).await;
}

#[tokio::test]
async fn sessions_move_to_free_times_only_and_the_practitioner_closes_them_after_the_start() {
    let app = booking_app().await;
    let (slug, mut p) = session_service(&app, 2, 3000).await;
    let (mut c, _) = customer(&app, "ola@example.com", 4).await;
    let (mut d, _) = customer(&app, "pia@example.com", 2).await;
    let number = book_in_credits(&mut c, &slug, london(&app, 6, 10, 0), "ola@example.com").await;
    book_in_credits(&mut d, &slug, london(&app, 6, 14, 0), "pia@example.com").await;

    let taken = machine(london(&app, 6, 13, 30));
    let (status, body) = error_of(c.call("booking/reschedule", &[("order", &number), ("at", &taken)]).await).await;
    assert_eq!(status, StatusCode::CONFLICT, "13:30 runs into the 14:00 session");
    assert!(body["SlotTaken"]["nearest"].is_array());
    let outside = machine(london(&app, 6, 20, 0));
    let (status, _) = error_of(c.call("booking/reschedule", &[("order", &number), ("at", &outside)]).await).await;
    assert_eq!(status, StatusCode::CONFLICT, "20:00 is outside working hours");
    assert_eq!(booking_of(&app, &number).await.1, london(&app, 6, 10, 0), "refused moves change nothing");

    let free = machine(london(&app, 6, 12, 0));
    let res = c.call("booking/reschedule", &[("order", &number), ("at", &free)]).await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    let (status, starts, sequence) = booking_of(&app, &number).await;
    assert_eq!((status.as_str(), starts, sequence), ("confirmed", london(&app, 6, 12, 0), 1));
    assert_eq!(emails_to(&app, "ola@example.com", "booking_moved").await, 1);

    let (status, _) =
        error_of(p.call("booking/close", &[("order", &number), ("outcome", "completed"), ("notes", "")]).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "not before it starts");
    let until = london(&app, 6, 12, 5).duration_since(app.state.clock.now());
    app.advance(Duration::from_secs(u64::try_from(until.as_secs()).unwrap()));
    let res = p
        .call("booking/close", &[("order", &number), ("outcome", "completed"), ("notes", "Talked about Saturn.")])
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    assert_eq!(booking_of(&app, &number).await.0, "completed");
    assert_eq!(crate::checkout::order(&app, &number).await.0, "completed");
    let customer_view = order_view(&mut c, &number).await;
    assert!(customer_view["booking"]["notes"].is_null(), "the notes are the practitioner's alone");
    assert_eq!(order_view(&mut p, &number).await["booking"]["notes"], "Talked about Saturn.");
}

#[tokio::test]
async fn moving_a_session_offers_its_own_time_and_the_times_overlapping_it() {
    let app = booking_app().await;
    let (slug, _) = session_service(&app, 2, 3000).await;
    let (mut c, _) = customer(&app, "quin@example.com", 2).await;
    let (mut d, _) = customer(&app, "rae@example.com", 0).await;
    let number = book_in_credits(&mut c, &slug, london(&app, 6, 10, 0), "quin@example.com").await;
    let day = london(&app, 6, 0, 0).to_zoned_datetime(jiff::tz::db().get("Europe/London").unwrap()).date().to_string();
    let offered = |v: &Value| -> Vec<String> {
        v["days"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|d| d["slots"].as_array().unwrap())
            .map(|s| s["at"].as_str().unwrap().to_owned())
            .collect()
    };
    let around = [london(&app, 6, 9, 30), london(&app, 6, 10, 0), london(&app, 6, 10, 30)].map(machine);

    let booking: Value = c
        .call(
            "booking/slots",
            &[("service", slug.as_str()), ("week", day.as_str()), ("tz", "Europe/London"), ("order", "")],
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(around.iter().all(|t| !offered(&booking).contains(t)), "for a new booking the session is busy");
    let moving: Value = c
        .call(
            "booking/slots",
            &[("service", slug.as_str()), ("week", day.as_str()), ("tz", "Europe/London"), ("order", number.as_str())],
        )
        .await
        .json()
        .await
        .unwrap();
    let movable = offered(&moving);
    assert!(movable.contains(&around[0]) && movable.contains(&around[2]), "times overlapping it are free: {movable:?}");
    assert!(!movable.contains(&around[1]), "where the session already is is not a move");
    let (new, moved) = (offered(&booking), offered(&moving));
    assert!(new.iter().all(|t| moved.contains(t)), "what was free stays free");
    let (first, last) = (london(&app, 6, 9, 0), london(&app, 6, 11, 0));
    let extra: Vec<Timestamp> = moved.iter().filter(|t| !new.contains(t)).map(|t| t.parse().unwrap()).collect();
    assert!(
        extra.iter().all(|t| (first..=last).contains(t)),
        "only times the session and its buffers block: {extra:?}"
    );

    let (status, _) = error_of(
        d.call(
            "booking/slots",
            &[("service", slug.as_str()), ("week", day.as_str()), ("tz", "Europe/London"), ("order", number.as_str())],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another customer's order is not theirs to move");

    let res = c.call("booking/reschedule", &[("order", &number), ("at", &around[2])]).await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    assert_eq!(booking_of(&app, &number).await.1, london(&app, 6, 10, 30));
}

#[tokio::test]
async fn the_database_refuses_overlapping_sessions_whatever_the_code_does() {
    let app = booking_app().await;
    let (slug, _) = session_service(&app, 2, 3000).await;
    let (mut c, _) = customer(&app, "rae@example.com", 2).await;
    let number = book_in_credits(&mut c, &slug, london(&app, 2, 10, 0), "rae@example.com").await;
    let other = start_at(&mut c, &slug, london(&app, 2, 15, 0), "Rae", "rae@example.com").await;
    let err = sqlx::query(
        "UPDATE bookings SET status = 'confirmed', blocks = tstzrange(starts_at - interval '5 hours', ends_at)
         WHERE order_id = (SELECT id FROM orders WHERE number = $1)",
    )
    .bind(&other)
    .execute(&app.pool)
    .await
    .unwrap_err();
    assert!(err.to_string().contains("bookings_no_overlap"), "{err}");
    let err = sqlx::query(
        "UPDATE bookings SET status = 'pending' WHERE order_id = (SELECT id FROM orders WHERE number = $1)",
    )
    .bind(&number)
    .execute(&app.pool)
    .await
    .unwrap_err();
    assert!(err.to_string().contains("cannot move"), "{err}");
}

#[tokio::test]
async fn two_workers_sending_reminders_at_once_send_one_per_session_and_side() {
    let app = booking_app().await;
    let other = TestApp::builder().sharing_database_of(&app).spawn().await;
    let (slug, _) = session_service(&app, 2, 3000).await;
    let practitioner: String =
        sqlx::query_scalar("SELECT email FROM users WHERE role = 'practitioner'").fetch_one(&app.pool).await.unwrap();
    let (mut c, _) = customer(&app, "una@example.com", 6).await;
    for hour in [10, 12, 14] {
        book_in_credits(&mut c, &slug, london(&app, 3, hour, 0), "una@example.com").await;
    }
    let not_yet = attune::server::calendar::send_reminders(&app.state).await.unwrap();
    assert_eq!(not_yet, 0, "three days ahead is too early");
    // 23 hours before the first session, on both instances' clocks.
    let until = (london(&app, 3, 10, 0) - SignedDuration::from_hours(23)).duration_since(app.state.clock.now());
    let by = Duration::from_secs(u64::try_from(until.as_secs()).unwrap());
    app.advance(by);
    other.advance(by);
    let (a, b) = tokio::join!(
        attune::server::calendar::send_reminders(&app.state),
        attune::server::calendar::send_reminders(&other.state)
    );
    assert_eq!(a.unwrap() + b.unwrap(), 1, "only the 10:00 session is within a day");
    app.advance(Duration::from_secs(4 * 3600 + 60));
    other.advance(Duration::from_secs(4 * 3600 + 60));
    let (a, b) = tokio::join!(
        attune::server::calendar::send_reminders(&app.state),
        attune::server::calendar::send_reminders(&other.state)
    );
    assert_eq!(a.unwrap() + b.unwrap(), 2);
    assert_eq!(attune::server::calendar::send_reminders(&app.state).await.unwrap(), 0);
    assert_eq!(emails_to(&app, "una@example.com", "booking_reminder").await, 3);
    assert_eq!(emails_to(&app, &practitioner, "booking_reminder").await, 3);
    let files: Vec<String> = sqlx::query_scalar(
        "SELECT calendar FROM email_outbox WHERE to_address = 'una@example.com' AND template = 'booking_reminder'
         AND calendar IS NOT NULL",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(files.len(), 3, "each reminder carries its session");
    assert!(files.iter().all(|ics| events_of(ics).len() == 1 && events_of(ics)[0].3 == "CONFIRMED"), "{files:?}");
}

/// The events of a feed, read by an independent iCalendar parser: (UID, SEQUENCE,
/// DTSTART, STATUS) each.
fn events_of(ics: &str) -> Vec<(String, String, String, String)> {
    let mut parser = ical::IcalParser::new(ics.as_bytes());
    let cal = parser.next().expect("one calendar").expect("a valid calendar");
    assert!(parser.next().is_none());
    let prop = |e: &ical::parser::ical::component::IcalEvent, name: &str| {
        e.properties.iter().find(|p| p.name == name).and_then(|p| p.value.clone()).unwrap_or_default()
    };
    for required in ["VERSION", "PRODID"] {
        assert!(cal.properties.iter().any(|p| p.name == required), "{required}");
    }
    cal.events
        .iter()
        .map(|e| {
            assert!(!prop(e, "DTSTAMP").is_empty() && !prop(e, "DTEND").is_empty());
            (prop(e, "UID"), prop(e, "SEQUENCE"), prop(e, "DTSTART"), prop(e, "STATUS"))
        })
        .collect()
}

#[tokio::test]
async fn the_private_feed_keeps_uids_raises_sequence_shows_cancellations_and_can_be_revoked() {
    let app = booking_app().await;
    let (slug, mut p) = session_service(&app, 2, 3000).await;
    let (mut c, _) = customer(&app, "vic@example.com", 4).await;
    let number = book_in_credits(&mut c, &slug, london(&app, 4, 10, 0), "vic@example.com").await;

    let res = c.call("calendar/feed/new", &[("back", "dashboard")]).await;
    assert_eq!(location(&res), "/dashboard#calendar");
    let page = c.get("/dashboard").await.text().await.unwrap();
    assert!(page.contains("data-testid=\"feed-url\""), "the dashboard shows the new address");
    let page = c.get("/dashboard").await.text().await.unwrap();
    assert!(!page.contains("data-testid=\"feed-url\""), "once");
    c.call("calendar/feed/new", &[("back", "dashboard")]).await;
    let state: Value = c.call("calendar/feed", &[]).await.json().await.unwrap();
    let url = state["fresh"].as_str().expect("shown once").to_owned();
    assert!(url.starts_with("webcal://") && url.ends_with(".ics"), "{url}");
    let again: Value = c.call("calendar/feed", &[]).await.json().await.unwrap();
    assert!(again["fresh"].is_null() && !again["made"].is_null(), "not shown twice");
    let path = format!("/calendar/{}", url.rsplit('/').next().unwrap());
    let read = |path: String| {
        let app = &app;
        async move {
            let res = Browser::new(app).get(&path).await;
            (
                res.status(),
                res.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()),
                res.text().await.unwrap(),
            )
        }
    };
    let (status, kind, ics) = read(path.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(kind.as_deref(), Some("text/calendar; charset=utf-8"));
    let first = events_of(&ics);
    assert_eq!(first.len(), 1);
    let (uid, sequence, start, status) = first[0].clone();
    assert_eq!((sequence.as_str(), status.as_str()), ("0", "CONFIRMED"));
    assert_eq!(start, london(&app, 4, 10, 0).strftime("%Y%m%dT%H%M%SZ").to_string(), "DTSTART in UTC");

    let later = machine(london(&app, 4, 13, 0));
    assert_eq!(c.call("booking/reschedule", &[("order", &number), ("at", &later)]).await.status(), StatusCode::OK);
    let moved = events_of(&read(path.clone()).await.2);
    assert_eq!((moved[0].0.as_str(), moved[0].1.as_str()), (uid.as_str(), "1"), "the same event, one change later");
    assert_eq!(moved[0].2, london(&app, 4, 13, 0).strftime("%Y%m%dT%H%M%SZ").to_string());
    let res = p.call("booking/cancel", &[("order", &number), ("refund", "2 credits")]).await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    let cancelled = events_of(&read(path.clone()).await.2);
    assert_eq!(
        (cancelled[0].0.as_str(), cancelled[0].1.as_str(), cancelled[0].3.as_str()),
        (uid.as_str(), "2", "CANCELLED")
    );

    // The practitioner's own feed shows the same session.
    let res = p.call("calendar/feed/new", &[("back", "availability")]).await;
    assert_eq!(location(&res), "/practitioner/availability#calendar");
    let page = p.get("/practitioner/availability").await.text().await.unwrap();
    assert!(page.contains("data-testid=\"feed-url\""), "the availability page shows the new address");
    p.call("calendar/feed/new", &[("back", "availability")]).await;
    let theirs: Value = p.call("calendar/feed", &[]).await.json().await.unwrap();
    let their_path = format!("/calendar/{}", theirs["fresh"].as_str().unwrap().rsplit('/').next().unwrap());
    assert_eq!(events_of(&read(their_path).await.2)[0].0, uid);

    // A new address revokes the old one; stopping it revokes it too.
    c.call("calendar/feed/new", &[("back", "dashboard")]).await;
    assert_eq!(read(path).await.0, StatusCode::NOT_FOUND);
    let newer: Value = c.call("calendar/feed", &[]).await.json().await.unwrap();
    let newer = format!("/calendar/{}", newer["fresh"].as_str().unwrap().rsplit('/').next().unwrap());
    assert_eq!(read(newer.clone()).await.0, StatusCode::OK);
    c.call("calendar/feed/revoke", &[("back", "dashboard")]).await;
    assert_eq!(read(newer).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn customers_review_completed_sessions_once_and_the_profile_and_home_page_count_them() {
    let app = booking_app().await;
    let (slug, mut p) = session_service(&app, 2, 3000).await;
    let (mut c, _) = customer(&app, "wes@example.com", 2).await;
    let number = book_in_credits(&mut c, &slug, london(&app, 1, 10, 0), "wes@example.com").await;
    let (_, body) =
        error_of(c.call("booking/review", &[("order", &number), ("rating", "5"), ("body", "")]).await).await;
    assert_eq!(body["Invalid"]["field"], "rating", "not before the session: {body}");

    let until = london(&app, 1, 11, 0).duration_since(app.state.clock.now());
    app.advance(Duration::from_secs(u64::try_from(until.as_secs()).unwrap()));
    let res = p.call("booking/close", &[("order", &number), ("outcome", "completed"), ("notes", "")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(order_view(&mut c, &number).await["booking"]["can_review"], true);
    for (rating, field) in [("0", "rating"), ("6", "rating"), ("x", "rating")] {
        let (status, body) =
            error_of(c.call("booking/review", &[("order", &number), ("rating", rating), ("body", "")]).await).await;
        assert_eq!((status, body["Invalid"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)));
    }
    let long = "a".repeat(2001);
    let (_, body) =
        error_of(c.call("booking/review", &[("order", &number), ("rating", "4"), ("body", &long)]).await).await;
    assert_eq!(body["Invalid"]["field"], "body");
    assert_eq!(count(&app.pool, "reviews").await, 0, "refused reviews write nothing");
    let (mut stranger, _) = app.browser_as(Role::Customer).await;
    let (status, _) =
        error_of(stranger.call("booking/review", &[("order", &number), ("rating", "1"), ("body", "")]).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "only the session's customer reviews it");

    let res = c.call("booking/review", &[("order", &number), ("rating", "4"), ("body", "Clear and kind.")]).await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    let (_, body) =
        error_of(c.call("booking/review", &[("order", &number), ("rating", "5"), ("body", "")]).await).await;
    assert!(body["Invalid"]["message"].as_str().unwrap().contains("already"), "one review per session: {body}");
    assert_eq!(order_view(&mut c, &number).await["booking"]["review"]["rating"], 4);

    let profile_slug: String = sqlx::query_scalar("SELECT slug FROM practitioner_profiles WHERE slug IS NOT NULL")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let profile = Browser::new(&app).get(&format!("/p/{profile_slug}")).await.text().await.unwrap().replace("<!>", "");
    assert!(profile.contains("4.0 / 5") && profile.contains("from 1 review"), "the profile shows the average");
    assert!(profile.contains("Clear and kind."));
    app.advance(Duration::from_secs(120));
    let home = Browser::new(&app).get("/").await.text().await.unwrap().replace("<!>", "");
    assert!(home.contains("data-stat=\"sessions_completed\">1<"), "sessions completed are counted");
    assert!(home.contains("data-stat=\"average_rating\">4.0 / 5<"));
}

#[tokio::test]
async fn booking_emails_carry_the_session_as_a_calendar_file_in_each_readers_terms() {
    let (port, received) = spawn_smtp().await;
    let app = spawn_app_with(move |c| {
        c.smtp_url = Some(attune::server::config::Secret::new(format!("smtp://127.0.0.1:{port}")));
    })
    .await;
    let (slug, mut p) = session_service(&app, 2, 3000).await;
    let (mut c, _) = customer(&app, "yan@example.com", 2).await;
    let number = book_in_credits(&mut c, &slug, london(&app, 3, 10, 0), "yan@example.com").await;
    let res = p.call("booking/cancel", &[("order", &number), ("refund", "2 credits")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    app.run_jobs().await;
    let files: Vec<(String, String)> = sqlx::query_as(
        "SELECT template, calendar FROM email_outbox WHERE to_address = 'yan@example.com' AND calendar IS NOT NULL ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let templates: Vec<&str> = files.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(templates, ["booking_confirmed", "booking_cancelled"]);
    let booked = events_of(&files[0].1);
    let cancelled = events_of(&files[1].1);
    assert_eq!(booked[0].0, cancelled[0].0, "one UID for the session's life");
    assert_eq!((booked[0].3.as_str(), cancelled[0].3.as_str()), ("CONFIRMED", "CANCELLED"));
    assert!(cancelled[0].1.parse::<i32>().unwrap() > booked[0].1.parse::<i32>().unwrap(), "SEQUENCE went up");
    let messages = received.lock().await;
    let sent = messages.iter().find(|m| m.contains("To: yan@example.com") && m.contains("Cancelled")).expect("sent");
    assert!(sent.contains("text/calendar") && sent.contains("session.ics"), "attached: {sent}");
}

#[tokio::test]
async fn a_declined_card_payment_frees_the_time_at_once_and_a_retry_holds_it_again_if_still_free() {
    let app = booking_app().await;
    let (slug, _) = session_service(&app, 2, 3000).await;
    let (mut a, _) = customer(&app, "zoe@example.com", 0).await;
    let (mut b, _) = customer(&app, "abe@example.com", 2).await;
    let ten = london(&app, 2, 10, 0);
    let number = start_at(&mut a, &slug, ten, "Zoe", "zoe@example.com").await;
    let later = start_at(&mut b, &slug, ten, "Abe", "abe@example.com").await;
    let res = a.call("checkout/pay", &[("order", &number), ("method", "card")]).await;
    let session = location(&res).rsplit('/').next().unwrap().to_owned();
    assert_eq!(booking_of(&app, &number).await.0, "held");
    crate::orders::settle(&mut a, &session, "decline").await;
    app.run_jobs().await;
    assert_eq!(crate::checkout::order(&app, &number).await.0, "payment_failed");
    assert_eq!(booking_of(&app, &number).await.0, "released", "a declined payment holds nothing");

    // Retrying holds it again while it is free; once someone else has it, it cannot.
    let res = a.call("checkout/pay", &[("order", &number), ("method", "card")]).await;
    assert!(location(&res).contains("/sandbox/checkout/"));
    assert_eq!(booking_of(&app, &number).await.0, "held");
    let again = location(&res).rsplit('/').next().unwrap().to_owned();
    crate::orders::settle(&mut a, &again, "decline").await;
    app.run_jobs().await;
    let res = b.call("checkout/pay", &[("order", &later), ("method", "credits")]).await;
    assert_eq!(res.status(), StatusCode::OK, "the time is free for someone else");
    let (status, body) = error_of(a.call("checkout/pay", &[("order", &number), ("method", "card")]).await).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body["SlotTaken"]["nearest"].is_array(), "{body}");
}

#[tokio::test]
async fn earnings_are_net_of_what_cancellations_returned_and_lists_show_the_session_time() {
    let app = booking_app().await;
    let (slug, mut p) = session_service(&app, 7, 4000).await;
    let (mut c, bea) = customer(&app, "bea@example.com", 14).await;
    let first = book_in_credits(&mut c, &slug, london(&app, 2, 10, 0), "bea@example.com").await;
    let second = book_in_credits(&mut c, &slug, london(&app, 2, 14, 0), "bea@example.com").await;
    let list: Value = c.call("orders/services", &[]).await.json().await.unwrap();
    let expected = attune::domain::datetime::show(
        london(&app, 2, 10, 0),
        &attune::domain::TimeZone::utc(),
        attune::domain::datetime::Style::DateTime,
    );
    assert!(list.as_array().unwrap().iter().any(|r| r["session"] == expected.as_str()), "{list}");

    // Late: half of 7 (rounded down) comes back, so 4 stay earned.
    let until = (london(&app, 2, 10, 0) - SignedDuration::from_hours(2)).duration_since(app.state.clock.now());
    app.advance(Duration::from_secs(u64::try_from(until.as_secs()).unwrap()));
    let res = c.call("booking/cancel", &[("order", &first), ("refund", "3 credits")]).await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    assert_eq!(crate::checkout::order(&app, &first).await.0, "partially_refunded");
    // An admin cancelling refunds in full, as the practitioner would.
    let mut admin = signed_in(&app, "root@example.com", Role::Admin).await;
    assert_eq!(order_view(&mut admin, &second).await["booking"]["cancel"]["refund"], "7 credits");
    let res = admin.call("booking/cancel", &[("order", &second), ("refund", "7 credits")]).await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    assert_eq!(spendable(&app, bea).await, 3 + 7);

    let earnings: Value = p.call("practitioner/earnings", &[]).await.json().await.unwrap();
    let credits: i64 = earnings.as_array().unwrap().iter().map(|r| r["credits"].as_i64().unwrap()).sum();
    assert_eq!(credits, 4, "{earnings}");
    let another = approved_practitioner(&app).await;
    let code: i64 =
        sqlx::query_scalar("SELECT code FROM users WHERE id = $1").bind(another.id).fetch_one(&app.pool).await.unwrap();
    let code = attune::domain::UserCode::from_number(code).unwrap().to_string();
    let (_, body) =
        error_of(admin.call("admin/orders/reassign", &[("order", &first), ("practitioner", &code)]).await).await;
    assert!(body["Invalid"]["message"].as_str().unwrap().contains("cannot be reassigned"), "{body}");
    ledger_is_clean(&app).await;
}

#[tokio::test]
async fn every_email_about_an_order_reaches_each_side_by_one_rule() {
    let app = booking_app().await;
    let (slug, mut p) = session_service(&app, 2, 3000).await;
    let (mut c, customer_id) = customer(&app, "amy@example.com", 2).await;
    // Each side's account keeps another zone than the one they are reached in: the
    // customer reads times in their account's zone (New York), the practitioner in their
    // availability's (London, not their account's Kolkata).
    sqlx::query("UPDATE users SET time_zone = 'America/New_York' WHERE id = $1")
        .bind(customer_id)
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE users SET time_zone = 'Asia/Kolkata' WHERE role = 'practitioner'")
        .execute(&app.pool)
        .await
        .unwrap();
    let at = london(&app, 3, 10, 0);
    let number = start_at(&mut c, &slug, at, "Amy at work", "amy.work@example.com").await;
    assert_eq!(c.call("checkout/pay", &[("order", &number), ("method", "credits")]).await.status(), StatusCode::OK);
    let res = c.call("orders/messages/post", &[("order", &number), ("body", "See you then")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = p.call("booking/cancel", &[("order", &number), ("refund", "2 credits")]).await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);

    let practitioner_email: String =
        sqlx::query_scalar("SELECT email FROM users WHERE role = 'practitioner'").fetch_one(&app.pool).await.unwrap();
    let sent: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT to_address, template, body_text FROM email_outbox WHERE template LIKE 'booking_%' ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let show = |zone: &str| {
        attune::domain::datetime::show(
            at,
            &attune::domain::TimeZone::parse(zone).unwrap(),
            attune::domain::datetime::Style::DateTime,
        )
    };
    let (customer_time, practitioner_time) = (show("America/New_York"), show("Europe/London"));
    for template in ["booking_confirmed", "booking_cancelled"] {
        let mail = sent.iter().find(|(to, t, _)| t == template && to == "amy.work@example.com");
        assert!(mail.is_some_and(|(_, _, body)| body.contains(&customer_time)), "{template}: {sent:#?}");
    }
    for template in ["booking_received", "booking_cancelled"] {
        let mail = sent.iter().find(|(to, t, _)| t == template && *to == practitioner_email);
        assert!(mail.is_some_and(|(_, _, body)| body.contains(&practitioner_time)), "{template}: {sent:#?}");
    }
    assert_eq!(emails_to(&app, "amy@example.com", "booking_cancelled").await, 0, "never the account's own address");
    assert_eq!(emails_to(&app, &practitioner_email, "order_message").await, 1);
}

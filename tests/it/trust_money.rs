//! Money and bookings as an abuser or a careless user would try them: holds on orders
//! that can no longer be paid and more holds than a customer needs, a session
//! "completed" before it starts, a refund settling after its order moved on, the policy
//! changed under a booking, and times at the far ends of the calendar.

use crate::booking::{
    HOURS, book_in_credits, booking_app, booking_of, customer, london, machine, order_view, session_service, start_at,
};
use crate::checkout::spendable;
use crate::fixtures::emails_to;
use crate::helpers::*;
use crate::orders::{ledger_is_clean, location, settle, status};
use attune::domain::AppError;
use attune::domain::orders::OrderStatus;
use jiff::{SignedDuration, Timestamp};
use reqwest::StatusCode;
use serde_json::Value;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Whether the slot picker offers `at` to anyone.
async fn offered(app: &TestApp, slug: &str, at: Timestamp) -> bool {
    let week = at.to_zoned_datetime(jiff::tz::db().get("Europe/London").unwrap()).date().to_string();
    let picker: Value = Browser::new(app)
        .call("booking/slots", &[("service", slug), ("week", &week), ("tz", "Europe/London")])
        .await
        .json()
        .await
        .unwrap();
    let at = machine(at);
    picker["days"].as_array().unwrap().iter().flat_map(|d| d["slots"].as_array().unwrap()).any(|s| s["at"] == at)
}

async fn hold_of(app: &TestApp, number: &str) -> Option<time::OffsetDateTime> {
    sqlx::query_scalar("SELECT b.hold_until FROM bookings b JOIN orders o ON o.id = b.order_id WHERE o.number = $1")
        .bind(number)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn pay_by_card(b: &mut Browser<'_>, number: &str) -> reqwest::Response {
    b.call("checkout/pay", &[("order", number), ("method", "card")]).await
}

/// Asserts that paying for `number` in either way is refused by field `order`, with a
/// message saying `why`.
async fn refused_payment(b: &mut Browser<'_>, number: &str, why: &str) {
    for method in ["card", "credits", "card"] {
        let (status, body) = error_of(b.call("checkout/pay", &[("order", number), ("method", method)]).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{method}: {body}");
        assert_eq!(body["Invalid"]["field"], "order", "{body}");
        assert!(body["Invalid"]["message"].as_str().unwrap().contains(why), "{body}");
    }
}

#[tokio::test]
async fn an_order_that_can_no_longer_be_paid_is_never_held_and_its_time_stays_free() {
    let app = booking_app().await;
    let (slug, _) = session_service(&app, 2, 3000).await;
    let (mut c, _) = customer(&app, "amy@example.com", 2).await;
    let ten = london(&app, 3, 10, 0);
    let number = start_at(&mut c, &slug, ten, "Amy", "amy@example.com").await;
    assert!(location(&pay_by_card(&mut c, &number).await).contains("/sandbox/checkout/"));
    assert_eq!(booking_of(&app, &number).await.0, "held");
    let first_hold = hold_of(&app, &number).await;

    // The payment window has passed, though the expiry job has not run yet.
    app.advance(Duration::from_secs(24 * 3600 + 1));
    refused_payment(&mut c, &number, "expired").await;
    assert_eq!(hold_of(&app, &number).await, first_hold, "the lapsed hold was not taken again");
    assert!(offered(&app, &slug, ten).await, "the time is free");

    attune::server::orders::expire_due(&app.state).await.unwrap();
    assert_eq!(status(&app, &number).await, "expired");
    refused_payment(&mut c, &number, "expired").await;
    assert_eq!(booking_of(&app, &number).await.0, "released");
    assert!(offered(&app, &slug, ten).await, "the time stays free");
    assert_eq!(count(&app.pool, "checkout_sessions").await, 1, "no new checkout was opened");

    // An order cancelled unpaid (as an account deletion cancels it) is not held either.
    let eleven = london(&app, 3, 14, 0);
    let other = start_at(&mut c, &slug, eleven, "Amy", "amy@example.com").await;
    assert!(location(&pay_by_card(&mut c, &other).await).contains("/sandbox/checkout/"));
    sqlx::query("UPDATE orders SET status = 'cancelled' WHERE number = $1")
        .bind(&other)
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE bookings SET status = 'released', hold_until = NULL
         WHERE order_id = (SELECT id FROM orders WHERE number = $1)",
    )
    .bind(&other)
    .execute(&app.pool)
    .await
    .unwrap();
    refused_payment(&mut c, &other, "cancelled").await;
    assert_eq!(booking_of(&app, &other).await.0, "released");
    assert!(offered(&app, &slug, eleven).await);

    // The database refuses such a hold whatever the code does.
    let err = sqlx::query(
        "UPDATE bookings SET status = 'held', hold_until = updated_at + interval '10 minutes'
         WHERE order_id = (SELECT id FROM orders WHERE number = $1)",
    )
    .bind(&number)
    .execute(&app.pool)
    .await
    .unwrap_err();
    assert!(err.to_string().contains("payment window"), "{err}");
}

#[tokio::test]
async fn a_hold_never_outlives_its_order() {
    let app = booking_app().await;
    let (slug, _) = session_service(&app, 2, 3000).await;
    let (mut c, _) = customer(&app, "ben@example.com", 0).await;
    let number = start_at(&mut c, &slug, london(&app, 5, 10, 0), "Ben", "ben@example.com").await;
    // Ten minutes of the order's day are left: the hold gets those, not fifteen.
    app.advance(Duration::from_secs(24 * 3600 - 600));
    assert!(location(&pay_by_card(&mut c, &number).await).contains("/sandbox/checkout/"));
    let expires: time::OffsetDateTime = sqlx::query_scalar("SELECT expires_at FROM orders WHERE number = $1")
        .bind(&number)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(hold_of(&app, &number).await, Some(expires));
}

#[tokio::test]
async fn one_customer_holds_at_most_two_times_of_one_practitioner_and_three_in_all() {
    let app = booking_app().await;
    let (first, _) = session_service(&app, 2, 3000).await;
    let (second, _) = session_service(&app, 2, 3000).await;
    let (mut c, _) = customer(&app, "cal@example.com", 0).await;
    let mut drafts = Vec::new();
    for day in 1..=3 {
        drafts.push(start_at(&mut c, &first, london(&app, day, 10, 0), "Cal", "cal@example.com").await);
    }
    for day in 1..=2 {
        drafts.push(start_at(&mut c, &second, london(&app, day, 10, 0), "Cal", "cal@example.com").await);
    }
    for number in &drafts[..2] {
        assert!(location(&pay_by_card(&mut c, number).await).contains("/sandbox/checkout/"));
    }
    let (status, body) = error_of(pay_by_card(&mut c, &drafts[2]).await).await;
    assert_eq!((status, body["Invalid"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("order")));
    assert!(body["Invalid"]["message"].as_str().unwrap().contains("this practitioner"), "{body}");
    assert_eq!(booking_of(&app, &drafts[2]).await.0, "pending", "the refused time is not held");
    assert!(offered(&app, &first, london(&app, 3, 10, 0)).await);

    assert!(location(&pay_by_card(&mut c, &drafts[3]).await).contains("/sandbox/checkout/"));
    let (status, body) = error_of(pay_by_card(&mut c, &drafts[4]).await).await;
    assert_eq!((status, body["Invalid"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("order")));
    assert!(body["Invalid"]["message"].as_str().unwrap().contains("as many card payments"), "{body}");
    let held: i64 =
        sqlx::query_scalar("SELECT count(*) FROM bookings WHERE status = 'held'").fetch_one(&app.pool).await.unwrap();
    assert_eq!(held, 3);

    // Another customer is not limited by them; and once the holds lapse, paying works again.
    let (mut d, _) = customer(&app, "dot@example.com", 0).await;
    let theirs = start_at(&mut d, &second, london(&app, 2, 14, 0), "Dot", "dot@example.com").await;
    assert!(location(&pay_by_card(&mut d, &theirs).await).contains("/sandbox/checkout/"));
    app.advance(Duration::from_secs(16 * 60));
    assert!(location(&pay_by_card(&mut c, &drafts[4]).await).contains("/sandbox/checkout/"));
    assert_eq!(booking_of(&app, &drafts[4]).await.0, "held");
}

#[tokio::test]
async fn card_holds_raced_through_two_instances_stop_at_the_limit() {
    let app = booking_app().await;
    let other = TestApp::builder().sharing_database_of(&app).spawn().await;
    let (slug, _) = session_service(&app, 2, 3000).await;
    let (buyer, _) = customer(&app, "eda@example.com", 0).await;
    let mut drafts = Vec::new();
    for day in 1..=12 {
        let mut b = buyer.clone();
        drafts.push(start_at(&mut b, &slug, london(&app, day, 10, 0), "Eda", "eda@example.com").await);
    }
    let attempts = drafts.iter().enumerate().map(|(i, number)| {
        let mut b = buyer.clone();
        if i % 2 == 1 {
            b.app = &other;
        }
        async move { b.call("checkout/pay", &[("order", number), ("method", "card")]).await.status() }
    });
    let answers = futures::future::join_all(attempts).await;
    let ok = answers.iter().filter(|s| **s == StatusCode::OK).count();
    let refused = answers.iter().filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY).count();
    assert_eq!((ok, refused), (2, 10), "{answers:?}");
    let held: i64 =
        sqlx::query_scalar("SELECT count(*) FROM bookings WHERE status = 'held'").fetch_one(&app.pool).await.unwrap();
    assert_eq!(held, 2);
}

#[tokio::test]
async fn a_booked_session_is_neither_accepted_nor_completed_before_it_starts_and_stays_cancellable() {
    let app = booking_app().await;
    let (slug, mut p) = session_service(&app, 7, 4000).await;
    let (mut c, id) = customer(&app, "fin@example.com", 14).await;
    let number = book_in_credits(&mut c, &slug, london(&app, 3, 10, 0), "fin@example.com").await;
    let accept = [("order", number.as_str()), ("step", "accept")];
    let (status, body) = error_of(p.call("practitioner/orders/work", &accept).await).await;
    assert_eq!((status, body["Invalid"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("step")), "{body}");
    let complete = [("order", number.as_str()), ("step", "complete")];
    let (status, body) = error_of(p.call("practitioner/orders/work", &complete).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["Invalid"]["message"].as_str().unwrap().contains("once it has started"), "{body}");
    assert_eq!(crate::orders::status(&app, &number).await, "paid", "nothing moved");
    assert_eq!(booking_of(&app, &number).await.0, "confirmed");

    // The customer can still cancel it, and gets back what the policy says.
    let res = c.call("booking/cancel", &[("order", &number), ("refund", "7 credits")]).await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    assert_eq!(spendable(&app, id).await, 14);
    assert_eq!(crate::orders::status(&app, &number).await, "refunded");

    // Once it has started, completing it closes the session as `booking/close` does.
    let at = london(&app, 4, 10, 0);
    let later = book_in_credits(&mut c, &slug, at, "fin@example.com").await;
    let until = (at + SignedDuration::from_mins(5)).duration_since(app.state.clock.now());
    app.advance(Duration::from_secs(u64::try_from(until.as_secs()).unwrap()));
    let form = [("order", later.as_str()), ("step", "complete")];
    let res = p.call("practitioner/orders/work", &form).await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    assert_eq!(booking_of(&app, &later).await.0, "completed");
    assert_eq!(crate::orders::status(&app, &later).await, "completed");
    ledger_is_clean(&app).await;
}

/// The way from paid to `to` by the moves the database allows, if there is one.
fn path_from_paid(to: OrderStatus) -> Option<Vec<OrderStatus>> {
    let mut paths = vec![(OrderStatus::Paid, Vec::new())];
    let mut seen = vec![OrderStatus::Paid];
    while !paths.is_empty() {
        let mut next = Vec::new();
        for (at, path) in paths {
            if at == to {
                return Some(path);
            }
            for s in OrderStatus::ALL {
                if at.can_move_to(s) && !seen.contains(&s) {
                    seen.push(s);
                    let mut longer = path.clone();
                    longer.push(s);
                    next.push((s, longer));
                }
            }
        }
        paths = next;
    }
    None
}

/// A session at `at`, paid by card (£40.00) through the sandbox, then cancelled by its
/// customer while the provider cannot be reached: its refund is pending. Returns the
/// order's number and the refund's id.
async fn cancelled_with_refund_pending(
    app: &TestApp,
    c: &mut Browser<'_>,
    slug: &str,
    at: Timestamp,
) -> (String, Uuid) {
    let number = start_at(c, slug, at, "Eve", "eve@example.com").await;
    let res = pay_by_card(c, &number).await;
    let session = location(&res).rsplit('/').next().unwrap().to_owned();
    settle(c, &session, "approve").await;
    app.run_jobs().await;
    assert_eq!(status(app, &number).await, "paid");
    let refund = order_view(c, &number).await["booking"]["cancel"]["refund"].as_str().unwrap().to_owned();
    assert_eq!(refund, "£40.00", "cancelled early enough for everything back");
    sqlx::query("ALTER TABLE sandbox_refunds RENAME TO sandbox_refunds_away").execute(&app.pool).await.unwrap();
    let res = c.call("booking/cancel", &[("order", &number), ("refund", &refund)]).await;
    sqlx::query("ALTER TABLE sandbox_refunds_away RENAME TO sandbox_refunds").execute(&app.pool).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    let id: Uuid = sqlx::query_scalar(
        "SELECT r.id FROM refunds r JOIN orders o ON o.id = r.order_id WHERE o.number = $1 AND r.status = 'pending'",
    )
    .bind(&number)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    (number, id)
}

async fn move_order(app: &TestApp, number: &str, to: OrderStatus) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE orders SET status = $2 WHERE number = $1")
        .bind(number)
        .bind(to.as_str())
        .execute(&app.pool)
        .await
        .map(|_| ())
}

/// The refund's status and credit note, and the order's status and amount refunded.
async fn settled(app: &TestApp, id: Uuid) -> (String, Option<String>, String, i64) {
    sqlx::query_as(
        "SELECT r.status, r.credit_note_number, o.status, o.refunded_minor FROM refunds r JOIN orders o ON o.id = r.order_id
         WHERE r.id = $1",
    )
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_card_refund_of_a_session_ends_legal_for_every_order_status_and_refund_state() {
    let app = booking_app().await;
    let (slug, _) = session_service(&app, 7, 4000).await;
    let (mut c, _) = customer(&app, "eve@example.com", 0).await;
    let mut day = 2;
    // A paid order never goes back to awaiting payment or to expired: while its refund
    // is pending, the database refuses those moves.
    let (number, id) = cancelled_with_refund_pending(&app, &mut c, &slug, london(&app, day, 10, 0)).await;
    for to in OrderStatus::ALL.into_iter().filter(|s| path_from_paid(*s).is_none()) {
        assert!(move_order(&app, &number, to).await.is_err(), "paid -> {to:?}");
    }
    attune::server::refunds::complete(&app.state, id).await.unwrap();
    assert_eq!(settled(&app, id).await.2, "refunded");

    let mut walked = 0;
    for to in OrderStatus::ALL {
        let Some(path) = path_from_paid(to) else { continue };
        for provider_pays in [true, false] {
            day += 1;
            let (number, id) = cancelled_with_refund_pending(&app, &mut c, &slug, london(&app, day, 10, 0)).await;
            // Refund pending: the order moves on by the database's own rules.
            for step in &path {
                move_order(&app, &number, *step).await.unwrap_or_else(|e| panic!("{step:?}: {e}"));
            }
            if !provider_pays {
                // The charge was refunded at the provider directly: this refund is refused.
                sqlx::query(
                    "INSERT INTO sandbox_refunds (id, session_id, amount, idempotency_key, metadata, created_at)
                     SELECT 're_elsewhere_' || number, paid_session_id, 4000, 'elsewhere:' || number, '{}', now()
                     FROM orders WHERE number = $1",
                )
                .bind(&number)
                .execute(&app.pool)
                .await
                .unwrap();
            }
            let done = attune::server::refunds::complete(&app.state, id).await;
            assert!(done.is_ok(), "{to:?}, provider pays {provider_pays}: {done:?}");
            let after = settled(&app, id).await;
            let expected = if provider_pays {
                let order = to.after_refund(true).unwrap_or(to);
                ("succeeded", true, order.as_str(), 4000)
            } else {
                ("failed", false, to.as_str(), 0)
            };
            assert_eq!(
                (after.0.as_str(), after.1.is_some(), after.2.as_str(), after.3),
                expected,
                "{to:?}, provider pays {provider_pays}"
            );
            // Settled: a replayed confirmation changes nothing.
            let mut tx = app.pool.begin().await.unwrap();
            let again = attune::server::refunds::confirm(&mut tx, &app.state, id, "re_replayed").await.unwrap();
            tx.commit().await.unwrap();
            assert_eq!(again, Some(false));
            assert_eq!(settled(&app, id).await, after, "{to:?}");
            walked += 1;
        }
    }
    assert_eq!(walked, 12, "six statuses follow payment, each with a refund that succeeds and one that fails");
    assert_eq!(emails_to(&app, "eve@example.com", "order_refunded").await, 7, "one per refund that succeeded");
    // The safety-net jobs find nothing left to do.
    app.advance(Duration::from_secs(180));
    app.run_jobs().await;
    let pending: i64 =
        sqlx::query_scalar("SELECT count(*) FROM refunds WHERE status = 'pending'").fetch_one(&app.pool).await.unwrap();
    assert_eq!(pending, 0);
    ledger_is_clean(&app).await;
}

#[tokio::test]
async fn the_cancellation_policy_agreed_at_booking_decides_the_refund_whatever_the_practitioner_saves_later() {
    let app = booking_app().await;
    let (slug, mut p) = session_service(&app, 7, 4000).await;
    let (mut c, id) = customer(&app, "gil@example.com", 14).await;
    let number = book_in_credits(&mut c, &slug, london(&app, 3, 10, 0), "gil@example.com").await;

    // The practitioner tightens the policy: 30 days' notice for a full refund, nothing after.
    let mut form: Vec<(&str, &str)> = HOURS.iter().copied().filter(|(k, _)| *k != "full_refund_hours").collect();
    form.extend([("full_refund_hours", "720"), ("late_refund_percent", "0")]);
    let res = p.call("availability/save", &form).await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);

    let view = order_view(&mut c, &number).await;
    assert_eq!(view["booking"]["cancel"]["refund"], "7 credits", "{view}");
    assert_eq!(view["booking"]["cancel"]["due"]["window"], "Full");
    let agreed = view["booking"]["policy"].as_str().unwrap().to_owned();
    assert!(agreed.contains("24 hours") && agreed.contains("50%"), "{agreed}");
    let page = c.get(&format!("/orders/{number}")).await.text().await.unwrap();
    assert!(page.contains(&agreed), "the order page shows the policy agreed");

    // A session booked now is booked under the new policy.
    let later = book_in_credits(&mut c, &slug, london(&app, 4, 10, 0), "gil@example.com").await;
    let view = order_view(&mut c, &later).await;
    assert_eq!(view["booking"]["cancel"]["refund"], "0 credits", "{view}");
    assert!(view["booking"]["policy"].as_str().unwrap().contains("30 days"), "{view}");

    // During a rolling deploy the previous release, which knew nothing of the copy, still
    // writes bookings: such a row takes the policy in force, as this release would have.
    let mut tx = app.pool.begin().await.unwrap();
    sqlx::query(
        "CREATE TEMP TABLE earlier ON COMMIT DROP AS
         SELECT b.* FROM bookings b JOIN orders o ON o.id = b.order_id WHERE o.number = $1",
    )
    .bind(&later)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query("DELETE FROM bookings WHERE order_id IN (SELECT order_id FROM earlier)")
        .execute(&mut *tx)
        .await
        .unwrap();
    let policy: (i32, i32) = sqlx::query_as(
        "INSERT INTO bookings (order_id, practitioner_id, customer_id, starts_at, ends_at, blocks, status, created_at, updated_at)
         SELECT order_id, practitioner_id, customer_id, starts_at, ends_at, blocks, status, created_at, updated_at FROM earlier
         RETURNING full_refund_hours, late_refund_percent",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert_eq!(policy, (720, 0), "the previous release's booking takes the policy in force");
    tx.rollback().await.unwrap();

    let res = c.call("booking/cancel", &[("order", &number), ("refund", "7 credits")]).await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    assert_eq!(spendable(&app, id).await, 7, "what was agreed came back");
    let err = sqlx::query("UPDATE bookings SET late_refund_percent = 100").execute(&app.pool).await.unwrap_err();
    assert!(err.to_string().contains("fixed"), "the database keeps what was agreed: {err}");
    ledger_is_clean(&app).await;
}

const FAR: [&str; 4] =
    ["9999-12-30T21:00:00Z", "-009999-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "2000-01-01T00:00:00Z"];

#[tokio::test]
async fn times_at_the_far_ends_of_the_calendar_are_refused_by_field_quickly_and_change_nothing() {
    let app = booking_app().await;
    let (slug, _) = session_service(&app, 2, 3000).await;
    let (mut c, _) = customer(&app, "hal@example.com", 2).await;
    let (booked_at, draft_at) = (london(&app, 3, 10, 0), london(&app, 4, 10, 0));
    let booked = book_in_credits(&mut c, &slug, booked_at, "hal@example.com").await;
    let draft = start_at(&mut c, &slug, draft_at, "Hal", "hal@example.com").await;
    let (orders, users) = (count(&app.pool, "orders").await, count(&app.pool, "users").await);
    // Ninety days ahead is within reach of a session, but not of this practitioner's 60.
    let beyond = machine(app.state.clock.now() + SignedDuration::from_hours(24 * 90));
    for at in FAR.iter().map(|s| (*s).to_owned()).chain([beyond]) {
        let key = Uuid::new_v4().to_string();
        let calls: [(&str, Vec<(&str, &str)>); 4] = [
            ("checkout/open", vec![("service", slug.as_str()), ("at", at.as_str()), ("tz", "UTC")]),
            (
                "checkout/details",
                vec![
                    ("order", ""),
                    ("service", slug.as_str()),
                    ("key", key.as_str()),
                    ("at", at.as_str()),
                    ("tz", "UTC"),
                    ("name", "Hal"),
                    ("email", "someone.new@example.com"),
                ],
            ),
            ("checkout/time", vec![("order", draft.as_str()), ("at", at.as_str())]),
            ("booking/reschedule", vec![("order", booked.as_str()), ("at", at.as_str())]),
        ];
        for (endpoint, form) in calls {
            // A new checkout is refused alike to the customer and to a guest.
            let guest = endpoint == "checkout/open" || endpoint == "checkout/details";
            let browsers = if guest { vec![c.clone(), Browser::new(&app)] } else { vec![c.clone()] };
            for mut b in browsers {
                let started = Instant::now();
                let (status, body) = error_of(b.call(endpoint, &form).await).await;
                let took = started.elapsed();
                assert_eq!(
                    (status, body["Invalid"]["field"].as_str()),
                    (StatusCode::UNPROCESSABLE_ENTITY, Some("at")),
                    "{endpoint} {at}: {body}"
                );
                assert!(took < Duration::from_secs(2), "{endpoint} {at} took {took:?}");
            }
        }
    }
    assert_eq!((count(&app.pool, "orders").await, count(&app.pool, "users").await), (orders, users));
    assert_eq!(booking_of(&app, &booked).await.1, booked_at);
    assert_eq!(booking_of(&app, &draft).await.1, draft_at);

    for week in ["9999-12-30", "0001-01-01", "-009999-01-01", "someday"] {
        let started = Instant::now();
        let (status, body) = error_of(
            Browser::new(&app).call("booking/slots", &[("service", &slug), ("week", week), ("tz", "UTC")]).await,
        )
        .await;
        assert_eq!(
            (status, body["Invalid"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("week")),
            "{week}"
        );
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    // The checkout page answers at once, saying why, for anyone.
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    for at in FAR {
        let url = format!("{}/checkout/new/{slug}?at={at}&tz=UTC", app.base);
        let res = http.get(&url).send().await.unwrap_or_else(|e| panic!("{at}: no answer: {e}"));
        assert!(!res.status().is_server_error(), "{at}: {}", res.status());
        let page = res.text().await.unwrap();
        // An instant beyond what can be written down at all is refused as unreadable.
        let said = ["has passed", "365 days ahead", "Choose a time from the list"];
        assert!(said.iter().any(|s| page.contains(s)), "{at}: {page}");
    }
}

#[tokio::test]
async fn a_handler_that_panics_is_answered_with_a_500_naming_its_request_id() {
    use tower::ServiceExt;
    async fn boom() -> &'static str {
        panic!("a bug")
    }
    let router = axum::Router::new()
        .route("/api/boom", axum::routing::post(boom))
        .route("/boom", axum::routing::get(boom))
        .layer(axum::middleware::from_fn(attune::server::http::catch_panic));
    let req = |method: &str, path: &str| {
        axum::http::Request::builder()
            .method(method)
            .uri(path)
            .header("x-request-id", "req-42")
            .body(axum::body::Body::empty())
            .unwrap()
    };
    let res = router.clone().oneshot(req("POST", "/api/boom")).await.unwrap();
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body = axum::body::to_bytes(res.into_body(), 1 << 16).await.unwrap();
    let answer: AppError = serde_json::from_slice(&body).unwrap();
    assert_eq!(answer, AppError::Internal { request_id: "req-42".into() });
    let res = router.oneshot(req("GET", "/boom")).await.unwrap();
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let text = String::from_utf8(axum::body::to_bytes(res.into_body(), 1 << 16).await.unwrap().to_vec()).unwrap();
    assert!(text.contains("req-42"), "{text}");
}

//! A booking's status moves as one rule says, in the code (`BookingStatus::can_move_to`)
//! and in the database (`booking_transition_allowed`, and the trigger that applies it
//! to every row written): the two agree on every pair of statuses.

use crate::booking::{booking_app, booking_of, customer, london, session_service, start_at};
use crate::helpers::*;
use attune::domain::booking::BookingStatus;
use time::OffsetDateTime;
use uuid::Uuid;

#[tokio::test]
async fn the_database_and_the_code_agree_on_every_booking_move_and_refuse_the_rest() {
    let app = booking_app().await;
    database_agrees_on_every_move(
        &app.pool,
        "booking_transition_allowed",
        &BookingStatus::ALL,
        BookingStatus::as_str,
        BookingStatus::can_move_to,
    )
    .await;
    let (slug, _) = session_service(&app, 2, 3000).await;
    let (mut c, _) = customer(&app, "moe@example.com", 2).await;
    let number = start_at(&mut c, &slug, london(&app, 3, 10, 0), "Moe", "moe@example.com").await;
    assert_eq!(booking_of(&app, &number).await.0, "pending");
    let refused = sqlx::query(
        "UPDATE bookings SET status = 'completed' WHERE order_id = (SELECT id FROM orders WHERE number = $1)",
    )
    .bind(&number)
    .execute(&app.pool)
    .await;
    assert!(refused.unwrap_err().to_string().contains("cannot move from pending to completed"));
}

#[tokio::test]
async fn the_trigger_writes_a_booking_move_exactly_when_the_code_allows_it() {
    let app = booking_app().await;
    let (slug, _) = session_service(&app, 2, 3000).await;
    let (mut c, _) = customer(&app, "ned@example.com", 0).await;
    let number = start_at(&mut c, &slug, london(&app, 3, 10, 0), "Ned", "ned@example.com").await;
    for from in BookingStatus::ALL {
        for to in BookingStatus::ALL {
            let written = trigger_writes(&app, &number, from, to).await;
            assert_eq!(written, from == to || from.can_move_to(to), "{from:?} -> {to:?}");
        }
    }
    assert_eq!(booking_of(&app, &number).await.0, "pending", "every try was rolled back");
}

/// Writes the booking of the draft order `number` afresh in `from` (an insert is not a
/// move), then moves it to `to` with what the table ties to a status (a hold's end, a
/// cancellation's side), in a transaction that is rolled back. Returns whether the
/// move was written; a refusal by any rule but the status trigger fails the test.
async fn trigger_writes(app: &TestApp, number: &str, from: BookingStatus, to: BookingStatus) -> bool {
    let mut tx = app.pool.begin().await.unwrap();
    let kept: (Uuid, Uuid, Uuid, OffsetDateTime, OffsetDateTime) = sqlx::query_as(
        "DELETE FROM bookings WHERE order_id = (SELECT id FROM orders WHERE number = $1)
         RETURNING order_id, practitioner_id, customer_id, starts_at, ends_at",
    )
    .bind(number)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    let (order_id, practitioner_id, customer_id, starts_at, ends_at) = kept;
    // A hold ends with the order's payment window, and was written a minute before.
    sqlx::query(
        "INSERT INTO bookings (order_id, practitioner_id, customer_id, starts_at, ends_at, blocks, status, hold_until,
                               cancelled_by, created_at, updated_at)
         SELECT o.id, $2, $3, $4, $5, tstzrange($4, $5), $6, CASE WHEN $6 = 'held' THEN o.expires_at END,
                CASE WHEN $6 = 'cancelled' THEN 'customer' END, o.expires_at - interval '1 minute',
                o.expires_at - interval '1 minute'
         FROM orders o WHERE o.id = $1",
    )
    .bind(order_id)
    .bind(practitioner_id)
    .bind(customer_id)
    .bind(starts_at)
    .bind(ends_at)
    .bind(from.as_str())
    .execute(&mut *tx)
    .await
    .unwrap();
    let moved = sqlx::query(
        "UPDATE bookings SET status = $2,
                             hold_until = CASE WHEN $2 = 'held' THEN (SELECT expires_at FROM orders WHERE id = $1) END,
                             cancelled_by = CASE WHEN $2 = 'cancelled' THEN 'customer' END
         WHERE order_id = $1",
    )
    .bind(order_id)
    .bind(to.as_str())
    .execute(&mut *tx)
    .await;
    tx.rollback().await.unwrap();
    match moved {
        Ok(done) => {
            assert_eq!(done.rows_affected(), 1, "{from:?} -> {to:?}");
            true
        }
        Err(e) => {
            let by = e.as_database_error().and_then(|d| d.constraint());
            assert_eq!(by, Some("bookings_legal_status"), "{from:?} -> {to:?} was refused by another rule: {e}");
            false
        }
    }
}

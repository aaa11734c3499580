//! Reading and writing order rows: finding and locking one, moving it between statuses
//! with its history, and the numbers orders and their documents are given.

use super::Row;
use crate::domain::OrderNumber;
use crate::domain::orders::OrderStatus;
use crate::server::clock::to_db;
use crate::server::error::Failure;
use crate::server::state::AppState;
use jiff::Timestamp;
use sqlx::PgConnection;
use uuid::Uuid;

pub(in crate::server) async fn lock(conn: &mut PgConnection, number: &OrderNumber) -> Result<Option<Row>, Failure> {
    Ok(sqlx::query_as!(
        Row,
        r#"SELECT id, number AS "number: crate::domain::OrderNumber", user_id, kind, item_name, credits, bonus_credits,
                validity_days, price_minor, currency, price_credits, paid_with, status, invoice_number, created_at,
                expires_at, paid_at, refunded_minor,
                (SELECT f.number FROM orders f WHERE f.id = orders.for_order_id)
                  AS "for_order: crate::domain::OrderNumber"
         FROM orders WHERE number = $1 FOR UPDATE"#,
        number.as_str()
    )
    .fetch_optional(conn)
    .await?)
}

pub(in crate::server) async fn find(state: &AppState, number: &OrderNumber) -> Result<Option<Row>, Failure> {
    find_in(&mut *state.pool.acquire().await?, number).await
}

pub(in crate::server) async fn find_in(conn: &mut PgConnection, number: &OrderNumber) -> Result<Option<Row>, Failure> {
    Ok(sqlx::query_as!(
        Row,
        r#"SELECT id, number AS "number: crate::domain::OrderNumber", user_id, kind, item_name, credits, bonus_credits,
                validity_days, price_minor, currency, price_credits, paid_with, status, invoice_number, created_at,
                expires_at, paid_at, refunded_minor,
                (SELECT f.number FROM orders f WHERE f.id = orders.for_order_id)
                  AS "for_order: crate::domain::OrderNumber"
         FROM orders WHERE number = $1"#,
        number.as_str()
    )
    .fetch_optional(conn)
    .await?)
}

/// Moves a locked order from its current status to `to` and records who and why.
pub(in crate::server) async fn transition(
    conn: &mut PgConnection,
    order: &Row,
    to: OrderStatus,
    actor: Option<Uuid>,
    reason: &str,
    at: Timestamp,
) -> Result<(), Failure> {
    let from = order.status()?;
    if !from.can_move_to(to) {
        return Err(Failure::bug(format!(
            "order {} cannot move from {} to {}",
            order.number,
            from.as_str(),
            to.as_str()
        )));
    }
    sqlx::query!("UPDATE orders SET status = $2 WHERE id = $1", order.id, to.as_str()).execute(&mut *conn).await?;
    record(conn, order.id, Some(from), to, actor, reason, at).await
}

pub(in crate::server) async fn record(
    conn: &mut PgConnection,
    order_id: Uuid,
    from: Option<OrderStatus>,
    to: OrderStatus,
    actor: Option<Uuid>,
    reason: &str,
    at: Timestamp,
) -> Result<(), Failure> {
    sqlx::query!(
        "INSERT INTO order_transitions (order_id, from_status, to_status, actor_id, reason, at) VALUES ($1, $2, $3, $4, $5, $6)",
        order_id,
        from.map(|s| s.as_str()),
        to.as_str(),
        actor,
        reason,
        to_db(at)
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A confirmation number no order has yet.
pub(in crate::server) async fn unused_number(conn: &mut PgConnection) -> Result<OrderNumber, Failure> {
    loop {
        let bytes = Uuid::new_v4().into_bytes();
        let number = OrderNumber::generate([bytes[0], bytes[1], bytes[2], bytes[3], bytes[4]]);
        let taken = sqlx::query_scalar!(
            "SELECT EXISTS (SELECT 1 FROM orders WHERE number = $1) AS \"taken!\"",
            number.as_str()
        )
        .fetch_one(&mut *conn)
        .await?;
        if !taken {
            return Ok(number);
        }
    }
}

/// The next number of a gap-free series (`invoice`, `credit_note`) for the year of
/// `now`, taken inside the caller's transaction: the number is used exactly when that
/// transaction commits, and a concurrent one waits for it.
pub(in crate::server) async fn next_document_number(
    conn: &mut PgConnection,
    series: &str,
    now: Timestamp,
) -> Result<(i16, i32), Failure> {
    let year = jiff::tz::TimeZone::UTC.to_datetime(now).year();
    let n = sqlx::query_scalar!(
        "INSERT INTO document_counters (series, year, last_number) VALUES ($1, $2, 1)
         ON CONFLICT (series, year) DO UPDATE SET last_number = document_counters.last_number + 1 RETURNING last_number",
        series,
        i32::from(year)
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok((year, n))
}

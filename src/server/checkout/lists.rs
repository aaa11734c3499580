//! Lists of service orders: a customer's, a practitioner's to deliver, and what a
//! practitioner earned per month.

use crate::domain::Locale;
use crate::domain::booking::BookingStatus;
use crate::domain::ledger::OrderReference;
use crate::domain::orders::{OrderStatus, PaidWith, charged};
use crate::domain::types::{ServiceOrderRow, SessionUser};
use crate::server::capability::LivePractitioner;
use crate::server::clock::from_db;
use crate::server::error::Failure;
use crate::server::services;
use crate::server::state::AppState;
use std::collections::BTreeMap;

/// A customer's service orders (`as_practitioner` false) or the orders a practitioner
/// is to deliver, newest first.
pub async fn list(
    state: &AppState,
    user: &SessionUser,
    as_practitioner: bool,
) -> Result<Vec<ServiceOrderRow>, Failure> {
    let rows = sqlx::query!(
        r#"SELECT o.number AS "number: crate::domain::OrderNumber", o.item_name, o.status, o.price_credits,
                  o.price_minor, o.currency, o.paid_with, o.created_at,
                  CASE WHEN $2 THEN COALESCE(o.contact_name, c.name) ELSE p.name END AS "with!",
                  (SELECT count(*) FROM order_messages m
                    WHERE m.order_id = o.id AND m.author_id <> $1
                      AND m.id > COALESCE((SELECT r.last_read_id FROM order_thread_reads r
                                           WHERE r.order_id = o.id AND r.user_id = $1), 0)) AS "unread!",
                  b.starts_at AS "session?", b.status AS "booking?"
           FROM orders o JOIN users c ON c.id = o.user_id JOIN users p ON p.id = o.practitioner_id
                LEFT JOIN bookings b ON b.order_id = o.id
           WHERE o.kind = 'service' AND CASE WHEN $2 THEN o.practitioner_id = $1 AND o.paid_at IS NOT NULL
                                             ELSE o.user_id = $1 END
           ORDER BY o.created_at DESC LIMIT 100"#,
        user.id,
        as_practitioner
    )
    .fetch_all(&state.pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            let price = services::stored_price(r.price_credits, r.price_minor, r.currency.as_deref())?;
            Ok(ServiceOrderRow {
                number: r.number,
                title: r.item_name,
                with: r.with,
                status: OrderStatus::parse(&r.status).ok_or_else(|| Failure::bug("an order in an unknown status"))?,
                price: charged(&price, r.paid_with.as_deref().and_then(PaidWith::parse)).label(Locale::default()),
                placed_at: from_db(r.created_at),
                unread: r.unread,
                session: r.session.filter(|_| r.booking.as_deref() != Some(BookingStatus::Released.as_str())).map(
                    |at| {
                        crate::domain::datetime::show(
                            from_db(at),
                            &user.time_zone,
                            crate::domain::datetime::Style::DateTime,
                        )
                    },
                ),
            })
        })
        .collect()
}

/// What a practitioner earned per month (in their time zone), newest first: credits as
/// the ledger recorded their orders' spends, and card payments per currency, both net
/// of what was refunded (a cancelled session keeps what its policy did not return).
pub async fn earnings(
    state: &AppState,
    user: &LivePractitioner,
) -> Result<Vec<crate::domain::types::EarningsRow>, Failure> {
    let rows = sqlx::query!(
        r#"SELECT to_char(o.paid_at AT TIME ZONE $2, 'YYYY-MM') AS "month!",
                  count(*) AS "orders!",
                  COALESCE(sum((SELECT -sum(x.change) FROM ledger_transactions t
                                JOIN ledger_transfers x ON x.transaction_id = t.id AND x.platform = 'spent'
                                WHERE t.reference = $3 || o.number)), 0)::bigint AS "credits!",
                  array_agg(o.price_minor - o.refunded_minor) FILTER (WHERE o.paid_with = 'card') AS card_minor,
                  array_agg(o.currency) FILTER (WHERE o.paid_with = 'card') AS card_currency
           FROM orders o
           WHERE o.kind = 'service' AND o.practitioner_id = $1 AND o.paid_at IS NOT NULL
           GROUP BY 1 ORDER BY 1 DESC LIMIT 24"#,
        user.id,
        user.time_zone.as_str(),
        OrderReference::PREFIX
    )
    .fetch_all(&state.pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            let mut totals: BTreeMap<String, i64> = BTreeMap::new();
            for (minor, code) in r.card_minor.unwrap_or_default().into_iter().zip(r.card_currency.unwrap_or_default()) {
                *totals.entry(code).or_default() += minor;
            }
            let money = totals
                .into_iter()
                .map(|(code, minor)| {
                    crate::domain::Currency::parse(&code)
                        .map(|c| crate::domain::Money::from_minor(minor, c))
                        .map_err(|_| Failure::bug("an order in an unknown currency"))
                })
                .collect::<Result<Vec<_>, Failure>>()?;
            Ok(crate::domain::types::EarningsRow { month: r.month, orders: r.orders, credits: r.credits, money })
        })
        .collect()
}

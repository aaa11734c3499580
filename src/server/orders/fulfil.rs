//! What happens when the provider reports on a payment: a collected one makes the order
//! paid, with its invoice number, a pack's credits or a service order's booking, and the
//! emails; a declined one leaves the order waiting for a retry.

use super::{Row, lock, next_document_number, page_for, record, transition};
use crate::domain::ledger::{LedgerKey, LotSource, OrderReference};
use crate::domain::orders::{OrderStatus, invoice_number};
use crate::domain::{Credits, Locale, OrderNumber};
use crate::server::accounts::zone_of;
use crate::server::clock::{from_db, to_db};
use crate::server::email::{self, templates};
use crate::server::error::Failure;
use crate::server::ledger::{self, Kind, Movement};
use crate::server::payments::{Collected, duplicates, sessions};
use crate::server::state::AppState;
use jiff::SignedDuration;
use sqlx::PgConnection;

/// Whether this call paid the order, found it already paid, or found it paid by
/// another session and recorded this payment as a duplicate to refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fulfilment {
    Paid,
    AlreadyPaid,
    Duplicate,
}

/// Turns a collected payment into a paid order inside the caller's transaction: the
/// status with its history, the year's next invoice number, the credits (and bonus as
/// promotional credit) and the confirmation email. A second call for the same order
/// finds it paid and does nothing; the ledger's keys would refuse a second grant too.
pub async fn fulfil(
    conn: &mut PgConnection,
    state: &AppState,
    paid: &Collected,
    via: &str,
) -> Result<Fulfilment, Failure> {
    let started = std::time::Instant::now();
    let done = fulfil_timed(conn, state, paid, via).await;
    if done.as_ref().is_ok_and(|d| *d == Fulfilment::Paid) {
        state.metrics.fulfilment.with_label_values(&[via]).observe(started.elapsed().as_secs_f64());
    }
    done
}

async fn fulfil_timed(
    conn: &mut PgConnection,
    state: &AppState,
    paid: &Collected,
    via: &str,
) -> Result<Fulfilment, Failure> {
    let number = paid.order_number.as_ref().ok_or_else(|| Failure::bug("a payment without an order number"))?;
    let order =
        lock(conn, number).await?.ok_or_else(|| Failure::bug(format!("a payment for unknown order {number}")))?;
    let status = order.status()?;
    if status.was_paid() || order.paid_at.is_some() {
        return Ok(if duplicates::catch(conn, state, order.id, paid, via).await? {
            Fulfilment::Duplicate
        } else {
            Fulfilment::AlreadyPaid
        });
    }
    if !paid.paid {
        return Err(Failure::bug(format!("order {number}: fulfil called for an unpaid session")));
    }
    let price = order.card_price()?;
    let currency = price.currency();
    if paid.amount_total != price.minor() || !paid.currency.eq_ignore_ascii_case(currency.code()) {
        return Err(Failure::bug(format!(
            "order {number}: collected {} {} but the order costs {} {}",
            paid.amount_total,
            paid.currency,
            price.minor(),
            currency.code()
        )));
    }
    let now = state.clock.now();
    let (year, n) = next_document_number(conn, "invoice", now).await?;
    let invoice = invoice_number(year, n);
    sqlx::query!(
        "UPDATE orders SET invoice_number = $2, paid_at = $3, status = 'paid', paid_with = 'card', paid_session_id = $4,
                           payment_intent = $5, updated_at = $3
         WHERE id = $1",
        order.id,
        invoice,
        to_db(now),
        paid.session_id,
        paid.payment_intent
    )
    .execute(&mut *conn)
    .await?;
    record(conn, order.id, Some(status), OrderStatus::Paid, None, &format!("Payment confirmed ({via})"), now).await?;
    sessions::close_others_later(conn, order.id, Some(&paid.session_id), now).await?;
    if order.is_service() {
        if crate::server::booking::on_card_paid(conn, state, &order, now).await?
            != crate::server::booking::CardOutcome::Refunding
        {
            crate::server::checkout::paid(conn, state, order.id, now).await?;
        }
        state.metrics.payments.with_label_values(&[state.config.payments.name(), "paid"]).inc();
        tracing::info!(%number, %invoice, via, "service order paid by card");
        return Ok(Fulfilment::Paid);
    }
    let reference = OrderReference(number.as_str()).to_string();
    let expires_at = order.validity_days.map(|d| now + SignedDuration::from_hours(24 * i64::from(d)));
    let grants =
        [(order.credits, LotSource::Paid, Kind::Purchase), (order.bonus_credits, LotSource::Promotional, Kind::Bonus)];
    for (amount, source, kind) in grants {
        if amount == 0 {
            continue;
        }
        let key = LedgerKey::OrderGrant(number.as_str(), source).to_string();
        let m = Movement {
            kind,
            key: &key,
            actor: None,
            reference: Some(&reference),
            reason: Some(&order.item_name),
            at: now,
        };
        let credits = Credits::new(amount).map_err(|e| Failure::bug(e.to_string()))?;
        ledger::grant(conn, order.user_id, credits, source, expires_at, &m).await?;
    }
    let user = sqlx::query!("SELECT name, email, time_zone FROM users WHERE id = $1", order.user_id)
        .fetch_one(&mut *conn)
        .await?;
    let facts = facts(state, &user.name, &order)?;
    let mail =
        templates::order_paid(&facts, order.credits, order.bonus_credits, &invoice, now, &zone_of(&user.time_zone));
    if let Some(to) = &user.email {
        email::enqueue(conn, Some(order.user_id), to, &mail, now).await?;
    }
    state.metrics.payments.with_label_values(&[state.config.payments.name(), "paid"]).inc();
    tracing::info!(%number, %invoice, via, "order paid");
    Ok(Fulfilment::Paid)
}

/// What the emails about a card payment say of the order.
pub(in crate::server) fn facts<'a>(
    state: &AppState,
    name: &'a str,
    order: &'a Row,
) -> Result<templates::OrderFacts<'a>, Failure> {
    Ok(templates::OrderFacts {
        name,
        number: order.number.as_str(),
        package: &order.item_name,
        price: order.card_price()?.format(Locale::default()),
        url: format!("{}/dashboard#orders", state.config.public_url),
    })
}

/// The provider reports the payment failed: the order waits for a retry until it
/// expires. Nothing happens to an order that has moved on.
pub async fn payment_failed(conn: &mut PgConnection, state: &AppState, number: &OrderNumber) -> Result<(), Failure> {
    let Some(order) = lock(conn, number).await? else {
        return Err(Failure::bug(format!("a failed payment for unknown order {number}")));
    };
    if order.status()? != OrderStatus::PendingPayment {
        return Ok(());
    }
    let now = state.clock.now();
    transition(conn, &order, OrderStatus::PaymentFailed, None, "The payment was declined", now).await?;
    crate::server::booking::release_hold(conn, number.as_str(), false, now).await?;
    let user = sqlx::query!("SELECT name, email, time_zone FROM users WHERE id = $1", order.user_id)
        .fetch_one(&mut *conn)
        .await?;
    let mut facts = facts(state, &user.name, &order)?;
    facts.url = format!("{}{}", state.config.public_url, page_for(&order, false));
    let mail = templates::payment_failed(&facts, from_db(order.expires_at), &zone_of(&user.time_zone));
    if let Some(to) = &user.email {
        email::enqueue(conn, Some(order.user_id), to, &mail, now).await?;
    }
    state.metrics.payments.with_label_values(&[state.config.payments.name(), "failed"]).inc();
    Ok(())
}

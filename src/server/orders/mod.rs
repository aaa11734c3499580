//! Orders: placing a credit pack's, paying any order through the provider, and the one
//! function that turns a collected payment into a paid order with its invoice number
//! (and a pack's credits, or a service order's booking and emails). That function
//! (`fulfil`) serves the webhook, the success page and the reconciler alike; it locks
//! the order row, so any number of concurrent calls for one order pay it once.
//!
//! Reading and writing order rows, their history and their numbers is in `store`,
//! placing an order and sending its customer to the provider's checkout in `place`, what
//! a collected (or declined) payment does to an order in `fulfil`, asking the provider
//! about orders still unpaid in `reconcile`, ending unpaid orders in `expire`, and the
//! admins' views in `admin`.

mod admin;
mod expire;
mod fulfil;
mod place;
mod reconcile;
mod store;

pub use admin::{detail, payments_overview};
pub(crate) use expire::cancel;
pub use expire::{ExpireOrders, expire_due, expire_if_due};
pub(super) use fulfil::facts;
pub use fulfil::{Fulfilment, fulfil, payment_failed};
pub(super) use place::open_checkout;
pub use place::{list_for, place, result, resume};
pub use reconcile::{RECONCILE_WINDOW, ReconcilePayments, Reconciled, confirm_with_provider, reconcile};
pub(super) use store::{find, find_in, lock, next_document_number, record, transition, unused_number};

use crate::domain::catalog::Price;
use crate::domain::orders::{OrderKind, OrderStatus, PaidWith};
use crate::domain::types::OrderView;
use crate::domain::{Currency, Money, OrderNumber};
use crate::server::clock::from_db;
use crate::server::error::Failure;
use jiff::SignedDuration;
use uuid::Uuid;

/// How long an order waits for its payment.
pub const PAYMENT_WINDOW: SignedDuration = SignedDuration::from_hours(24);

pub(super) struct Row {
    pub(super) id: Uuid,
    pub(super) number: OrderNumber,
    pub(super) user_id: Uuid,
    pub(super) kind: String,
    pub(super) item_name: String,
    pub(super) credits: i64,
    pub(super) bonus_credits: i64,
    validity_days: Option<i32>,
    pub(super) price_minor: Option<i64>,
    currency: Option<String>,
    pub(super) price_credits: Option<i64>,
    paid_with: Option<String>,
    status: String,
    pub(super) invoice_number: Option<String>,
    created_at: time::OffsetDateTime,
    expires_at: time::OffsetDateTime,
    paid_at: Option<time::OffsetDateTime>,
    pub(super) refunded_minor: i64,
    for_order: Option<OrderNumber>,
}

impl Row {
    pub(super) fn status(&self) -> Result<OrderStatus, Failure> {
        OrderStatus::parse(&self.status).ok_or_else(|| Failure::bug("an order in an unknown status"))
    }

    pub(super) fn is_service(&self) -> bool {
        self.kind == "service"
    }

    /// The price it was placed at, in the one form every page writes out.
    pub(super) fn price(&self) -> Result<Price, Failure> {
        crate::server::services::stored_price(self.price_credits, self.price_minor, self.currency.as_deref())
    }

    /// What the order costs by card (every pack order has one; a service order when the
    /// service had a card price).
    pub(super) fn card_price(&self) -> Result<Money, Failure> {
        self.price()?.card.ok_or_else(|| Failure::bug(format!("order {} has no card price", self.number)))
    }

    pub(super) fn currency(&self) -> Result<Currency, Failure> {
        Ok(self.card_price()?.currency())
    }

    pub(super) fn view(&self) -> Result<OrderView, Failure> {
        Ok(OrderView {
            number: self.number.clone(),
            kind: if self.is_service() { OrderKind::Service } else { OrderKind::CreditPack },
            item_name: self.item_name.clone(),
            credits: self.credits,
            bonus_credits: self.bonus_credits,
            price: self.price()?,
            paid_with: self
                .paid_with
                .as_deref()
                .map(|p| PaidWith::parse(p).ok_or_else(|| Failure::bug("an order paid in an unknown way")))
                .transpose()?,
            status: self.status()?,
            invoice_number: self.invoice_number.clone(),
            created_at: from_db(self.created_at),
            expires_at: from_db(self.expires_at),
            paid_at: self.paid_at.map(from_db),
            refunded_minor: self.refunded_minor,
            credit_notes: Vec::new(),
            for_order: self.for_order.clone(),
        })
    }
}

/// Where the provider sends the customer back to: a pack's result page, or a service
/// order's own page (which shows its payment state the same way).
fn page_for(order: &Row, paid: bool) -> String {
    if order.is_service() {
        return format!("/orders/{}", order.number);
    }
    let page = if paid { "success" } else { "failed" };
    format!("/checkout/{page}?order={}", order.number)
}

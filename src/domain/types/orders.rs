//! Orders' wire types: credit packages, orders as customers and admins see them, and
//! an order's history.

use super::{DuplicatePaymentRow, RefundRow};
use crate::domain::{OrderNumber, UserCode};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// A credit package as stored: `PackageDraft`'s fields and its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditPackage {
    pub id: uuid::Uuid,
    #[serde(flatten)]
    pub draft: crate::domain::orders::PackageDraft,
}

impl CreditPackage {
    pub fn price(&self) -> crate::domain::Money {
        crate::domain::Money::from_minor(self.draft.price_minor, self.draft.currency)
    }
}

/// An order as its customer (and admins) see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderView {
    pub number: OrderNumber,
    pub kind: crate::domain::orders::OrderKind,
    /// The pack's or the service's name when it was ordered.
    pub item_name: String,
    /// A pack's credits (none for a service).
    pub credits: i64,
    pub bonus_credits: i64,
    /// What it was placed at: a pack's card price; a service's credits, card price or both.
    pub price: crate::domain::catalog::Price,
    pub paid_with: Option<crate::domain::orders::PaidWith>,
    pub status: crate::domain::orders::OrderStatus,
    pub invoice_number: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub paid_at: Option<Timestamp>,
    /// Money returned to the customer so far (or on its way back).
    pub refunded_minor: i64,
    /// The credit notes of its refunds, oldest first.
    pub credit_notes: Vec<String>,
    /// For a credit pack bought to pay a service order: that order's number.
    pub for_order: Option<OrderNumber>,
}

impl OrderView {
    /// What was paid once it is paid, else what it costs.
    pub fn price_label(&self, locale: crate::domain::Locale) -> String {
        crate::domain::orders::charged(&self.price, self.paid_with).label(locale)
    }

    pub fn refunded(&self) -> Option<crate::domain::Money> {
        self.price.card.map(|m| crate::domain::Money::from_minor(self.refunded_minor, m.currency()))
    }
}

/// One move of an order's status, for its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderTransitionRow {
    pub at: Timestamp,
    pub from: Option<crate::domain::orders::OrderStatus>,
    pub to: crate::domain::orders::OrderStatus,
    /// Who moved it; `None` for the system (provider events, jobs).
    pub actor: Option<UserCode>,
    pub reason: String,
}

/// An order with everything support needs to answer a question about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderDetail {
    pub order: OrderView,
    pub customer: UserCode,
    pub customer_email: Option<String>,
    pub transitions: Vec<OrderTransitionRow>,
    /// Checkout sessions opened at the provider, newest first.
    pub sessions: Vec<String>,
    /// Refunds, oldest first.
    pub refunds: Vec<RefundRow>,
    /// Paid credits that could be refunded now (0 when none can).
    pub refundable_credits: i64,
    /// Payments other checkouts took after the order was paid, oldest first.
    pub duplicate_payments: Vec<DuplicatePaymentRow>,
}

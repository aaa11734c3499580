//! Refunds' wire types: a refund's preview and record, and the automatic refund of a
//! duplicate payment.

use crate::domain::{OrderNumber, UserCode};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Exactly what a refund of an order would move, shown to the admin before it is made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundPreview {
    pub order_number: OrderNumber,
    pub invoice_number: String,
    /// Paid credits and the bonus credits that go with them.
    pub credits: i64,
    pub bonus_credits: i64,
    /// Returned to the card the order was paid with.
    pub amount: crate::domain::Money,
    /// The most paid credits that can be refunded now.
    pub max_credits: i64,
    pub refunded_so_far: crate::domain::Money,
    pub status_after: crate::domain::orders::OrderStatus,
    /// The customer's wallet before and after.
    pub balance_before: i64,
    pub balance_after: i64,
    pub provider: String,
}

/// One refund of an order, for the admin order page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRow {
    pub created_at: Timestamp,
    pub amount: crate::domain::Money,
    pub credits: i64,
    pub bonus_credits: i64,
    pub status: crate::domain::refunds::RefundStatus,
    pub credit_note_number: Option<String>,
    pub reason: String,
    pub actor: Option<UserCode>,
    pub failure: Option<String>,
}

/// A payment that arrived for an order another checkout had already paid, and what
/// became of its automatic refund in full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicatePaymentRow {
    pub order_number: OrderNumber,
    /// The checkout session that took the second payment.
    pub session_id: String,
    pub amount: crate::domain::Money,
    pub detected_at: Timestamp,
    pub status: crate::domain::refunds::RefundStatus,
    pub provider_refund_id: Option<String>,
    /// The provider's reason when it refused the refund.
    pub failure: Option<String>,
}

impl DuplicatePaymentRow {
    /// The one line admins read about it, on the order and on the payments page.
    pub fn summary(&self, locale: crate::domain::Locale) -> String {
        use crate::domain::refunds::RefundStatus;
        let amount = self.amount.format(locale);
        let paid = format!("Paid a second time ({amount}) through checkout {}", self.session_id);
        match (&self.status, &self.provider_refund_id, &self.failure) {
            (RefundStatus::Succeeded, Some(id), _) => {
                format!("{paid}: the duplicate payment was refunded in full ({id}).")
            }
            (RefundStatus::Failed, _, Some(why)) => {
                format!("{paid}: the provider refused the automatic refund ({why}); refund it at the provider.")
            }
            _ => format!("{paid}: the duplicate payment is being refunded in full."),
        }
    }
}

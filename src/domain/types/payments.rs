//! Payments' wire types: the sandbox checkout, provider events, reconciliation, the admin
//! payments page and an order's payment state.

use super::{DuplicatePaymentRow, OrderView};
use crate::domain::UserCode;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The sandbox provider's test checkout page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxSession {
    pub id: String,
    pub order_number: String,
    pub description: String,
    pub amount: crate::domain::Money,
    /// Still waiting for a person to approve or decline.
    pub open: bool,
    pub paid: bool,
    pub declined: bool,
    pub cancel_path: String,
}

/// One provider event as the admin payments page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentEventRow {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub received_at: Timestamp,
}

/// The newest reconciliation run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconciliationRow {
    pub ran_at: Timestamp,
    pub checked: i32,
    pub repaired: i32,
}

/// An order as the admin payments page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminOrderRow {
    pub order: OrderView,
    pub customer: UserCode,
}

/// The admin payments page: recent orders and events, and the last reconciliation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentsOverview {
    pub orders: Vec<AdminOrderRow>,
    pub events: Vec<PaymentEventRow>,
    pub last_reconciliation: Option<ReconciliationRow>,
    /// The newest payments taken for orders already paid, with their refunds.
    pub duplicate_payments: Vec<DuplicatePaymentRow>,
}

/// What the order result page's watcher needs to know: small, with no instants, so the
/// browser bundle decodes it without a date parser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentState {
    pub status: crate::domain::orders::OrderStatus,
    /// Credits and bonus credits together.
    pub credits: i64,
    pub invoice_number: Option<String>,
}

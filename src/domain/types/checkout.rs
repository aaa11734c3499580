//! Checkout's wire types: starting and paying a service order, the order's page with its
//! files and messages, order lists and a practitioner's earnings.

use super::{BookingPanel, BookingTime, CreditPackage, OrderView, PractitionerSummary, ServiceView};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A service as the checkout shows it before an order exists (step 1 of a new order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutStart {
    pub service: ServiceView,
    pub practitioner: PractitionerSummary,
    /// Prefilled from the signed-in account; empty for a guest.
    pub name: String,
    pub email: String,
    pub signed_in: bool,
    /// The time chosen for a session, read in the visitor's zone.
    pub slot: Option<BookingTime>,
}

/// A service order's checkout: what was agreed when it was started, how far the
/// customer got, and what paying needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutView {
    pub number: crate::domain::OrderNumber,
    pub status: crate::domain::orders::OrderStatus,
    pub title: String,
    pub service_slug: String,
    pub delivery: crate::domain::catalog::Delivery,
    pub practitioner: PractitionerSummary,
    /// The price when the order was started: what it will be charged.
    pub price: crate::domain::catalog::Price,
    pub questions: Vec<crate::domain::catalog::Question>,
    pub answers: std::collections::BTreeMap<String, String>,
    pub name: String,
    pub email: String,
    /// The furthest step completed (0 for none).
    pub completed: i16,
    pub expires_at: Timestamp,
    /// The customer's spendable credits, when they are signed in.
    pub balance: Option<i64>,
    pub signed_in: bool,
    /// The pack offered when the balance does not cover the credit price.
    pub offer: Option<CreditPackage>,
    /// The session's time, for a booked service.
    pub slot: Option<BookingTime>,
}

impl CheckoutView {
    /// Credits still needed to pay in credits, when the wallet is short.
    pub fn shortfall(&self) -> Option<i64> {
        let needed = self.price.credits?.get();
        let have = self.balance.unwrap_or(0);
        (have < needed).then_some(needed - have)
    }
}

/// One step of an order's history as its customer and practitioner see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub at: Timestamp,
    pub status: crate::domain::orders::OrderStatus,
    pub note: String,
    /// Who moved it, by name; `None` for the platform.
    pub by: Option<String>,
}

/// Who is looking at an order, which decides what they may do with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderRole {
    Customer,
    Practitioner,
    Admin,
}

/// A service order's page, for its customer, its practitioner and admins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceOrderView {
    pub order: OrderView,
    pub viewer: OrderRole,
    pub service_slug: String,
    pub practitioner: PractitionerSummary,
    pub customer_name: String,
    pub questions: Vec<crate::domain::catalog::Question>,
    pub answers: std::collections::BTreeMap<String, String>,
    pub timeline: Vec<TimelineEntry>,
    pub documents: Vec<DocumentView>,
    pub messages: Vec<MessageView>,
    /// Whether the viewer may add files and messages (its customer or practitioner, once paid).
    pub can_write: bool,
    /// The session, for a booked service.
    pub booking: Option<BookingPanel>,
}

/// A file attached to an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentView {
    pub id: Uuid,
    pub file_name: String,
    pub size_bytes: i64,
    pub uploaded_by: String,
    pub uploaded_at: Timestamp,
}

/// A message of an order's thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageView {
    pub author: String,
    pub mine: bool,
    pub at: Timestamp,
    pub pieces: Vec<crate::domain::messages::Piece>,
}

/// A line of a practitioner's or customer's order list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceOrderRow {
    pub number: crate::domain::OrderNumber,
    pub title: String,
    /// The other side: the customer for a practitioner, the practitioner for a customer.
    pub with: String,
    pub status: crate::domain::orders::OrderStatus,
    pub price: String,
    pub placed_at: Timestamp,
    /// Messages from the other side not yet read.
    pub unread: i64,
    /// When the session is, for a booked service, in the reader's zone.
    pub session: Option<String>,
}

/// A practitioner's earnings in one calendar month (in their time zone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarningsRow {
    /// `2026-12`.
    pub month: String,
    pub orders: i64,
    /// Credits customers spent on their orders, as the ledger recorded them.
    pub credits: i64,
    /// Card payments, one amount per currency.
    pub money: Vec<crate::domain::Money>,
}

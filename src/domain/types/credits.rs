//! Credits' wire types: a customer's wallet, its lots and movements, and the ledger check.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// A customer's credits: what they can spend now, the lots it is in (in the order they
/// are spent), and recent movements with the balance after each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditOverview {
    pub available: i64,
    pub lots: Vec<CreditLotView>,
    pub history: Vec<CreditMove>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditLotView {
    pub promotional: bool,
    pub granted: i64,
    pub remaining: i64,
    pub expires_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditMove {
    pub at: Timestamp,
    /// purchase, bonus, spend, refund, adjustment or expiry.
    pub kind: String,
    pub reason: Option<String>,
    pub change: i64,
    pub balance_after: i64,
}

/// The newest scheduled ledger check, for the admin panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerStatus {
    pub checked_at: Timestamp,
    pub clean: bool,
    pub transactions: i64,
    /// Transactions that do not sum to zero or have no entries.
    pub unbalanced: i64,
    /// Wallets and lots whose kept figures differ from their entries.
    pub drifted: i64,
}

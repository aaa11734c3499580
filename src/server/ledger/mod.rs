//! The credit ledger's movements (`grant`, `spend` and `adjust`; `take_back`,
//! `give_back` and `return_spent` for refunds and cancellations) and the check that
//! proves the books are right. Every movement runs inside the caller's transaction, so an
//! order, a booking or an adjustment and its credit movement commit together or not at
//! all; on an error the caller rolls back.
//!
//! The books are transfers: each moves credit between one lot of a wallet and one
//! platform account, so it is two entries that sum to zero, and the `ledger_entries`
//! view reads it as those two. A wallet's balance is what its lots hold. The database
//! enforces what must never happen (a transfer of nothing, changed or deleted rows, a
//! lot moved on another wallet's behalf, a lot below zero and so a negative wallet, one
//! key applied twice). Movements on one wallet happen one after another, under the
//! wallet's lock (`lock_wallet`). A spend runs as one database
//! function, `ledger_spend`, which takes lots in `domain::ledger::allocate`'s order; the
//! code here decides the rest, and the answer a repeated key gets.
//!
//! Recording a movement's transaction, the wallet's and the lots' locks and moving
//! credit out of lots are in `wallet`; granting, spending and adjusting in `movements`;
//! taking credit back and putting it back (refunds and cancellations) in `refund`;
//! expiring lots in `expiry`; and the check of the books in `check`.

mod check;
mod expiry;
mod movements;
mod refund;
mod wallet;

pub use check::{CheckLedger, LedgerCheck, check, last_check};
pub use expiry::{ExpireCredits, expire_due};
pub use movements::{adjust, grant, spend};
pub use refund::{LotLeft, give_back, lots_granted_by, return_spent, take_back};

use crate::server::error::Failure;
use jiff::Timestamp;
use sqlx::PgConnection;
use uuid::Uuid;

/// What a ledger transaction is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Purchase,
    Bonus,
    Spend,
    Refund,
    /// A refund the provider refused: its credits go back.
    RefundCancelled,
    Adjustment,
    Expiry,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Purchase => "purchase",
            Kind::Bonus => "bonus",
            Kind::Spend => "spend",
            Kind::Refund => "refund",
            Kind::RefundCancelled => "refund_cancelled",
            Kind::Adjustment => "adjustment",
            Kind::Expiry => "expiry",
        }
    }
}

/// Who moves credits, why, and the key that makes a retry harmless.
#[derive(Debug, Clone)]
pub struct Movement<'a> {
    pub kind: Kind,
    /// Unique per intended effect (e.g. `order:ATN-…:paid`): a repeat moves nothing.
    pub key: &'a str,
    /// The person who caused it; `None` for the system (webhooks, jobs).
    pub actor: Option<Uuid>,
    /// What it belongs to (`order:…`, `booking:…`).
    pub reference: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub at: Timestamp,
}

/// The outcome of a movement: the transaction, and whether it was a repeat of an
/// earlier one with the same key (then nothing moved now).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posted {
    pub transaction_id: i64,
    pub replayed: bool,
}

/// What the user's wallet holds: the sum of its lots, expired or not (`credits::spendable`
/// leaves out what has expired).
pub async fn balance(conn: &mut PgConnection, user_id: Uuid) -> Result<i64, Failure> {
    Ok(sqlx::query_scalar!("SELECT balance FROM wallet_balances WHERE user_id = $1", user_id)
        .fetch_optional(&mut *conn)
        .await?
        .flatten()
        .unwrap_or(0))
}

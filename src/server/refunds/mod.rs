//! Refunds of credit-pack orders, in three steps that each leave the books right:
//!
//! 1. `request`, in one transaction under the order's lock: plan the refund from what
//!    is left unspent (`domain::refunds`), record it as pending, take its credits out
//!    of the order's own lots, reserve its amount on the order, and queue a job that
//!    finishes it should this process die.
//! 2. `complete`, outside any transaction: ask the provider to return the money, with
//!    one idempotency key per refund, so asking again after a timeout refunds once.
//! 3. `confirm` (the provider returned the money; from `complete` or a `charge.refunded`
//!    event): issue the credit note, move the order, email the customer. Or `fail` (the
//!    provider refused): give the credits back to their lots and release the amount.
//!
//! Service orders are refunded when their session is cancelled (`booking::cancel`), or
//! in full by an admin when a paid order will not be delivered (`refund_undelivered`);
//! a card payment then goes back through the same steps 2 and 3.
//!
//! An order's refund position (what is left to refund, and its refunds so far) is in
//! `position`, step 1 and its preview in `request`, steps 2 and 3 in `settle`, and
//! refunding service orders in `service`.

mod position;
mod request;
mod service;
mod settle;

pub(super) use position::of_order;
pub use request::{RefundForm, preview, request};
pub use service::refund_undelivered;
pub(super) use service::{finish_pending_of, start_card_refund};
pub use settle::{FinishRefund, complete, confirm};

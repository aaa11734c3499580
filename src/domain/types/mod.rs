//! Data the server sends to the UI. Shared by both targets so the wire format has one
//! definition. Each feature's types live in their own submodule and are all re-exported
//! here, so every type is named `crate::domain::types::X`.

mod accounts;
mod admin;
mod booking;
mod catalog;
mod checkout;
mod credits;
mod leads;
mod onboarding;
mod orders;
mod payments;
mod refunds;

pub use accounts::*;
pub use admin::*;
pub use booking::*;
pub use catalog::*;
pub use checkout::*;
pub use credits::*;
pub use leads::*;
pub use onboarding::*;
pub use orders::*;
pub use payments::*;
pub use refunds::*;

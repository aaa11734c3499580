//! Integration tests: one binary, a module per area. See `helpers` for the harness.

mod accounts;
mod booking;
mod catalog;
mod checkout;
mod cli;
mod deletion;
mod errors;
mod exchange;
mod helpers;
mod leads;
mod ledger;
mod money_gaps;
mod onboarding;
mod orders;
mod phone;
mod platform;
mod refunds;
mod security;
mod storage;
mod stripe;
mod wizard;
mod zones;

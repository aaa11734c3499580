//! Integration tests: one binary, a module per area. See `helpers` for the harness.

mod accounts;
mod cli;
mod errors;
mod helpers;
mod leads;
mod ledger;
mod orders;
mod platform;
mod refunds;
mod security;
mod stripe;
mod zones;

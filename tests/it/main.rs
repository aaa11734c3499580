//! Integration tests: one binary, a module per area. See `helpers` for the harness and
//! `fixtures` for what many tests make and read back.

mod accounts;
mod booking;
mod booking_moves;
mod catalog;
mod checkout;
mod cli;
mod constraints;
mod deletion;
mod duplicate_payments;
mod errors;
mod exchange;
mod fixtures;
mod fuzz;
mod helpers;
mod leads;
mod ledger;
mod misc_trust;
mod onboarding;
mod orders;
mod phone;
mod platform;
mod refunds;
mod security;
mod server_log;
mod sign_in_trust;
mod simulation;
mod storage;
mod stripe;
mod trust_money;
mod wizard;
mod zones;

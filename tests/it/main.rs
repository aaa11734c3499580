//! Integration tests: one binary, a module per area. See `helpers` for the harness.

mod accounts;
mod cli;
mod errors;
mod helpers;
mod platform;
mod security;

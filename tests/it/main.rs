//! Integration tests: one binary, a module per area. See `helpers` for the harness.

mod accounts;
mod cli;
mod helpers;
mod platform;
mod security;

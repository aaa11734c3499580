//! Accounts: sign-up, login, password changes and resets, profiles. The API layer
//! hands in parsed domain values; everything written together commits together.
//!
//! Making an account (and whether to tell an address's owner it was used) is in
//! `create`, logging in and reading an account as a session sees it in `login`,
//! passwords and their reset links in `password`, a person's own profile and deleting
//! their account in `profile`, and the admins' user search and role changes in `admin`.

mod admin;
mod create;
mod login;
mod password;
mod profile;

pub use admin::{USERS_MAX_PAGE, USERS_PAGE, search_users, set_role};
pub use create::{ADDRESS_NOTICE_EVERY, NewAccount, limit_new_accounts, sign_up};
pub(crate) use create::{address_notice_due, insert_account};
pub use login::{KNOWN_ADDRESS_DAYS, authenticate, log_in, session_user};
pub(crate) use password::password_link;
pub use password::{RESET_LINK_MINUTES, bump_epoch, change_password, request_password_reset, reset_password};
pub use profile::{DELETE_CONFIRMATION, delete_account, profile, update_profile};

use crate::domain::types::SessionUser;
use crate::domain::{Role, TimeZone, UserCode};
use crate::server::error::Failure;

fn role_of(raw: &str) -> Result<Role, Failure> {
    Role::parse(raw).ok_or_else(|| Failure::bug("unknown role in users table"))
}

/// A stored zone the database no longer knows shows times in UTC rather than failing.
pub(crate) fn zone_of(stored: &str) -> TimeZone {
    TimeZone::parse(stored).unwrap_or_else(|_| TimeZone::utc())
}

fn code_of(n: i64) -> Result<UserCode, Failure> {
    UserCode::from_number(n).ok_or_else(|| Failure::bug("user code below range"))
}

pub struct Created {
    pub user: SessionUser,
    pub epoch: i32,
}

//! Data the server sends to the UI. Shared by both targets so the wire format has one
//! definition.

use crate::domain::{Role, UserCode};
use serde::{Deserialize, Serialize};

/// Who is signed in, as the UI needs to know it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: uuid::Uuid,
    pub code: UserCode,
    pub email: String,
    pub name: String,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub code: UserCode,
    pub email: String,
    pub name: String,
    pub phone: Option<String>,
    pub time_zone: String,
    pub role: Role,
    /// RFC 3339, UTC.
    pub member_since: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceType {
    pub slug: String,
    pub name: String,
    pub description: String,
}

/// Platform statistics, counted from the database at `as_of`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HomeStats {
    pub practitioners: i64,
    pub customers: i64,
    pub service_types: i64,
    /// RFC 3339, UTC.
    pub as_of: String,
}

/// The home page's view of statistics: either real figures or an honest "unavailable".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StatsView {
    Available(HomeStats),
    Unavailable,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminUserRow {
    pub id: uuid::Uuid,
    pub code: UserCode,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPage {
    pub rows: Vec<AdminUserRow>,
    pub total: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxRow {
    pub id: i64,
    pub to_address: String,
    pub template: String,
    pub subject: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    pub status: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub last_error: Option<String>,
    pub run_at: String,
}

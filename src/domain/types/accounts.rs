//! Accounts' wire types: who is signed in, their profile, and the admin user list.

use crate::domain::{Role, TimeZone, UserCode};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
#[cfg(test)]
use uuid::Uuid;

/// Who is signed in, as the UI needs to know it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: uuid::Uuid,
    pub code: UserCode,
    /// None for a practitioner who signed in by phone and has not given one yet.
    pub email: Option<String>,
    pub name: String,
    pub role: Role,
    /// The zone every instant is shown to them in.
    pub time_zone: TimeZone,
}

#[cfg(test)]
impl SessionUser {
    /// Someone new in `role`, for unit tests of rules about who may do what.
    pub(crate) fn sample(role: Role) -> SessionUser {
        SessionUser {
            id: Uuid::new_v4(),
            code: UserCode::from_number(100_001).expect("a valid code"),
            email: None,
            name: "Ada".into(),
            role,
            time_zone: TimeZone::utc(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub code: UserCode,
    pub email: String,
    pub name: String,
    pub phone: Option<String>,
    pub time_zone: TimeZone,
    pub role: Role,
    pub member_since: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminUserRow {
    pub id: uuid::Uuid,
    pub code: UserCode,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPage {
    pub rows: Vec<AdminUserRow>,
    pub total: i64,
}

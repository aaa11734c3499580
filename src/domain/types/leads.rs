//! Leads' wire types: imports of the call centre's lead list and the rows they refused.

use crate::domain::UserCode;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// One import of the call centre's lead list and what became of its rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadBatchRow {
    pub id: String,
    pub file_name: String,
    pub created_at: Timestamp,
    /// The admin who uploaded it; `None` from the command line.
    pub imported_by: Option<UserCode>,
    pub rows_total: i32,
    pub created: i32,
    pub updated: i32,
    pub unchanged: i32,
    pub rejected: i32,
}

/// A row a lead import refused: its line in the file and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadErrorRow {
    pub line: i32,
    pub reason: String,
}

/// A lead import with the rows it refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadBatchDetail {
    pub batch: LeadBatchRow,
    pub errors: Vec<LeadErrorRow>,
}

//! Importing the call centre's lead list. A file is one batch: its valid rows are
//! upserted by phone in one statement (a re-import updates what changed and never
//! duplicates), its bad rows are kept with their line numbers and reasons, and the
//! batch's counts are recorded, all in one transaction. A file that cannot be read at
//! all (not UTF-8, no header, no rows) writes nothing.

use crate::domain::leads::{Columns, LeadRow, parse_row};
use crate::domain::types::{LeadBatchDetail, LeadBatchRow, LeadErrorRow};
use crate::domain::{AppError, UserCode};
use crate::server::capability::Admin;
use crate::server::clock::from_db;
use crate::server::error::Failure;
use crate::server::state::AppState;
use std::collections::HashMap;
use uuid::Uuid;

/// The largest file accepted: about 100,000 rows.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

fn file_error(message: impl Into<String>) -> Failure {
    AppError::invalid("file", message).into()
}

/// Reads the file: the valid rows (with their line numbers) and the refused ones.
pub(crate) fn read(
    bytes: &[u8],
    default_country: Option<&str>,
) -> Result<(Vec<(u32, LeadRow)>, Vec<(u32, String)>), Failure> {
    if bytes.len() > MAX_BYTES {
        return Err(file_error("The file is larger than 10 MB; split it into smaller files."));
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| file_error("The file is not UTF-8 text. Save it as \"CSV UTF-8\" and upload it again."))?;
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => return Err(file_error(format!("The first line cannot be read as CSV: {e}."))),
        None => return Err(file_error("The file is empty.")),
    };
    let columns = Columns::from_header(header.iter()).map_err(file_error)?;
    let mut valid: Vec<(u32, LeadRow)> = Vec::new();
    let mut refused: Vec<(u32, String)> = Vec::new();
    let mut seen: HashMap<String, u32> = HashMap::new();
    // Line numbers from byte offsets: the reader's own line count, and the offset it
    // gives, start a record at the blank lines before it.
    let (mut counted_to, mut line_at) = (0usize, 1u32);
    let mut line_of = |byte: u64| {
        let mut byte = (byte as usize).min(text.len());
        while matches!(text.as_bytes().get(byte), Some(b'\n' | b'\r')) {
            byte += 1;
        }
        if byte >= counted_to {
            line_at += text.as_bytes()[counted_to..byte].iter().filter(|b| **b == b'\n').count() as u32;
            counted_to = byte;
        }
        line_at
    };
    for record in records {
        let (line, outcome) = match record {
            Ok(r) => {
                let line = r.position().map(|p| line_of(p.byte())).unwrap_or(0);
                if r.iter().all(|f| f.trim().is_empty()) {
                    continue;
                }
                let fields: Vec<&str> = r.iter().collect();
                (line, parse_row(&columns, &fields, default_country))
            }
            Err(e) => {
                let line = e.position().map(|p| line_of(p.byte())).unwrap_or(0);
                (line, Err(format!("This line cannot be read as CSV: {e}.")))
            }
        };
        match outcome {
            Ok(row) => match seen.get(&row.phone) {
                Some(first) => refused.push((line, format!("{} is already on line {first} of this file.", row.phone))),
                None => {
                    seen.insert(row.phone.clone(), line);
                    valid.push((line, row));
                }
            },
            Err(reason) => refused.push((line, reason)),
        }
    }
    if valid.is_empty() && refused.is_empty() {
        return Err(file_error("The file has no rows under its header."));
    }
    Ok((valid, refused))
}

/// Imports one file as a batch and returns it with its refused rows.
#[tracing::instrument(skip(state, bytes), fields(bytes = bytes.len()))]
pub async fn import(
    state: &AppState,
    actor: Option<Uuid>,
    file_name: &str,
    bytes: &[u8],
    default_country: Option<&str>,
) -> Result<LeadBatchDetail, Failure> {
    let file_name: String = file_name.trim().chars().filter(|c| !c.is_control()).take(255).collect();
    let file_name = if file_name.is_empty() { "leads.csv".to_owned() } else { file_name };
    let (valid, refused) = read(bytes, default_country)?;
    let now = state.clock.now_db();
    let mut tx = state.pool.begin().await?;
    let batch = sqlx::query_scalar!(
        "INSERT INTO lead_batches (file_name, imported_by, created_at, rows_total, created, updated, unchanged, rejected)
         VALUES ($1, $2, $3, 0, 0, 0, 0, 0) RETURNING id",
        file_name,
        actor,
        now
    )
    .fetch_one(&mut *tx)
    .await?;
    let column = |f: fn(&LeadRow) -> Option<String>| valid.iter().map(|(_, r)| f(r)).collect::<Vec<_>>();
    let phones: Vec<String> = valid.iter().map(|(_, r)| r.phone.clone()).collect();
    let names: Vec<String> = valid.iter().map(|(_, r)| r.name.clone()).collect();
    let contacted: Vec<bool> = valid.iter().map(|(_, r)| r.contacted).collect();
    let inserted = sqlx::query_scalar!(
        r#"INSERT INTO leads (phone, name, email, practice_type, location, contacted, contact_status,
                              first_batch_id, last_batch_id, imported_at, updated_at)
           SELECT t.phone, t.name, t.email, t.practice_type, t.location, t.contacted, t.contact_status, $8, $8, $9, $9
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bool[], $7::text[])
                AS t(phone, name, email, practice_type, location, contacted, contact_status)
           ON CONFLICT (phone) DO UPDATE SET
               name = EXCLUDED.name, email = EXCLUDED.email, practice_type = EXCLUDED.practice_type,
               location = EXCLUDED.location, contacted = EXCLUDED.contacted, contact_status = EXCLUDED.contact_status,
               last_batch_id = EXCLUDED.last_batch_id, updated_at = EXCLUDED.updated_at
           WHERE (leads.name, leads.email, leads.practice_type, leads.location, leads.contacted, leads.contact_status)
                 IS DISTINCT FROM
                 (EXCLUDED.name, EXCLUDED.email, EXCLUDED.practice_type, EXCLUDED.location, EXCLUDED.contacted, EXCLUDED.contact_status)
           RETURNING (xmax = 0) AS "inserted!""#,
        &phones,
        &names,
        &column(|r| r.email.clone()) as &[Option<String>],
        &column(|r| r.practice_type.clone()) as &[Option<String>],
        &column(|r| r.location.clone()) as &[Option<String>],
        &contacted,
        &column(|r| r.contact_status.clone()) as &[Option<String>],
        batch,
        now
    )
    .fetch_all(&mut *tx)
    .await?;
    let created = inserted.iter().filter(|i| **i).count();
    let updated = inserted.len() - created;
    let unchanged = valid.len() - inserted.len();
    let (lines, reasons): (Vec<i32>, Vec<String>) = refused.iter().map(|(l, r)| (*l as i32, r.clone())).unzip();
    sqlx::query!(
        "INSERT INTO lead_import_errors (batch_id, line, reason) SELECT $1, t.line, left(t.reason, 500)
         FROM unnest($2::int[], $3::text[]) AS t(line, reason)",
        batch,
        &lines,
        &reasons
    )
    .execute(&mut *tx)
    .await?;
    let total = valid.len() + refused.len();
    sqlx::query!(
        "UPDATE lead_batches SET rows_total = $2, created = $3, updated = $4, unchanged = $5, rejected = $6 WHERE id = $1",
        batch,
        total as i32,
        created as i32,
        updated as i32,
        unchanged as i32,
        refused.len() as i32
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO audit_log (actor_id, action, subject_id, details, created_at) VALUES ($1, 'leads.imported', $2, $3, $4)",
        actor,
        batch,
        serde_json::json!({ "file": file_name, "rows": total, "created": created, "updated": updated, "rejected": refused.len() }),
        now
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(%batch, total, created, updated, unchanged, rejected = refused.len(), "leads imported");
    detail_of(state, batch).await
}

struct BatchRecord {
    id: Uuid,
    file_name: String,
    created_at: time::OffsetDateTime,
    imported_by: Option<i64>,
    rows_total: i32,
    created: i32,
    updated: i32,
    unchanged: i32,
    rejected: i32,
}

impl BatchRecord {
    fn row(self) -> LeadBatchRow {
        LeadBatchRow {
            id: self.id.to_string(),
            file_name: self.file_name,
            created_at: from_db(self.created_at),
            imported_by: self.imported_by.and_then(UserCode::from_number),
            rows_total: self.rows_total,
            created: self.created,
            updated: self.updated,
            unchanged: self.unchanged,
            rejected: self.rejected,
        }
    }
}

/// The newest batches first.
pub async fn batches(state: &AppState, _: &Admin) -> Result<Vec<LeadBatchRow>, Failure> {
    Ok(sqlx::query_as!(
        BatchRecord,
        r#"SELECT b.id, b.file_name, b.created_at, u.code AS "imported_by?", b.rows_total, b.created, b.updated, b.unchanged, b.rejected
           FROM lead_batches b LEFT JOIN users u ON u.id = b.imported_by ORDER BY b.created_at DESC, b.id LIMIT 100"#
    )
    .fetch_all(&state.pool)
    .await?
    .into_iter()
    .map(BatchRecord::row)
    .collect())
}

/// One batch with the rows it refused, in file order.
pub async fn batch_detail(state: &AppState, _: &Admin, id: Uuid) -> Result<LeadBatchDetail, Failure> {
    detail_of(state, id).await
}

async fn detail_of(state: &AppState, id: Uuid) -> Result<LeadBatchDetail, Failure> {
    let batch = sqlx::query_as!(
        BatchRecord,
        r#"SELECT b.id, b.file_name, b.created_at, u.code AS "imported_by?", b.rows_total, b.created, b.updated, b.unchanged, b.rejected
           FROM lead_batches b LEFT JOIN users u ON u.id = b.imported_by WHERE b.id = $1"#,
        id
    )
    .fetch_optional(&state.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    let errors = sqlx::query_as!(
        LeadErrorRow,
        "SELECT line, reason FROM lead_import_errors WHERE batch_id = $1 ORDER BY line",
        id
    )
    .fetch_all(&state.pool)
    .await?;
    Ok(LeadBatchDetail { batch: batch.row(), errors })
}

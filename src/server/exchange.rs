//! What the customer and the practitioner of a service order exchange once it is paid:
//! documents (stored under random names through the storage layer, their type decided
//! by their content) and a message thread, whose new messages email the other side at
//! most once per thread every ten minutes. Only the order's customer, its practitioner
//! and admins reach either; admins read but do not write.

use crate::domain::messages::{check_message, pieces};
use crate::domain::types::{DocumentView, MessageView, OrderRole};
use crate::domain::uploads::{self, FileType, Slot};
use crate::domain::{AppError, OrderNumber};
use crate::server::checkout::{self, Access, Visitor};
use crate::server::clock::{from_db, to_db};
use crate::server::email::{self, templates};
use crate::server::error::Failure;
use crate::server::state::AppState;
use crate::server::storage::Storage;
use jiff::SignedDuration;
use sqlx::PgConnection;
use uuid::Uuid;

/// The least time between two emails about one thread to one person.
pub const EMAIL_EVERY: SignedDuration = SignedDuration::from_mins(10);

fn may_write(access: &Access) -> Result<(), Failure> {
    if access.role == OrderRole::Admin {
        return Err(AppError::Forbidden.into());
    }
    if !access.is_open_for_exchange() {
        return Err(AppError::invalid("order", "Files and messages open once the order is paid.").into());
    }
    Ok(())
}

/// Leave to attach a file to an order, given before the file is read: a visitor who
/// may not write to the order never makes the server read their upload.
pub struct UploadLeave<'a> {
    visitor: &'a Visitor,
    number: &'a OrderNumber,
}

/// Checks, from the request's session and path alone, that `visitor` may attach a file
/// to order `number`. Outside a transaction, so it holds no lock while the file arrives;
/// `upload` checks again under the order's lock.
pub async fn may_upload<'a>(
    state: &AppState,
    visitor: &'a Visitor,
    number: &'a OrderNumber,
) -> Result<UploadLeave<'a>, Failure> {
    may_write(&checkout::access(&mut *state.pool.acquire().await?, visitor, number).await?)?;
    Ok(UploadLeave { visitor, number })
}

/// Attaches a file to the order, for the other side to download.
#[tracing::instrument(skip_all, fields(bytes = bytes.len()))]
pub async fn upload(state: &AppState, leave: UploadLeave<'_>, file_name: &str, bytes: Vec<u8>) -> Result<(), Failure> {
    let UploadLeave { visitor, number } = leave;
    let t = uploads::check(Slot::OrderDocument, file_name, &bytes).map_err(|m| AppError::invalid("file", m))?;
    let name = uploads::download_name(file_name, t);
    let size = bytes.len() as i64;
    let storage = &state.config.storage;
    let key = Storage::new_key("order-documents", t.extension());
    storage.put(&key, bytes).await?;
    let saved = async {
        let mut tx = state.pool.begin().await?;
        let access = checkout::access(&mut tx, visitor, number).await?;
        may_write(&access)?;
        let count = sqlx::query_scalar!("SELECT count(*) AS \"n!\" FROM order_documents WHERE order_id = $1", access.id)
            .fetch_one(&mut *tx)
            .await?;
        if count >= uploads::ORDER_DOCUMENTS_MAX {
            return Err(AppError::invalid(
                "file",
                format!("An order holds at most {} files.", uploads::ORDER_DOCUMENTS_MAX),
            )
            .into());
        }
        sqlx::query!(
            "INSERT INTO order_documents (order_id, uploaded_by, file_name, storage_key, content_type, size_bytes, uploaded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            access.id,
            access.actor(visitor),
            name,
            key,
            t.content_type(),
            size,
            state.clock.now_db()
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok::<_, Failure>(())
    }
    .await;
    if saved.is_err() {
        crate::server::uploads::forget(storage, &[key]).await;
    }
    saved
}

/// A document of the order, for download.
pub struct Document {
    pub file_name: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// Reads document `id` of the order; not found for anyone who may not see the order, and
/// for a document of another order.
pub async fn read(state: &AppState, visitor: &Visitor, number: &OrderNumber, id: Uuid) -> Result<Document, Failure> {
    let mut conn = state.pool.acquire().await?;
    let access = checkout::access(&mut conn, visitor, number).await?;
    let row = sqlx::query!(
        "SELECT file_name, storage_key, content_type FROM order_documents WHERE id = $1 AND order_id = $2",
        id,
        access.id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound)?;
    drop(conn);
    let content_type = FileType::parse_content_type(&row.content_type)
        .ok_or_else(|| Failure::bug("a stored document of unknown type"))?
        .content_type();
    let bytes = state.config.storage.get(&row.storage_key).await?;
    Ok(Document { file_name: row.file_name, content_type, bytes })
}

/// The order's documents, oldest first.
pub(crate) async fn documents(conn: &mut PgConnection, order_id: Uuid) -> Result<Vec<DocumentView>, Failure> {
    Ok(sqlx::query!(
        "SELECT d.id, d.file_name, d.size_bytes, d.uploaded_at, u.name AS by_name
         FROM order_documents d JOIN users u ON u.id = d.uploaded_by WHERE d.order_id = $1 ORDER BY d.uploaded_at, d.id",
        order_id
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|d| DocumentView {
        id: d.id,
        file_name: d.file_name,
        size_bytes: d.size_bytes,
        uploaded_by: d.by_name,
        uploaded_at: from_db(d.uploaded_at),
    })
    .collect())
}

/// Adds a message to the order's thread and, unless they were emailed about this thread
/// in the last ten minutes, emails the other side.
#[tracing::instrument(skip_all)]
pub async fn post(
    state: &AppState,
    visitor: &Visitor,
    number: &OrderNumber,
    raw: &str,
) -> Result<OrderNumber, Failure> {
    let body = check_message(raw)?;
    let now = state.clock.now();
    let mut tx = state.pool.begin().await?;
    let access = checkout::access(&mut tx, visitor, number).await?;
    may_write(&access)?;
    let author = access.actor(visitor);
    let id = sqlx::query_scalar!(
        "INSERT INTO order_messages (order_id, author_id, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        access.id,
        author,
        body,
        to_db(now)
    )
    .fetch_one(&mut *tx)
    .await?;
    mark_read(&mut tx, access.id, author, id).await?;
    let recipient = access.other_side();
    // One statement decides, for any number of writers at once, who sends the email.
    let due = sqlx::query_scalar!(
        "INSERT INTO order_thread_reads (order_id, user_id, last_emailed_at) VALUES ($1, $2, $3)
         ON CONFLICT (order_id, user_id) DO UPDATE SET last_emailed_at = EXCLUDED.last_emailed_at
           WHERE order_thread_reads.last_emailed_at IS NULL OR order_thread_reads.last_emailed_at <= $4
         RETURNING user_id",
        access.id,
        recipient,
        to_db(now),
        to_db(now - EMAIL_EVERY)
    )
    .fetch_optional(&mut *tx)
    .await?;
    if due.is_some() {
        let parties = crate::server::parties::of_order(&mut tx, access.id).await?;
        let (to, from) = if recipient == parties.customer.id {
            (&parties.customer, &parties.practitioner)
        } else {
            (&parties.practitioner, &parties.customer)
        };
        if let Some(address) = to.email.as_deref() {
            let facts = templates::ServiceOrderFacts {
                name: &to.name,
                number: access.number.as_str(),
                service: &access.title,
                paid: String::new(),
                url: format!("{}/orders/{}#messages", state.config.public_url, access.number),
            };
            email::enqueue(&mut tx, Some(to.id), address, &templates::order_message(&facts, &from.name), now).await?;
        }
    }
    tx.commit().await?;
    Ok(access.number)
}

async fn mark_read(conn: &mut PgConnection, order_id: Uuid, user_id: Uuid, up_to: i64) -> Result<(), Failure> {
    sqlx::query!(
        "INSERT INTO order_thread_reads (order_id, user_id, last_read_id) VALUES ($1, $2, $3)
         ON CONFLICT (order_id, user_id) DO UPDATE
           SET last_read_id = GREATEST(order_thread_reads.last_read_id, EXCLUDED.last_read_id)",
        order_id,
        user_id,
        up_to
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The order's thread, oldest first, as `reader` sees it; marks it read for them when
/// they are its customer or practitioner.
pub(crate) async fn thread(
    conn: &mut PgConnection,
    order_id: Uuid,
    reader: Uuid,
    mark: bool,
) -> Result<Vec<MessageView>, Failure> {
    let rows = sqlx::query!(
        "SELECT m.id, m.author_id, m.body, m.created_at, u.name FROM order_messages m JOIN users u ON u.id = m.author_id
         WHERE m.order_id = $1 ORDER BY m.id",
        order_id
    )
    .fetch_all(&mut *conn)
    .await?;
    if let (true, Some(last)) = (mark, rows.last()) {
        mark_read(conn, order_id, reader, last.id).await?;
    }
    Ok(rows
        .into_iter()
        .map(|m| MessageView {
            author: m.name,
            mine: m.author_id == reader,
            at: from_db(m.created_at),
            pieces: pieces(&m.body),
        })
        .collect())
}

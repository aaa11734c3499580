//! The endpoints that take or send files: a practitioner's onboarding uploads, a service
//! order's documents, receipts and credit notes as PDFs, stored media, the credit history
//! as CSV, an admin's lead list import, and private calendar feeds.

use super::{PageUser, form_urlencoded};
use crate::domain::uploads::PHOTO_PATH as UPLOAD_PHOTO;
use crate::domain::{AppError, OrderNumber, Role};
use crate::server::sessions;
use crate::server::state::AppState;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

/// The signed-in person's whole credit history as a CSV download.
pub(super) async fn credits_csv(State(state): State<AppState>, user: Option<axum::Extension<PageUser>>) -> Response {
    let Some(user) = user.and_then(|u| u.0.0) else {
        return Redirect::to("/login?next=/dashboard/credits.csv").into_response();
    };
    match crate::server::credits::history(&state, user.id, i64::MAX).await {
        Ok(moves) => {
            let name = format!("attachment; filename=\"attune-credits-{}.csv\"", user.code);
            let headers =
                [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, name)];
            (headers, crate::domain::ledger::history_csv(&moves)).into_response()
        }
        Err(e) => {
            tracing::error!(error = %crate::server::error::chain(&e), "credit history export failed");
            (StatusCode::SERVICE_UNAVAILABLE, "The export is unavailable right now; try again shortly.").into_response()
        }
    }
}

pub(super) async fn receipt_pdf(
    State(state): State<AppState>,
    user: Option<axum::Extension<PageUser>>,
    axum::extract::Path(number): axum::extract::Path<String>,
) -> Response {
    let Some(user) = user.and_then(|u| u.0.0) else {
        return Redirect::to(&format!("/login?next=/orders/{number}/receipt.pdf")).into_response();
    };
    let Ok(number) = OrderNumber::requested(&number) else { return no_document() };
    pdf_response(crate::server::receipts::receipt(&state, &user, &number).await)
}

pub(super) async fn credit_note_pdf(
    State(state): State<AppState>,
    user: Option<axum::Extension<PageUser>>,
    axum::extract::Path((number, file)): axum::extract::Path<(String, String)>,
) -> Response {
    let Some(user) = user.and_then(|u| u.0.0) else {
        return Redirect::to(&format!("/login?next=/orders/{number}/credit-notes/{file}")).into_response();
    };
    let Ok(number) = OrderNumber::requested(&number) else { return no_document() };
    let note = file.strip_suffix(".pdf").unwrap_or(&file);
    pdf_response(crate::server::receipts::credit_note(&state, &user, &number, note).await)
}

/// A private calendar feed (`/calendar/<token>.ics`); an unknown or revoked address is a 404.
pub(super) async fn calendar_feed(
    State(state): State<AppState>,
    axum::extract::Path(file): axum::extract::Path<String>,
) -> Response {
    match crate::server::calendar::feed(&state, &file).await {
        Ok(Some(ics)) => {
            let headers = [
                (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
                (header::CONTENT_DISPOSITION, "inline; filename=\"attune.ics\""),
                (header::CACHE_CONTROL, "private, no-store"),
            ];
            (headers, ics).into_response()
        }
        Ok(None) => (StatusCode::NOT_FOUND, "No such calendar.").into_response(),
        Err(e) => {
            // `answer` logs the failure; the calendar client only needs the status.
            let _ = e.answer();
            (StatusCode::SERVICE_UNAVAILABLE, "The calendar is unavailable right now; try again shortly.")
                .into_response()
        }
    }
}

/// The answer for a document that does not exist for this person.
fn no_document() -> Response {
    (StatusCode::NOT_FOUND, "No such document.").into_response()
}

/// A PDF as a download; a document that does not exist for this person is a 404.
fn pdf_response(made: Result<crate::server::receipts::Pdf, crate::server::error::Failure>) -> Response {
    match made {
        Ok(pdf) => {
            let disposition = format!("attachment; filename=\"{}\"", pdf.file_name);
            let headers = [
                (header::CONTENT_TYPE, "application/pdf".to_owned()),
                (header::CONTENT_DISPOSITION, disposition),
                (header::CACHE_CONTROL, "private, no-store".to_owned()),
            ];
            (headers, pdf.bytes).into_response()
        }
        Err(e) => match e.answer() {
            AppError::NotFound => no_document(),
            _ => (StatusCode::SERVICE_UNAVAILABLE, "The document is unavailable right now; try again shortly.")
                .into_response(),
        },
    }
}

/// A practitioner uploads their photo (multipart `file`) or a certificate (`title`,
/// `file`) from the wizard, as a plain form post: the answer is a redirect back to the
/// step, with the refusal's reason when there is one, so the page shows the outcome
/// whether the browser posted the form itself or the upload island did.
pub(super) async fn upload(
    State(state): State<AppState>,
    session: tower_sessions::Session,
    uri: axum::http::Uri,
    mut multipart: axum::extract::Multipart,
) -> Response {
    let step = crate::domain::wizard::step_of_upload(uri.path() == UPLOAD_PHOTO);
    let user = match sessions::load_user(&state, &session).await {
        Ok(Some(u)) => u,
        Ok(None) => return Redirect::to(&format!("/login?next=/onboarding/{step}")).into_response(),
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.answer().to_string()).into_response(),
    };
    if user.role != Role::Practitioner {
        return (StatusCode::FORBIDDEN, "Only practitioners upload onboarding files.").into_response();
    }
    let back = |error: Option<String>| match error {
        None => Redirect::to(&format!("/onboarding/{step}?uploaded=1")).into_response(),
        Some(m) => Redirect::to(&format!("/onboarding/{step}?upload_error={}", form_urlencoded(&m))).into_response(),
    };
    let (mut file, mut title) = (None, String::new());
    let unreadable =
        |e: axum::extract::multipart::MultipartError| format!("The upload could not be read: {}", e.body_text());
    loop {
        match multipart.next_field().await.map_err(unreadable) {
            Ok(Some(field)) => match field.name() {
                Some("file") => {
                    let name = field.file_name().unwrap_or_default().to_owned();
                    match field.bytes().await.map_err(unreadable) {
                        Ok(bytes) => file = Some((name, bytes.to_vec())),
                        Err(m) => return back(Some(m)),
                    }
                }
                Some("title") => match field.text().await.map_err(unreadable) {
                    Ok(t) => title = t,
                    Err(m) => return back(Some(m)),
                },
                _ => {}
            },
            Ok(None) => break,
            Err(m) => return back(Some(m)),
        }
    }
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return back(Some("Choose a file to upload.".into()));
    };
    let saved = if uri.path() == UPLOAD_PHOTO {
        crate::server::uploads::save_photo(&state, &user, &name, bytes).await
    } else {
        crate::server::uploads::save_certificate(&state, &user, &title, &name, bytes).await
    };
    back(saved.err().map(|e| e.answer().to_string()))
}

/// The file field of a multipart form: its name and bytes, or why it could not be read.
async fn file_field(multipart: &mut axum::extract::Multipart) -> Result<Option<(String, Vec<u8>)>, String> {
    let unreadable =
        |e: axum::extract::multipart::MultipartError| format!("The upload could not be read: {}", e.body_text());
    let mut file = None;
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or_default().to_owned();
            file = Some((name, field.bytes().await.map_err(unreadable)?.to_vec()));
        }
    }
    Ok(file.filter(|(_, b)| !b.is_empty()))
}

/// The customer or practitioner of a paid service order attaches a file (multipart
/// `file`), as a plain form post: the answer is a redirect back to the order, with the
/// refusal's reason when there is one. Anyone who may not see the order gets a 404.
pub(super) async fn upload_order_document(
    State(state): State<AppState>,
    session: tower_sessions::Session,
    axum::extract::Path(number): axum::extract::Path<String>,
    mut multipart: axum::extract::Multipart,
) -> Response {
    let visitor = match crate::server::checkout::Visitor::of(&state, &session).await {
        Ok(v) => v,
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.answer().to_string()).into_response(),
    };
    let Ok(number) = OrderNumber::requested(&number) else {
        return (StatusCode::NOT_FOUND, "No such order.").into_response();
    };
    let page = format!("/orders/{number}");
    let back = |error: Option<String>| match error {
        None => Redirect::to(&format!("{page}?uploaded=1#documents")).into_response(),
        Some(m) => Redirect::to(&format!("{page}?upload_error={}#documents", form_urlencoded(&m))).into_response(),
    };
    let refused = |e: crate::server::error::Failure| match e.answer() {
        AppError::NotFound => (StatusCode::NOT_FOUND, "No such order.").into_response(),
        AppError::Forbidden => {
            (StatusCode::FORBIDDEN, "Admins read an order's files; its two sides add them.").into_response()
        }
        other => back(Some(other.to_string())),
    };
    // Decided from the session and the path before a byte of the body is read.
    let leave = match crate::server::exchange::may_upload(&state, &visitor, &number).await {
        Ok(leave) => leave,
        Err(e) => return refused(e),
    };
    let (name, bytes) = match file_field(&mut multipart).await {
        Ok(Some(f)) => f,
        Ok(None) => return back(Some("Choose a file to upload.".into())),
        Err(m) => return back(Some(m)),
    };
    match crate::server::exchange::upload(&state, leave, &name, bytes).await {
        Ok(()) => back(None),
        Err(e) => refused(e),
    }
}

/// A file of a service order, as a download, for its customer, practitioner and admins.
pub(super) async fn order_document(
    State(state): State<AppState>,
    session: tower_sessions::Session,
    axum::extract::Path((number, id)): axum::extract::Path<(String, String)>,
) -> Response {
    let not_found = || (StatusCode::NOT_FOUND, "No such file.").into_response();
    let (Ok(number), Ok(id)) = (OrderNumber::requested(&number), uuid::Uuid::parse_str(&id)) else {
        return not_found();
    };
    let visitor = match crate::server::checkout::Visitor::of(&state, &session).await {
        Ok(v) => v,
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.answer().to_string()).into_response(),
    };
    match crate::server::exchange::read(&state, &visitor, &number, id).await {
        Ok(d) => {
            let headers = [
                (header::CONTENT_TYPE, d.content_type.to_owned()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", d.file_name)),
                (header::CACHE_CONTROL, "private, no-store".to_owned()),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            ];
            (headers, d.bytes).into_response()
        }
        Err(e) => match e.answer() {
            AppError::NotFound => not_found(),
            _ => (StatusCode::SERVICE_UNAVAILABLE, "The file is unavailable right now; try again shortly.")
                .into_response(),
        },
    }
}

/// A stored upload: a photo (public once its profile is live) or a certificate (owner
/// and admins only, always as a download). Never sniffed by the browser as anything else.
pub(super) async fn media(
    State(state): State<AppState>,
    user: Option<axum::Extension<PageUser>>,
    axum::extract::Path((id, file)): axum::extract::Path<(String, String)>,
) -> Response {
    use crate::server::uploads::Variant;
    let viewer = user.and_then(|u| u.0.0);
    let variant = match file.as_str() {
        "photo.jpg" | "certificate" => Variant::Original,
        "thumb.jpg" => Variant::Thumbnail,
        _ => return (StatusCode::NOT_FOUND, "No such file.").into_response(),
    };
    let Ok(id) = uuid::Uuid::parse_str(&id) else {
        return (StatusCode::NOT_FOUND, "No such file.").into_response();
    };
    match crate::server::uploads::read(&state, viewer.as_ref(), id, variant).await {
        Ok(f) if f.private == (file == "certificate") => {
            let ext = crate::domain::uploads::FileType::parse_content_type(f.content_type)
                .map(|t| t.extension())
                .unwrap_or("bin");
            let (disposition, cache) = if f.private {
                (format!("attachment; filename=\"certificate.{ext}\""), "private, no-store")
            } else {
                ("inline".to_owned(), "public, max-age=300")
            };
            let headers = [
                (header::CONTENT_TYPE, f.content_type.to_owned()),
                (header::CONTENT_DISPOSITION, disposition),
                (header::CACHE_CONTROL, cache.to_owned()),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            ];
            (headers, f.bytes).into_response()
        }
        Ok(_) => (StatusCode::NOT_FOUND, "No such file.").into_response(),
        Err(e) => match e.answer() {
            AppError::NotFound => (StatusCode::NOT_FOUND, "No such file.").into_response(),
            _ => (StatusCode::SERVICE_UNAVAILABLE, "The file is unavailable right now; try again shortly.")
                .into_response(),
        },
    }
}

/// An admin uploads the call centre's lead list (multipart: `file`, and
/// `default_country` for numbers written without a country code). Returns to the leads
/// page showing the batch, or the reason the file could not be imported at all.
pub(super) async fn import_leads(
    State(state): State<AppState>,
    session: tower_sessions::Session,
    multipart: axum::extract::Multipart,
) -> Response {
    let user = match sessions::load_user(&state, &session).await {
        Ok(Some(u)) if u.role == Role::Admin => u,
        Ok(Some(_)) => return (StatusCode::FORBIDDEN, "Only admins import leads.").into_response(),
        Ok(None) => return Redirect::to("/login?next=/admin/leads").into_response(),
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.answer().to_string()).into_response(),
    };
    let refused =
        |message: String| Redirect::to(&format!("/admin/leads?error={}", form_urlencoded(&message))).into_response();
    let (file_name, bytes, country) = match read_lead_upload(multipart).await {
        Ok(upload) => upload,
        Err(message) => return refused(message),
    };
    let country = match crate::domain::leads::parse_country_code(&country) {
        Ok(c) => c,
        Err(message) => return refused(message),
    };
    match crate::server::leads::import(&state, Some(user.id), &file_name, &bytes, country.as_deref()).await {
        Ok(detail) => Redirect::to(&format!("/admin/leads?batch={}", detail.batch.id)).into_response(),
        Err(e) => refused(e.answer().to_string()),
    }
}

async fn read_lead_upload(mut multipart: axum::extract::Multipart) -> Result<(String, Vec<u8>, String), String> {
    let (mut file, mut country) = (None, String::new());
    let unreadable =
        |e: axum::extract::multipart::MultipartError| format!("The upload could not be read: {}", e.body_text());
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        match field.name() {
            Some("file") => {
                let name = field
                    .file_name()
                    .unwrap_or("leads.csv")
                    .rsplit(['/', '\\'])
                    .next()
                    .unwrap_or("leads.csv")
                    .to_owned();
                file = Some((name, field.bytes().await.map_err(unreadable)?.to_vec()));
            }
            Some("default_country") => country = field.text().await.map_err(unreadable)?,
            _ => {}
        }
    }
    let (name, bytes) = file.filter(|(_, b)| !b.is_empty()).ok_or("Choose a CSV file to import.")?;
    Ok((name, bytes, country))
}

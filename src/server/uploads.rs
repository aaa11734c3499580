//! A practitioner's uploads: the profile photo (re-encoded as JPEG without its metadata,
//! with a square thumbnail) and certificates (kept as sent, once their content has been
//! checked). Files go to storage under random names before the row naming them is
//! written; a refused or failed save removes what it stored, so nothing is half-kept.

use crate::domain::types::SessionUser;
use crate::domain::uploads::{self, FileType, Slot};
use crate::domain::{AppError, Role, wizard};
use crate::server::error::Failure;
use crate::server::state::AppState;
use crate::server::storage::Storage;
use uuid::Uuid;

/// An upload refused for what it is; the message says what to do instead.
fn refused(message: String) -> Failure {
    AppError::invalid("file", message).into()
}

impl From<crate::server::storage::StorageError> for Failure {
    fn from(e: crate::server::storage::StorageError) -> Self {
        Failure::Upstream(crate::server::error::chain(&e))
    }
}

/// Decodes an image within the pixel limit, refusing anything that does not decode.
fn decode(bytes: &[u8], t: FileType) -> Result<image::DynamicImage, String> {
    let format = match t {
        FileType::Jpeg => image::ImageFormat::Jpeg,
        FileType::Png => image::ImageFormat::Png,
        FileType::WebP => image::ImageFormat::WebP,
        FileType::Pdf => return Err("not an image".into()),
    };
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(uploads::MAX_PIXELS * 4);
    reader.limits(limits.clone());
    let (w, h) = reader.into_dimensions().map_err(|_| damaged())?;
    if u64::from(w) * u64::from(h) > uploads::MAX_PIXELS {
        return Err(format!("The image is {w}×{h} pixels; the limit is 40 megapixels. Choose a smaller image."));
    }
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), format);
    reader.limits(limits);
    reader.decode().map_err(|_| damaged())
}

fn damaged() -> String {
    "The image is damaged or incomplete (perhaps the upload was cut off). Save it again and upload the new copy.".into()
}

fn jpeg(img: &image::DynamicImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&img.to_rgb8())
        .expect("encoding an RGB image into memory cannot fail");
    out
}

/// The photo as it is kept (at most 1600 px on its longest side) and its 256 px square
/// thumbnail, both fresh JPEGs: nothing of the original file (metadata, location,
/// embedded data) survives.
pub fn process_photo(bytes: &[u8], t: FileType) -> Result<(Vec<u8>, Vec<u8>), String> {
    let img = decode(bytes, t)?;
    let side = uploads::PHOTO_MAX_SIDE;
    let photo = if img.width() > side || img.height() > side {
        img.resize(side, side, image::imageops::FilterType::Lanczos3)
    } else {
        img.clone()
    };
    let thumb = img.resize_to_fill(uploads::THUMB_SIDE, uploads::THUMB_SIDE, image::imageops::FilterType::Triangle);
    Ok((jpeg(&photo), jpeg(&thumb)))
}

/// Stores `files` under new random names; on any failure removes those already stored.
async fn store_all(storage: &Storage, files: Vec<(String, Vec<u8>)>) -> Result<Vec<String>, Failure> {
    let mut stored = Vec::new();
    for (key, bytes) in files {
        if let Err(e) = storage.put(&key, bytes).await {
            forget(storage, &stored).await;
            return Err(e.into());
        }
        stored.push(key);
    }
    Ok(stored)
}

/// Removes stored files that no row names (any more). A failure is logged and left for
/// later: an orphaned file is harmless, a lost one is not.
pub(crate) async fn forget(storage: &Storage, keys: &[String]) {
    for key in keys {
        if let Err(e) = storage.delete(key).await {
            tracing::warn!(error = %e, "an unused upload could not be removed");
        }
    }
}

/// Checks the wizard may change step `step` now, before any work is done.
async fn may_upload(state: &AppState, user: &SessionUser, step: i16) -> Result<(), Failure> {
    let mut tx = state.pool.begin().await?;
    crate::server::wizard::check_editable(&mut tx, user.id, step).await?;
    tx.rollback().await?;
    Ok(())
}

/// Replaces the practitioner's photo.
#[tracing::instrument(skip_all, fields(user = %user.code, bytes = bytes.len()))]
pub async fn save_photo(state: &AppState, user: &SessionUser, file_name: &str, bytes: Vec<u8>) -> Result<(), Failure> {
    let t = uploads::check(Slot::Photo, file_name, &bytes).map_err(refused)?;
    may_upload(state, user, wizard::PHOTO).await?;
    let (photo, thumb) = tokio::task::spawn_blocking(move || process_photo(&bytes, t)).await?.map_err(refused)?;
    let size = photo.len() as i64;
    let storage = &state.config.storage;
    let keys = store_all(
        storage,
        vec![(Storage::new_key("photos", "jpg"), photo), (Storage::new_key("thumbs", "jpg"), thumb)],
    )
    .await?;
    let outcome = async {
        let mut tx = state.pool.begin().await?;
        crate::server::wizard::check_editable(&mut tx, user.id, wizard::PHOTO).await?;
        let old = sqlx::query!(
            "DELETE FROM practitioner_uploads WHERE user_id = $1 AND kind = 'photo' RETURNING storage_key, thumb_key",
            user.id
        )
        .fetch_optional(&mut *tx)
        .await?;
        sqlx::query!(
            "INSERT INTO practitioner_uploads (user_id, kind, title, storage_key, thumb_key, content_type, size_bytes, uploaded_at)
             VALUES ($1, 'photo', 'Profile photo', $2, $3, 'image/jpeg', $4, $5)",
            user.id,
            keys[0],
            keys[1],
            size,
            state.clock.now_db()
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok::<_, Failure>(old.map(|o| [Some(o.storage_key), o.thumb_key].into_iter().flatten().collect::<Vec<_>>()))
    }
    .await;
    match outcome {
        Ok(old) => {
            forget(storage, &old.unwrap_or_default()).await;
            Ok(())
        }
        Err(e) => {
            forget(storage, &keys).await;
            Err(e)
        }
    }
}

/// Adds a certificate to step 5.
#[tracing::instrument(skip_all, fields(user = %user.code, bytes = bytes.len()))]
pub async fn save_certificate(
    state: &AppState,
    user: &SessionUser,
    title: &str,
    file_name: &str,
    bytes: Vec<u8>,
) -> Result<(), Failure> {
    let title = uploads::certificate_title(title).map_err(|m| AppError::invalid("title", m))?;
    let t = uploads::check(Slot::Certificate, file_name, &bytes).map_err(refused)?;
    may_upload(state, user, wizard::EXPERIENCE).await?;
    let bytes = if t.is_image() {
        tokio::task::spawn_blocking(move || decode(&bytes, t).map(|_| bytes)).await?.map_err(refused)?
    } else {
        bytes
    };
    let size = bytes.len() as i64;
    let storage = &state.config.storage;
    let keys = store_all(storage, vec![(Storage::new_key("certificates", t.extension()), bytes)]).await?;
    let outcome = async {
        let mut tx = state.pool.begin().await?;
        crate::server::wizard::check_editable(&mut tx, user.id, wizard::EXPERIENCE).await?;
        let count = sqlx::query_scalar!(
            "SELECT count(*) AS \"n!\" FROM practitioner_uploads WHERE user_id = $1 AND kind = 'certificate'",
            user.id
        )
        .fetch_one(&mut *tx)
        .await?;
        if count as usize >= wizard::CERTIFICATES_MAX {
            return Err(refused(format!(
                "Upload at most {} certificates: keep the ones that matter most.",
                wizard::CERTIFICATES_MAX
            )));
        }
        sqlx::query!(
            "INSERT INTO practitioner_uploads (user_id, kind, title, storage_key, content_type, size_bytes, uploaded_at)
             VALUES ($1, 'certificate', $2, $3, $4, $5, $6)",
            user.id,
            title,
            keys[0],
            t.content_type(),
            size,
            state.clock.now_db()
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
    .await;
    if outcome.is_err() {
        forget(storage, &keys).await;
    }
    outcome
}

pub async fn remove_certificate(state: &AppState, user: &SessionUser, id: Uuid) -> Result<(), Failure> {
    let mut tx = state.pool.begin().await?;
    crate::server::wizard::check_editable(&mut tx, user.id, wizard::EXPERIENCE).await?;
    let key = sqlx::query_scalar!(
        "DELETE FROM practitioner_uploads WHERE id = $1 AND user_id = $2 AND kind = 'certificate' RETURNING storage_key",
        id,
        user.id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    forget(&state.config.storage, &[key]).await;
    Ok(())
}

/// Which stored file of an upload to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Original,
    Thumbnail,
}

/// A stored file as it may be sent to `viewer`.
pub struct File {
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
    /// Certificates are private and always downloaded, never shown inline.
    pub private: bool,
}

/// Reads upload `id` for `viewer`. Certificates reach only their owner and admins; a
/// photo is public once its profile is live, until then the same. Anyone else gets
/// `NotFound`, exactly as for an id that does not exist.
pub async fn read(state: &AppState, viewer: Option<&SessionUser>, id: Uuid, variant: Variant) -> Result<File, Failure> {
    let row = sqlx::query!(
        "SELECT u.kind, u.user_id, u.storage_key, u.thumb_key, u.content_type, p.onboarding_state = 'approved' AS \"live!\"
         FROM practitioner_uploads u JOIN practitioner_profiles p ON p.user_id = u.user_id WHERE u.id = $1",
        id
    )
    .fetch_optional(&state.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    let privileged = viewer.is_some_and(|v| v.id == row.user_id || v.role == Role::Admin);
    let public = row.kind == "photo" && row.live;
    if !(privileged || public) {
        return Err(AppError::NotFound.into());
    }
    let key = match variant {
        Variant::Original => row.storage_key,
        Variant::Thumbnail => row.thumb_key.ok_or(AppError::NotFound)?,
    };
    let content_type = FileType::parse_content_type(&row.content_type)
        .ok_or_else(|| Failure::bug("a stored upload of unknown type"))?
        .content_type();
    let bytes = state.config.storage.get(&key).await?;
    Ok(File {
        content_type: if variant == Variant::Thumbnail { "image/jpeg" } else { content_type },
        bytes,
        private: row.kind == "certificate",
    })
}

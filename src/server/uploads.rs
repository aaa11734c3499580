//! A practitioner's uploads: the profile photo (re-encoded as JPEG without its metadata,
//! with a square thumbnail) and certificates (kept as sent, once their content has been
//! checked). Files go to storage under random names before the row naming them is
//! written; a refused or failed save removes what it stored, so nothing is half-kept.

use crate::domain::types::SessionUser;
use crate::domain::uploads::{self, FileType, Slot};
use crate::domain::{AppError, wizard};
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

/// How long an upload waits for a decoder before it is turned away.
pub const DECODE_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// Decoding a large photo takes a core and a hundred megabytes or more for a moment, so
/// at most one decode per core runs at once and the rest wait their turn (at most
/// `DECODE_WAIT`). The pool belongs to the process, as the cores and memory it guards
/// do: every app in one process shares it.
static DECODERS: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
    tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get))
});

/// Runs image work on the blocking pool once a decoder is free; a refusal of the image
/// comes back as the upload's field error, a wait past `DECODE_WAIT` as "try again".
async fn on_decoder<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, Failure> {
    let permit = tokio::time::timeout(DECODE_WAIT, DECODERS.acquire())
        .await
        .map_err(|_| {
            tracing::warn!("every image decoder stayed busy; an upload was turned away");
            AppError::RateLimited { retry_after_secs: 30 }
        })?
        .map_err(|_| Failure::bug("the image decoders were shut down"))?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        work()
    })
    .await?
    .map_err(refused)
}

/// Decodes an image within the pixel, side and memory limits, refusing anything that
/// does not decode; each refusal says what to do instead.
fn decode(bytes: &[u8], t: FileType) -> Result<image::DynamicImage, String> {
    let format = match t {
        FileType::Jpeg => image::ImageFormat::Jpeg,
        FileType::Png => image::ImageFormat::Png,
        FileType::WebP => image::ImageFormat::WebP,
        FileType::Pdf => return Err("not an image".into()),
    };
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(uploads::MAX_SIDE);
    limits.max_image_height = Some(uploads::MAX_SIDE);
    limits.max_alloc = Some(uploads::MAX_DECODE_BYTES);
    let reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), format);
    let (w, h) = reader.into_dimensions().map_err(|_| damaged())?;
    if u64::from(w) * u64::from(h) > uploads::MAX_PIXELS {
        return Err(format!("The image is {w}×{h} pixels; the limit is 40 megapixels. Choose a smaller image."));
    }
    if w.max(h) > uploads::MAX_SIDE {
        return Err(format!(
            "The image is {w}×{h} pixels; no side may be longer than {} pixels. Choose a smaller image.",
            uploads::MAX_SIDE
        ));
    }
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), format);
    reader.limits(limits);
    reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => format!(
            "The image is {w}×{h} pixels but stored in a form that needs more than {} MB to open. \
             Save it as an ordinary 8-bit JPEG or PNG and upload that.",
            uploads::MAX_DECODE_BYTES / 1_000_000
        ),
        _ => damaged(),
    })
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

/// Fits `img` within `side`×`side`. A large reduction averages each block of pixels
/// (`thumbnail`), which reads the picture once and allocates only the result; a small
/// one uses Lanczos, whose working buffers are then small too.
fn shrink(img: &image::DynamicImage, side: u32) -> image::DynamicImage {
    if img.width().max(img.height()) >= 2 * side {
        img.thumbnail(side, side)
    } else {
        img.resize(side, side, image::imageops::FilterType::Lanczos3)
    }
}

/// The photo as it is kept (at most 1600 px on its longest side) and its 256 px square
/// thumbnail, both fresh JPEGs: nothing of the original file (metadata, location,
/// embedded data) survives. The decoded original is dropped as soon as it is shrunk.
pub fn process_photo(bytes: &[u8], t: FileType) -> Result<(Vec<u8>, Vec<u8>), String> {
    let side = uploads::PHOTO_MAX_SIDE;
    let photo = match decode(bytes, t)? {
        big if big.width() > side || big.height() > side => shrink(&big, side),
        fits => fits,
    };
    let thumb = photo.resize_to_fill(uploads::THUMB_SIDE, uploads::THUMB_SIDE, image::imageops::FilterType::Triangle);
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
    let (photo, thumb) = on_decoder(move || process_photo(&bytes, t)).await?;
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
    let bytes = if t.is_image() { on_decoder(move || decode(&bytes, t).map(|_| bytes)).await? } else { bytes };
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
    let privileged = crate::domain::access::owner_or_admin(viewer, row.user_id).is_ok();
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let body = [kind.as_slice(), data].concat();
        [&(data.len() as u32).to_be_bytes()[..], &body[..], &crc32(&body).to_be_bytes()[..]].concat()
    }

    /// A small PNG file that claims a `w`×`h` picture of `depth`-bit channels of
    /// `colour` type: a few dozen bytes, whatever it would take to decode.
    fn claimed_png(w: u32, h: u32, depth: u8, colour: u8) -> Vec<u8> {
        let ihdr = [&w.to_be_bytes()[..], &h.to_be_bytes()[..], &[depth, colour, 0, 0, 0][..]].concat();
        let empty_zlib = [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01];
        [
            &b"\x89PNG\r\n\x1a\n"[..],
            &chunk(b"IHDR", &ihdr)[..],
            &chunk(b"IDAT", &empty_zlib)[..],
            &chunk(b"IEND", &[])[..],
        ]
        .concat()
    }

    fn refusal(bytes: &[u8]) -> (String, Duration) {
        let started = Instant::now();
        let e = process_photo(bytes, FileType::Png).expect_err("refused");
        (e, started.elapsed())
    }

    #[test]
    fn a_decompression_bomb_is_refused_in_milliseconds_by_its_pixel_count() {
        let (e, took) = refusal(&claimed_png(20_000, 20_000, 8, 2));
        assert!(e.contains("20000×20000") && e.contains("40 megapixels"), "{e}");
        assert!(took < Duration::from_millis(50), "{took:?}");
    }

    #[test]
    fn a_picture_with_a_side_over_the_limit_is_refused_however_few_its_pixels() {
        let (e, _) = refusal(&claimed_png(30_000, 100, 8, 2));
        assert!(e.contains("30000×100") && e.contains("12000 pixels"), "{e}");
    }

    #[test]
    fn a_picture_that_needs_more_memory_than_the_limit_is_refused_before_it_is_decoded() {
        // 21 megapixels, within the pixel limit, but 16-bit RGBA: 168 MB to decode.
        let (e, took) = refusal(&claimed_png(5_000, 4_200, 16, 6));
        assert!(e.contains("needs more than 160 MB") && e.contains("8-bit"), "{e}");
        assert!(took < Duration::from_millis(50), "{took:?}");
    }

    #[test]
    fn a_large_photo_is_kept_at_1600_pixels_with_a_square_thumbnail() {
        let img = image::RgbImage::from_fn(4000, 3000, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
        let mut png = std::io::Cursor::new(Vec::new());
        img.write_to(&mut png, image::ImageFormat::Png).unwrap();
        let (photo, thumb) = process_photo(png.get_ref(), FileType::Png).unwrap();
        let size = |b: &[u8]| {
            let i = image::load_from_memory_with_format(b, image::ImageFormat::Jpeg).unwrap();
            (i.width(), i.height())
        };
        assert_eq!(size(&photo), (1600, 1200));
        assert_eq!(size(&thumb), (256, 256));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn no_more_images_are_decoded_at_once_than_there_are_decoders() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let jobs = (0..12).map(|_| {
            let (running, most) = (running.clone(), most.clone());
            on_decoder(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(30));
                running.fetch_sub(1, Ordering::SeqCst);
                Ok(())
            })
        });
        for outcome in futures_util::future::join_all(jobs).await {
            assert!(outcome.is_ok());
        }
        let decoders = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        assert!(most.load(Ordering::SeqCst) <= decoders, "{} at once", most.load(Ordering::SeqCst));
        assert!(most.load(Ordering::SeqCst) >= 1);
    }
}

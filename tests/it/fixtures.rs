//! What tests make and read back over and over: a paid credit-pack order, PNG images to
//! upload, and the emails waiting in the outbox.

use crate::helpers::*;
use crate::orders::{buy, package, settle, status};
use attune::domain::Role;

/// A customer's paid order of the 10 + 2 credit pack at €49.00.
pub struct PaidOrder {
    /// The order's number.
    pub number: String,
    /// The sandbox checkout session it was paid through.
    pub session: String,
    /// The customer who bought it.
    pub customer: TestUser,
}

/// A new customer buys the shop's one pack of 10 credits + 2 bonus at €49.00 and pays
/// for it in the sandbox; the order is paid when this returns.
pub async fn paid_order(app: &TestApp) -> PaidOrder {
    let pack = package(app, &[]).await;
    let (mut b, customer) = app.browser_as(Role::Customer).await;
    let (number, session) = buy(&mut b, &pack).await;
    settle(&mut b, &session, "approve").await;
    app.run_jobs().await;
    assert_eq!(status(app, &number).await, "paid");
    PaidOrder { number, session, customer }
}

/// `img` encoded as a PNG file.
pub fn encode_png(img: image::RgbImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A `w` × `h` PNG of smooth colour gradients, which compresses well.
pub fn png(w: u32, h: u32) -> Vec<u8> {
    encode_png(image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    }))
}

/// How many `template` emails were queued for the address `to`.
pub async fn emails_to(app: &TestApp, to: &str, template: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM email_outbox WHERE to_address = $1 AND template = $2")
        .bind(to)
        .bind(template)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// The templates of the emails queued for the address `to`, oldest first.
pub async fn templates_sent_to(app: &TestApp, to: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT template FROM email_outbox WHERE to_address = $1 ORDER BY id")
        .bind(to)
        .fetch_all(&app.pool)
        .await
        .unwrap()
}

/// The addresses `template` emails were queued for, oldest first, one per email.
pub async fn recipients_of(app: &TestApp, template: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT to_address FROM email_outbox WHERE template = $1 ORDER BY id")
        .bind(template)
        .fetch_all(&app.pool)
        .await
        .unwrap()
}

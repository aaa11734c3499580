//! Uploads through S3-compatible storage, against a real S3 API (moto's server, which
//! scripts/test installs): the same wizard uploads as on local disk, the files in the
//! bucket under random names, served back, and a refused upload leaving the bucket empty.

use crate::fixtures::png;
use crate::helpers::*;
use attune::domain::Role;
use attune::server::storage::Storage;
use reqwest::StatusCode;
use std::process::{Command, Stdio};
use std::time::Duration;

/// A moto S3 server of this test's own, stopped when dropped.
struct Moto {
    endpoint: String,
    _server: Process,
}

impl Moto {
    async fn start() -> Moto {
        let bin = std::env::var("MOTO_SERVER").expect("MOTO_SERVER names moto's server; scripts/test sets it up");
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let server = Process::spawn(
            Command::new(bin)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        );
        let moto = Moto { endpoint: format!("http://127.0.0.1:{port}"), _server: server };
        let client = reqwest::Client::new();
        for _ in 0..400 {
            if client.get(format!("{}/", moto.endpoint)).send().await.is_ok() {
                return moto;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("moto did not start listening on {port}");
    }

    /// Creates `bucket` (moto accepts unsigned requests).
    async fn bucket(&self, bucket: &str) {
        let res = reqwest::Client::new().put(format!("{}/{bucket}", self.endpoint)).send().await.unwrap();
        assert!(res.status().is_success(), "creating the bucket: {}", res.status());
    }
}

fn file(bytes: Vec<u8>, name: &str, mime: &str) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()).mime_str(mime).unwrap())
}

#[tokio::test]
async fn photos_and_certificates_live_in_an_s3_bucket_and_a_refused_upload_leaves_it_empty() {
    let moto = Moto::start().await;
    moto.bucket("attune-uploads").await;
    let endpoint = moto.endpoint.clone();
    let app = spawn_app_with(move |c| {
        c.storage = Storage::s3("s3://attune-uploads/test", Some(&endpoint), Some(("testing", "testing"))).unwrap();
    })
    .await;
    let storage = app.state.config.storage.clone();
    let (mut b, user) = app.browser_as(Role::Practitioner).await;
    let basic = [
        ("first_name", "Asha"),
        ("last_name", "Rao"),
        ("email", user.email.as_str()),
        ("phone", "+919876543210"),
        ("location", "Pune, India"),
        ("time_zone", "Asia/Kolkata"),
    ];
    assert_eq!(b.call("onboarding/basic", &basic).await.status(), StatusCode::OK);

    let refused = b.upload("/onboarding/photo", file(b"MZ\x90\0\x03\0\0\0".to_vec(), "me.jpg", "image/jpeg")).await;
    assert!(refused.status().is_redirection());
    assert!(refused.headers()["location"].to_str().unwrap().contains("upload_error="));
    assert!(
        storage.list("photos").await.unwrap().is_empty() && storage.list("thumbs").await.unwrap().is_empty(),
        "nothing stored"
    );

    let saved = b.upload("/onboarding/photo", file(png(800, 600), "me.png", "image/png")).await;
    assert_eq!(saved.headers()["location"], "/onboarding/2?uploaded=1");
    let photos = storage.list("photos").await.unwrap();
    let thumbs = storage.list("thumbs").await.unwrap();
    assert_eq!((photos.len(), thumbs.len()), (1, 1), "{photos:?} {thumbs:?}");
    assert!(photos[0].ends_with(".jpg") && !photos[0].contains("me"), "a random name: {}", photos[0]);
    let thumb = image::load_from_memory(&storage.get(&thumbs[0]).await.unwrap()).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (256, 256));

    // Served back from the bucket to its owner.
    let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM practitioner_uploads WHERE kind = 'photo'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let res = b.get(&format!("/media/{id}/thumb.jpg")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    let served = res.bytes().await.unwrap();
    assert_eq!(served.as_ref(), storage.get(&thumbs[0]).await.unwrap().as_slice());

    // A replacement removes the old files from the bucket.
    b.upload("/onboarding/photo", file(png(300, 300), "again.png", "image/png")).await;
    let now = storage.list("photos").await.unwrap();
    assert_eq!(now.len(), 1);
    assert_ne!(now, photos, "the old photo is gone from the bucket");
}

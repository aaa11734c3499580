//! The onboarding wizard end to end: a lead signs in by phone and finds the call
//! centre's values to confirm or change, steps are done in order, uploads are judged by
//! their content (and refused ones store nothing), a complete profile goes through
//! review to a public address, every practice server function stays shut until then,
//! and a second device picks up where the first left off.

use crate::fixtures::{encode_png, png, recipients_of};
use crate::helpers::*;
use attune::domain::Role;
use attune::domain::uploads::{CERTIFICATE_PATH, PHOTO_PATH};
use reqwest::multipart::{Form, Part};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;
use uuid::Uuid;

const ASHA_PHONE: &str = "+919876543210";
const ASHA_EMAIL: &str = "asha@example.com";
const LEAD: &[u8] =
    b"phone,name,email,practice type,location\n+91 98765 43210,Asha Rao,asha@example.com,Astrology,\"Pune, India\"\n";
/// Every call-centre value of step 1 ticked as correct.
const TICKS: [(&str, &str); 4] =
    [("confirm_first_name", "on"), ("confirm_last_name", "on"), ("confirm_email", "on"), ("confirm_location", "on")];
const PROFESSIONAL: [(&str, &str); 4] = [
    ("practice_type", "Astrology"),
    ("specialties", "Vedic astrology, Tarot"),
    ("languages", "English, Hindi"),
    ("years_experience", "12"),
];
const HEADLINE: &str = "Vedic astrologer in Pune with twelve years of practice";
const BIO: &str = "I have read charts in Pune for twelve years, for families, students and professionals. \
                   Sessions are calm, practical and focused on the choices in front of you.";
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
const REJECTION: &str = "Please use a clearer photo of your face.";

async fn import_asha(app: &TestApp) {
    attune::server::leads::import(&app.state, None, "calls.csv", LEAD, None).await.unwrap();
}

/// Signs a new browser in with the code texted to `phone`; returns it with the account's id.
async fn sign_in_by_phone<'a>(app: &'a TestApp, phone: &str) -> (Browser<'a>, Uuid) {
    let mut b = Browser::new(app);
    let res = b.call("auth/phone/code", &[("phone", phone)]).await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    let code = crate::phone::last_code(app, phone).await;
    let res = b.call("auth/phone/verify", &[("phone", phone), ("code", &code)]).await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    assert_eq!(res.headers()["location"], "/practitioner");
    let id: Uuid = sqlx::query_scalar("SELECT id FROM users WHERE phone = $1 AND role = 'practitioner'")
        .bind(phone)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    (b, id)
}

/// Step 1 as Asha would type it.
fn basic_fields<'a>(email: &'a str, phone: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("first_name", "Asha"),
        ("last_name", "Rao"),
        ("email", email),
        ("phone", phone),
        ("location", "Pune, India"),
        ("time_zone", "Asia/Kolkata"),
    ]
}

/// `fields` with some values replaced or added.
fn with<'a>(mut fields: Vec<(&'a str, &'a str)>, changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    for &(k, v) in changes {
        match fields.iter_mut().find(|f| f.0 == k) {
            Some(f) => f.1 = v,
            None => fields.push((k, v)),
        }
    }
    fields
}

/// A server function answered 200; returns where it sent the browser.
async fn ok(res: Response) -> String {
    let status = res.status();
    let location = res.headers().get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
    let body = res.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    location
}

async fn view(b: &mut Browser<'_>) -> Value {
    let res = b.call("onboarding/view", &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

/// (onboarding_state, step_reached, confirmed_prefill)
async fn progress(app: &TestApp, id: Uuid) -> (String, i16, Vec<String>) {
    sqlx::query_as(
        "SELECT onboarding_state, step_reached, confirmed_prefill FROM practitioner_profiles WHERE user_id = $1",
    )
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

/// (field, value, confirmed) of each call-centre value the wizard shows.
fn prefill_of(v: &Value) -> Vec<(String, String, bool)> {
    v["prefill"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            assert!(p["imported_at"].is_string(), "{p}");
            (
                p["field"].as_str().unwrap().to_owned(),
                p["value"].as_str().unwrap().to_owned(),
                p["confirmed"].as_bool().unwrap(),
            )
        })
        .collect()
}

/// Random pixels, which PNG cannot compress: about 3 bytes a pixel.
fn noisy_png(w: u32, h: u32) -> Vec<u8> {
    let mut s: u32 = 0x9E37_79B9;
    encode_png(image::RgbImage::from_fn(w, h, |_, _| {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        let [r, g, b, _] = s.to_le_bytes();
        image::Rgb([r, g, b])
    }))
}

/// The size of a JPEG, checking it is one.
fn jpeg_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(image::guess_format(bytes).unwrap(), image::ImageFormat::Jpeg);
    let img = image::load_from_memory_with_format(bytes, image::ImageFormat::Jpeg).unwrap();
    (img.width(), img.height())
}

fn file(name: &str, bytes: Vec<u8>, mime: &str) -> Part {
    Part::bytes(bytes).file_name(name.to_owned()).mime_str(mime).unwrap()
}

/// Uploads answer with a redirect back to the step; returns where to.
async fn sent_back(res: Response) -> String {
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{:?}", res.text().await);
    res.headers()["location"].to_str().unwrap().to_owned()
}

async fn upload_photo(b: &Browser<'_>, name: &str, bytes: Vec<u8>, mime: &str) -> String {
    sent_back(b.upload(PHOTO_PATH, Form::new().part("file", file(name, bytes, mime))).await).await
}

async fn upload_certificate(b: &Browser<'_>, title: &str, name: &str, bytes: Vec<u8>, mime: &str) -> String {
    sent_back(
        b.upload(CERTIFICATE_PATH, Form::new().text("title", title.to_owned()).part("file", file(name, bytes, mime)))
            .await,
    )
    .await
}

/// The refusal carried by an upload's redirect back to `step`.
fn upload_error(location: &str, step: i16) -> String {
    let raw = location
        .strip_prefix(&format!("/onboarding/{step}?upload_error="))
        .unwrap_or_else(|| panic!("not a refusal for step {step}: {location}"));
    url::form_urlencoded::parse(format!("m={raw}").as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap()
}

async fn stored(app: &TestApp, folder: &str) -> Vec<String> {
    app.state.config.storage.list(folder).await.unwrap()
}

/// (id, storage_key, thumb_key) of the practitioner's photo rows.
async fn photos(app: &TestApp, id: Uuid) -> Vec<(Uuid, String, Option<String>)> {
    sqlx::query_as("SELECT id, storage_key, thumb_key FROM practitioner_uploads WHERE user_id = $1 AND kind = 'photo'")
        .bind(id)
        .fetch_all(&app.pool)
        .await
        .unwrap()
}

async fn media(b: &Browser<'_>, id: Uuid, name: &str) -> Response {
    b.get(&format!("/media/{id}/{name}")).await
}

/// A page as a browser navigating to it asks for it (HTML, so a server-side redirect is
/// a real 302), without following redirects.
async fn page(b: &Browser<'_>, path: &str) -> Response {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut req = client.get(format!("{}{path}", b.app.base)).header("accept", "text/html");
    if let Some(c) = &b.cookie {
        req = req.header("cookie", c);
    }
    req.send().await.unwrap()
}

/// A password-login practitioner past step 1.
async fn practitioner_at_step_two<'a>(app: &'a TestApp, phone: &str) -> (Browser<'a>, TestUser) {
    let (mut b, user) = app.browser_as(Role::Practitioner).await;
    assert_eq!(ok(b.call("onboarding/basic", &basic_fields(&user.email, phone)).await).await, "/onboarding/2");
    (b, user)
}

/// Asha confirms step 1 and uploads a photo for step 2.
async fn steps_one_and_two(b: &mut Browser<'_>) {
    ok(b.call("onboarding/basic", &with(basic_fields(ASHA_EMAIL, ASHA_PHONE), &TICKS)).await).await;
    assert_eq!(upload_photo(b, "me.png", png(640, 480), "image/png").await, "/onboarding/2?uploaded=1");
    assert_eq!(ok(b.call("onboarding/complete", &[("step", "2")]).await).await, "/onboarding/3");
}

#[tokio::test]
async fn a_lead_signed_in_by_phone_sees_the_call_centres_values_and_must_tick_or_change_each_before_it_is_used() {
    let app = spawn_app().await;
    import_asha(&app).await;
    let (mut b, id) = sign_in_by_phone(&app, ASHA_PHONE).await;
    let v = view(&mut b).await;
    assert_eq!((v["state"].as_str(), v["step_reached"].as_i64()), (Some("draft"), Some(1)));
    let basic = &v["basic"];
    assert_eq!(
        [&basic["first_name"], &basic["last_name"], &basic["email"], &basic["phone"], &basic["location"]],
        [&json!("Asha"), &json!("Rao"), &json!(ASHA_EMAIL), &json!(ASHA_PHONE), &json!("Pune, India")]
    );
    assert_eq!(v["professional"]["practice_type"], "Astrology");
    assert_eq!(v["phone_verified"], true);
    let expected: Vec<(String, String, bool)> = [
        ("first_name", "Asha"),
        ("last_name", "Rao"),
        ("email", ASHA_EMAIL),
        ("location", "Pune, India"),
        ("practice_type", "Astrology"),
    ]
    .iter()
    .map(|(field, value)| ((*field).to_owned(), (*value).to_owned(), false))
    .collect();
    assert_eq!(prefill_of(&v), expected, "shown as the call centre's, none confirmed");

    // Submitted untouched and unticked: refused, and nothing is written.
    let user_before: (String, String) =
        sqlx::query_as("SELECT name, time_zone FROM users WHERE id = $1").bind(id).fetch_one(&app.pool).await.unwrap();
    let (status, body) = error_of(b.call("onboarding/basic", &basic_fields(ASHA_EMAIL, ASHA_PHONE)).await).await;
    assert_eq!(
        (status, body["Invalid"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("first_name")),
        "{body}"
    );
    assert!(body["Invalid"]["message"].as_str().unwrap().contains("call centre"), "{body}");
    let ticked_names = with(basic_fields(ASHA_EMAIL, ASHA_PHONE), &TICKS[..2]);
    let (_, body) = error_of(b.call("onboarding/basic", &ticked_names).await).await;
    assert_eq!(body["Invalid"]["field"], "email", "the next unticked value is named: {body}");
    let user_after: (String, String) =
        sqlx::query_as("SELECT name, time_zone FROM users WHERE id = $1").bind(id).fetch_one(&app.pool).await.unwrap();
    assert_eq!(user_after, user_before);
    assert_eq!(progress(&app, id).await, ("draft".to_owned(), 1, vec![]));
    let saved: Option<String> = sqlx::query_scalar("SELECT first_name FROM practitioner_profiles WHERE user_id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(saved, None);

    // Names and email ticked, the location changed: a changed value is theirs, no tick needed.
    let mut changes = TICKS[..3].to_vec();
    changes.push(("location", "Mumbai, India"));
    let changed = with(basic_fields(ASHA_EMAIL, ASHA_PHONE), &changes);
    assert_eq!(ok(b.call("onboarding/basic", &changed).await).await, "/onboarding/2");
    assert_eq!(
        progress(&app, id).await,
        ("draft".to_owned(), 2, vec!["email".to_owned(), "first_name".to_owned(), "last_name".to_owned()])
    );
    let (name, zone, verified): (String, String, bool) =
        sqlx::query_as("SELECT name, time_zone, phone_verified_at IS NOT NULL FROM users WHERE id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        (name.as_str(), zone.as_str(), verified),
        ("Asha Rao", "Asia/Kolkata", true),
        "the same number stays verified"
    );
    let v = view(&mut b).await;
    assert_eq!(v["basic"]["location"], "Mumbai, India");
    let location = prefill_of(&v).into_iter().find(|p| p.0 == "location").unwrap();
    assert_eq!(
        location,
        ("location".to_owned(), "Pune, India".to_owned(), false),
        "still the call centre's, unconfirmed"
    );

    // Back to the call centre's location, ticked this time; from then on no tick is needed.
    assert_eq!(
        ok(b.call("onboarding/basic", &with(basic_fields(ASHA_EMAIL, ASHA_PHONE), &TICKS)).await).await,
        "/onboarding/2"
    );
    let all = ["email", "first_name", "last_name", "location"].map(str::to_owned).to_vec();
    assert_eq!(
        progress(&app, id).await,
        ("draft".to_owned(), 2, all),
        "an earlier step saved again keeps the progress"
    );
    ok(b.call("onboarding/basic", &basic_fields(ASHA_EMAIL, ASHA_PHONE)).await).await;
    let v = view(&mut b).await;
    assert!(prefill_of(&v).iter().filter(|p| p.0 != "practice_type").all(|p| p.2), "{:?}", prefill_of(&v));
    assert_eq!(v["basic"]["location"], "Pune, India");
}

#[tokio::test]
async fn steps_are_done_in_order_and_a_step_out_of_order_writes_nothing() {
    let app = spawn_app().await;
    let (mut b, user) = practitioner_at_step_two(&app, "+447700900101").await;
    let bio = [("headline", HEADLINE), ("bio", BIO)];
    let (status, body) = error_of(b.call("onboarding/bio", &bio).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body, json!({"Invalid": {"field": "step", "message": "Complete step 2 first."}}));
    let (_, body) = error_of(b.call("onboarding/professional", &PROFESSIONAL).await).await;
    assert_eq!(body["Invalid"]["message"], "Complete step 2 first.");
    let (headline, practice): (Option<String>, Option<String>) =
        sqlx::query_as("SELECT headline, practice_type FROM practitioner_profiles WHERE user_id = $1")
            .bind(user.id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((headline, practice), (None, None));

    // The photo step completes only with a photo; form steps only by saving their form.
    let (_, body) = error_of(b.call("onboarding/complete", &[("step", "2")]).await).await;
    assert_eq!(body, json!({"Invalid": {"field": "photo", "message": "Upload a photo of yourself first."}}));
    let (_, body) = error_of(b.call("onboarding/complete", &[("step", "3")]).await).await;
    assert_eq!(body["Invalid"]["field"], "step", "{body}");
    let (_, body) = error_of(b.call("onboarding/submit", &[]).await).await;
    assert_eq!(body["Invalid"]["message"], "Complete step 2 first.");
    assert_eq!(progress(&app, user.id).await.0.as_str(), "draft");
    assert_eq!(progress(&app, user.id).await.1, 2);
    assert!(recipients_of(&app, "onboarding_submitted").await.is_empty());
}

#[tokio::test]
async fn a_photo_is_kept_as_a_fresh_jpeg_with_a_square_thumbnail_and_a_new_one_replaces_it() {
    let app = spawn_app().await;
    let (mut b, user) = practitioner_at_step_two(&app, "+447700900102").await;
    assert_eq!(upload_photo(&b, "me.png", png(640, 480), "image/png").await, "/onboarding/2?uploaded=1");
    let rows = photos(&app, user.id).await;
    assert_eq!(rows.len(), 1);
    let (first, key, thumb) = rows[0].clone();
    assert_eq!(stored(&app, "photos").await, std::slice::from_ref(&key));
    assert_eq!(stored(&app, "thumbs").await, [thumb.clone().expect("a photo has a thumbnail")]);
    let (content_type, size): (String, i64) =
        sqlx::query_as("SELECT content_type, size_bytes FROM practitioner_uploads WHERE id = $1")
            .bind(first)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(content_type, "image/jpeg");

    let res = media(&b, first, "photo.jpg").await;
    assert_eq!(res.status(), StatusCode::OK, "its owner sees it before approval");
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    let bytes = res.bytes().await.unwrap();
    assert_eq!(bytes.len() as i64, size);
    assert_eq!(jpeg_size(&bytes), (640, 480), "re-encoded as JPEG at its own size");
    let res = media(&b, first, "thumb.jpg").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(jpeg_size(&res.bytes().await.unwrap()), (256, 256));
    let on_disk = app.state.config.storage.get(thumb.as_ref().unwrap()).await.unwrap();
    assert_eq!(jpeg_size(&on_disk), (256, 256));
    assert_eq!(view(&mut b).await["photo"]["id"], first.to_string());

    // A second photo replaces the first: one row, one file of each, the old ones gone.
    assert_eq!(upload_photo(&b, "wide.png", png(1700, 100), "image/png").await, "/onboarding/2?uploaded=1");
    let rows = photos(&app, user.id).await;
    assert_eq!(rows.len(), 1);
    let (second, new_key, new_thumb) = rows[0].clone();
    assert_ne!(second, first);
    assert_eq!(stored(&app, "photos").await, [new_key]);
    assert_eq!(stored(&app, "thumbs").await, [new_thumb.unwrap()]);
    assert_eq!(media(&b, first, "photo.jpg").await.status(), StatusCode::NOT_FOUND);
    let (w, h) = jpeg_size(&media(&b, second, "photo.jpg").await.bytes().await.unwrap());
    assert!(w == 1600 && h < 100, "at most 1600 px on the longest side: {w}x{h}");

    // A photo between 2 and 5 MB is within the limit too.
    let large = noisy_png(1000, 1000);
    assert!(large.len() > 2 * 1024 * 1024 && large.len() < 5 * 1024 * 1024, "{} bytes", large.len());
    assert_eq!(upload_photo(&b, "large.png", large, "image/png").await, "/onboarding/2?uploaded=1");
    assert_eq!(photos(&app, user.id).await.len(), 1);
    assert_eq!(stored(&app, "photos").await.len(), 1);

    assert_eq!(ok(b.call("onboarding/complete", &[("step", "2")]).await).await, "/onboarding/3");
    assert_eq!(progress(&app, user.id).await.1, 3);
}

#[tokio::test]
async fn uploads_that_are_not_what_they_claim_too_big_badly_named_or_cut_off_are_refused_and_store_nothing() {
    let app = spawn_app().await;
    let (b, user) = practitioner_at_step_two(&app, "+447700900103").await;
    let real = png(640, 480);
    let small = png(32, 32);
    // Signature and header, 5 MB of padding, then the real end: only the size is wrong.
    let oversize = [&small[..33], &vec![0u8; 5 * 1024 * 1024], &small[33..]].concat();
    let mut exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00".to_vec();
    exe.resize(4096, 0);
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(document.cookie)</script></svg>".to_vec();
    let cases: Vec<(&str, &str, Vec<u8>, &str, &str)> = vec![
        ("a Windows executable called me.jpg", "me.jpg", exe, "image/jpeg", "not a JPEG, PNG or WebP image"),
        ("an SVG with a script", "me.svg", svg.clone(), "image/svg+xml", "not a JPEG, PNG or WebP image"),
        ("an SVG called me.png", "me.png", svg.clone(), "image/png", "not a JPEG, PNG or WebP image"),
        ("a PDF", "me.pdf", PDF.to_vec(), "application/pdf", "not a JPEG, PNG or WebP image"),
        ("over 5 MB", "big.png", oversize, "image/png", "the limit is 5 MB"),
        ("a name with folders", "../../etc/passwd.png", small.clone(), "image/png", "without folders"),
        ("a Windows path", "C:\\Users\\asha\\me.png", small.clone(), "image/png", "without folders"),
        ("a truncated PNG", "cut.png", real[..real.len() / 2].to_vec(), "image/png", "damaged or incomplete"),
        ("an empty file", "empty.png", Vec::new(), "image/png", "Choose a file to upload."),
    ];
    for (what, name, bytes, mime, expected) in cases {
        let to = upload_photo(&b, name, bytes, mime).await;
        let message = upload_error(&to, 2);
        assert!(message.contains(expected), "{what}: {message}");
    }
    // Certificates take PDFs, JPEGs and PNGs, and only once step 5 is open.
    let to = upload_certificate(&b, "Yoga Alliance RYT 200", "ryt.svg", svg, "image/svg+xml").await;
    assert!(upload_error(&to, 5).contains("not a PDF, JPEG or PNG file"), "{to}");
    let to = upload_certificate(&b, "Yoga Alliance RYT 200", "ryt.pdf", PDF.to_vec(), "application/pdf").await;
    assert_eq!(upload_error(&to, 5), "Complete step 2 first.");
    let to = upload_certificate(&b, "x", "ryt.pdf", PDF.to_vec(), "application/pdf").await;
    assert!(upload_error(&to, 5).contains("Name the certificate"), "{to}");

    assert_eq!(count(&app.pool, "practitioner_uploads").await, 0);
    for folder in ["photos", "thumbs", "certificates"] {
        assert_eq!(stored(&app, folder).await, Vec::<String>::new(), "{folder}");
    }
    assert_eq!(progress(&app, user.id).await.1, 2);

    // Only practitioners upload; visitors are sent to log in.
    let (customer, _) = app.browser_as(Role::Customer).await;
    let res = customer.upload(PHOTO_PATH, Form::new().part("file", file("me.png", png(64, 64), "image/png"))).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let anonymous = Browser::new(&app);
    let to = upload_photo(&anonymous, "me.png", png(64, 64), "image/png").await;
    assert_eq!(to, "/login?next=/onboarding/2");
    assert_eq!(count(&app.pool, "practitioner_uploads").await, 0);
    assert!(stored(&app, "photos").await.is_empty());
}

#[tokio::test]
async fn a_complete_profile_is_rejected_with_a_reason_fixed_resubmitted_and_approved_at_its_public_address() {
    let app = spawn_app().await;
    import_asha(&app).await;
    let (mut asha, id) = sign_in_by_phone(&app, ASHA_PHONE).await;
    steps_one_and_two(&mut asha).await;
    let (_, body) = error_of(asha.call("onboarding/professional", &PROFESSIONAL).await).await;
    assert_eq!(body["Invalid"]["field"], "practice_type", "the call centre's practice must be ticked too: {body}");
    let professional = with(PROFESSIONAL.to_vec(), &[("confirm_practice_type", "on")]);
    assert_eq!(ok(asha.call("onboarding/professional", &professional).await).await, "/onboarding/4");
    assert_eq!(ok(asha.call("onboarding/bio", &[("headline", HEADLINE), ("bio", BIO)]).await).await, "/onboarding/5");
    let entry = [
        ("title", "Jyotish diploma"),
        ("organisation", "Bharatiya Vidya Bhavan"),
        ("start_year", "2010"),
        ("end_year", "2012"),
    ];
    ok(asha.call("onboarding/experience/add", &entry).await).await;
    let to = upload_certificate(&asha, "Yoga Alliance RYT 200", "ryt.pdf", PDF.to_vec(), "application/pdf").await;
    assert_eq!(to, "/onboarding/5?uploaded=1");
    assert_eq!(ok(asha.call("onboarding/complete", &[("step", "5")]).await).await, "/onboarding/review");
    let v = view(&mut asha).await;
    assert_eq!(v["step_reached"], 6);
    assert_eq!(v["professional"]["specialties"], "Vedic astrology, Tarot");
    assert_eq!(v["experience"][0]["entry"]["title"], "Jyotish diploma");
    assert_eq!(v["certificates"][0]["title"], "Yoga Alliance RYT 200");
    assert_eq!(v["certificates"][0]["content_type"], "application/pdf");
    let code = format!("U{}", v["code"].as_i64().unwrap());

    ok(asha.call("onboarding/submit", &[]).await).await;
    assert_eq!(progress(&app, id).await.0, "submitted");
    assert_eq!(recipients_of(&app, "onboarding_submitted").await, [ASHA_EMAIL]);
    let (_, body) = error_of(asha.call("onboarding/bio", &[("headline", HEADLINE), ("bio", BIO)]).await).await;
    assert!(body["Invalid"]["message"].as_str().unwrap().contains("waiting for review"), "{body}");

    // The certificate reaches its owner and admins, as a download; nobody else learns it exists.
    let certificate: Uuid = sqlx::query_scalar("SELECT id FROM practitioner_uploads WHERE kind = 'certificate'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let photo = photos(&app, id).await[0].0;
    let (mut admin, _) = app.browser_as(Role::Admin).await;
    for (who, b) in [("owner", &asha), ("admin", &admin)] {
        let res = media(b, certificate, "certificate").await;
        assert_eq!(res.status(), StatusCode::OK, "{who}");
        assert_eq!(res.headers()["x-content-type-options"], "nosniff");
        assert_eq!(res.headers()["content-type"], "application/pdf");
        assert!(res.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"), "{who}");
        assert_eq!(&res.bytes().await.unwrap()[..], PDF, "{who}: kept as sent");
    }
    let (other, _) = app.browser_as(Role::Practitioner).await;
    let (customer, _) = app.browser_as(Role::Customer).await;
    let anonymous = Browser::new(&app);
    for (who, b) in [("another practitioner", &other), ("a customer", &customer), ("a visitor", &anonymous)] {
        assert_eq!(media(b, certificate, "certificate").await.status(), StatusCode::NOT_FOUND, "{who}");
        assert_eq!(media(b, photo, "photo.jpg").await.status(), StatusCode::NOT_FOUND, "{who}: not live yet");
    }
    assert_eq!(
        media(&asha, photo, "certificate").await.status(),
        StatusCode::NOT_FOUND,
        "a photo is not a certificate"
    );

    // Review: a rejection needs a real reason, which the practitioner sees.
    let one: Value = admin.call("admin/practitioners/one", &[("code", code.as_str())]).await.json().await.unwrap();
    assert_eq!((one["state"].as_str(), one["certificates"].as_array().map(Vec::len)), (Some("submitted"), Some(1)));
    let (status, body) = error_of(
        admin
            .call(
                "admin/practitioners/review",
                &[("code", code.as_str()), ("decision", "reject"), ("reason", "Too short")],
            )
            .await,
    )
    .await;
    assert_eq!(
        (status, body["Invalid"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")),
        "{body}"
    );
    assert_eq!(progress(&app, id).await.0, "submitted");
    ok(admin
        .call("admin/practitioners/review", &[("code", code.as_str()), ("decision", "reject"), ("reason", REJECTION)])
        .await)
    .await;
    let note: Option<String> = sqlx::query_scalar("SELECT review_note FROM practitioner_profiles WHERE user_id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!((progress(&app, id).await.0.as_str(), note.as_deref()), ("rejected", Some(REJECTION)));
    assert_eq!(recipients_of(&app, "onboarding_rejected").await, [ASHA_EMAIL]);
    assert_eq!(view(&mut asha).await["review_note"], REJECTION);
    let res = page(&asha, "/onboarding/4").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains(REJECTION), "the wizard shows what to change");

    // Edited and sent again.
    assert_eq!(upload_photo(&asha, "clearer.png", png(480, 480), "image/png").await, "/onboarding/2?uploaded=1");
    ok(asha.call("onboarding/bio", &[("headline", HEADLINE), ("bio", BIO)]).await).await;
    ok(asha.call("onboarding/submit", &[]).await).await;
    let reason: String =
        sqlx::query_scalar("SELECT reason FROM onboarding_transitions WHERE user_id = $1 ORDER BY id DESC LIMIT 1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((progress(&app, id).await.0.as_str(), reason.as_str()), ("submitted", "Submitted again after changes"));
    assert_eq!(recipients_of(&app, "onboarding_submitted").await.len(), 2);

    ok(admin.call("admin/practitioners/review", &[("code", code.as_str()), ("decision", "approve")]).await).await;
    let (slug, note): (Option<String>, Option<String>) =
        sqlx::query_as("SELECT slug, review_note FROM practitioner_profiles WHERE user_id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((progress(&app, id).await.0.as_str(), slug.as_deref(), note), ("approved", Some("asha-rao"), None));
    assert_eq!(recipients_of(&app, "onboarding_approved").await, [ASHA_EMAIL]);
    let (_, body) = error_of(asha.call("onboarding/bio", &[("headline", HEADLINE), ("bio", BIO)]).await).await;
    assert!(body["Invalid"]["message"].as_str().unwrap().contains("onboarding is finished"), "{body}");

    // Live: the profile and the photo are public, the certificate is not.
    let photo = photos(&app, id).await[0].0;
    let mut visitor = Browser::new(&app);
    let res = visitor.call("catalog/practitioner", &[("slug", "asha-rao")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let profile: Value = res.json().await.unwrap();
    assert_eq!((profile["name"].as_str(), profile["headline"].as_str()), (Some("Asha Rao"), Some(HEADLINE)));
    assert_eq!(
        (profile["practice_type"].as_str(), profile["years_experience"].as_i64()),
        (Some("Astrology"), Some(12))
    );
    assert_eq!(profile["specialties"], json!(["Vedic astrology", "Tarot"]));
    assert_eq!(profile["photo"], photo.to_string());
    let (status, body) = error_of(visitor.call("catalog/practitioner", &[("slug", "nobody")]).await).await;
    assert_eq!((status, body), (StatusCode::NOT_FOUND, json!("NotFound")));
    let res = page(&visitor, "/p/asha-rao").await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(
        html.contains(HEADLINE) && html.contains("Asha Rao") && html.contains(&format!("/media/{photo}/photo.jpg")),
        "{html}"
    );
    let res = media(&visitor, photo, "photo.jpg").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    assert_eq!(media(&visitor, photo, "thumb.jpg").await.status(), StatusCode::OK);
    assert_eq!(media(&visitor, certificate, "certificate").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(asha.call("practitioner/overview", &[]).await.status(), StatusCode::OK);
}

/// A practitioner made live straight through the service layer.
async fn hit(b: &mut Browser<'_>, path: &str, method: &str) -> Response {
    if method == "GET" { b.get(path).await } else { b.call(path.strip_prefix("/api/").unwrap(), &[]).await }
}

#[tokio::test]
async fn every_practice_server_function_refuses_until_onboarding_is_approved() {
    let app = spawn_app().await;
    let paths: Vec<(&'static str, String)> = leptos::server_fn::axum::server_fn_paths()
        .filter(|(p, _)| p.starts_with("/api/practitioner/"))
        .map(|(p, m)| (p, m.as_str().to_owned()))
        .collect();
    assert!(paths.iter().any(|(p, _)| *p == "/api/practitioner/overview"), "enumerated: {paths:?}");

    let (mut draft, _) = app.browser_as(Role::Practitioner).await;
    let (mut customer, _) = app.browser_as(Role::Customer).await;
    let mut anonymous = Browser::new(&app);
    let live = approved_practitioner(&app).await;
    let mut approved = Browser::new(&app);
    assert_eq!(approved.log_in(&live.email, PASSWORD).await.status(), StatusCode::OK);
    for (path, method) in &paths {
        let (status, body) = error_of(hit(&mut draft, path, method).await).await;
        assert_eq!((status, body), (StatusCode::FORBIDDEN, json!("OnboardingIncomplete")), "draft: {path}");
        let (status, body) = error_of(hit(&mut customer, path, method).await).await;
        assert_eq!((status, body), (StatusCode::FORBIDDEN, json!("Forbidden")), "customer: {path}");
        let (status, body) = error_of(hit(&mut anonymous, path, method).await).await;
        assert_eq!((status, body), (StatusCode::UNAUTHORIZED, json!("Unauthenticated")), "visitor: {path}");
        let res = hit(&mut approved, path, method).await;
        assert_ne!(res.status(), StatusCode::FORBIDDEN, "approved: {path}: {:?}", res.text().await);
    }

    // The practice page sends a draft to the wizard and shows nothing of the practice.
    let res = page(&draft, "/practitioner").await;
    assert!(res.status().is_redirection(), "{}", res.status());
    assert_eq!(res.headers()["location"], "/onboarding");
    let body = res.text().await.unwrap();
    assert!(!body.contains("Welcome,") && !body.contains("Account number"), "{body}");
    let me = approved.me().await;
    let res = page(&approved, "/practitioner").await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    let public = format!("/p/live-{}", live.id.simple());
    assert!(
        html.contains("Welcome,") && html.contains(&format!("U{}", me["code"])) && html.contains(&public),
        "{html}"
    );
    assert_eq!(page(&customer, "/practitioner").await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_second_device_signed_in_to_the_same_account_resumes_at_the_first_incomplete_step() {
    let app = spawn_app().await;
    import_asha(&app).await;
    let (mut phone, id) = sign_in_by_phone(&app, ASHA_PHONE).await;
    steps_one_and_two(&mut phone).await;
    let photo = photos(&app, id).await[0].0;

    app.advance(Duration::from_secs(61));
    let (mut laptop, same) = sign_in_by_phone(&app, ASHA_PHONE).await;
    assert_eq!(same, id, "the same account");
    assert_ne!(laptop.cookie, phone.cookie, "a session of its own");
    let v = view(&mut laptop).await;
    assert_eq!(v["step_reached"], 3);
    let basic = &v["basic"];
    assert_eq!(
        [&basic["first_name"], &basic["last_name"], &basic["location"], &basic["time_zone"]],
        [&json!("Asha"), &json!("Rao"), &json!("Pune, India"), &json!("Asia/Kolkata")]
    );
    assert_eq!(v["photo"]["id"], photo.to_string());
    let confirmed: Vec<(String, bool)> = prefill_of(&v).into_iter().map(|(f, _, c)| (f, c)).collect();
    assert!(
        confirmed.contains(&("first_name".to_owned(), true))
            && confirmed.contains(&("practice_type".to_owned(), false)),
        "{confirmed:?}"
    );

    let res = page(&laptop, "/onboarding").await;
    if res.status().is_redirection() {
        assert_eq!(res.headers()["location"], "/onboarding/3");
    } else {
        assert_eq!(res.status(), StatusCode::OK);
        let html = res.text().await.unwrap();
        assert!(html.contains("Step 3: Professional details") && !html.contains("Step 1: Basic info"), "{html}");
        assert!(html.contains("2 of 5 steps complete"), "{html}");
    }
    let res = page(&laptop, "/onboarding/4").await;
    assert!(res.status().is_redirection(), "a step not yet open: {}", res.status());
    assert_eq!(res.headers()["location"], "/onboarding/3");
    let res = page(&laptop, "/onboarding/1").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("Step 1: Basic info"), "earlier steps stay open");

    // Either device carries on, and the other sees it.
    let professional = with(PROFESSIONAL.to_vec(), &[("confirm_practice_type", "on")]);
    assert_eq!(ok(laptop.call("onboarding/professional", &professional).await).await, "/onboarding/4");
    assert_eq!(view(&mut phone).await["step_reached"], 4);
}

/// This process's resident memory, in MB.
fn rss_mb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    kb / 1024
}

/// Measures the app's memory (it runs in this process) while eight practitioners upload
/// a 6000×6000 JPEG at once. Run alone, so no other test's memory counts:
/// `cargo test --features ssr --test it -- --ignored --test-threads=1 eight_concurrent`.
#[tokio::test]
#[ignore = "measures this process's memory: run alone"]
async fn eight_concurrent_large_photo_uploads_keep_memory_growth_under_600_mb() {
    let app = spawn_app().await;
    let img = image::RgbImage::from_fn(6000, 6000, |x, y| {
        image::Rgb([(x / 24 % 256) as u8, (y / 24 % 256) as u8, ((x ^ y) / 48 % 256) as u8])
    });
    let mut jpeg = std::io::Cursor::new(Vec::new());
    img.write_to(&mut jpeg, image::ImageFormat::Jpeg).unwrap();
    drop(img);
    let jpeg = jpeg.into_inner();
    assert!(jpeg.len() < attune::domain::uploads::PHOTO_MAX_BYTES, "{} bytes", jpeg.len());
    let mut browsers = Vec::new();
    for i in 0..8 {
        browsers.push(practitioner_at_step_two(&app, &format!("+4477009002{i:02}")).await.0);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = rss_mb();
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(before));
    let sampling = {
        let peak = peak.clone();
        tokio::spawn(async move {
            loop {
                peak.fetch_max(rss_mb(), std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };
    let started = std::time::Instant::now();
    let uploads = browsers.iter().map(|b| upload_photo(b, "big.jpg", jpeg.clone(), "image/jpeg"));
    for to in futures::future::join_all(uploads).await {
        assert_eq!(to, "/onboarding/2?uploaded=1");
    }
    let took = started.elapsed();
    sampling.abort();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (peak, after) = (peak.load(std::sync::atomic::Ordering::Relaxed), rss_mb());
    println!("RSS before {before} MB, peak {peak} MB (+{} MB), 3 s after {after} MB; {took:?}", peak - before);
    assert!(peak - before < 600, "memory grew by {} MB", peak - before);
}

//! Signing in by phone: six-digit codes sent as text messages, valid five minutes and five
//! guesses, throttled per number and per address, one answer for every kind of wrong
//! code, and an account found or opened (linked to the call centre's lead) at the end.

use crate::helpers::*;
use attune::domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

const PHONE: &str = "+919876543210";

/// The code of the newest text message to `phone`, read where it waits for delivery.
pub(crate) async fn last_code(app: &TestApp, phone: &str) -> String {
    sqlx::query_scalar::<_, Option<String>>(
        "SELECT secret_value FROM sms_outbox WHERE to_phone = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(phone)
    .fetch_one(&app.pool)
    .await
    .unwrap()
    .expect("the code is kept until the message is delivered")
}

async fn request(b: &mut Browser<'_>, phone: &str) -> reqwest::Response {
    b.call("auth/phone/code", &[("phone", phone)]).await
}

async fn verify(b: &mut Browser<'_>, phone: &str, code: &str) -> reqwest::Response {
    b.call("auth/phone/verify", &[("phone", phone), ("code", code)]).await
}

/// Moves the app's clock to the start of the next hour, so fixed rate-limit windows
/// (minutes, hours) line up with the test's steps whenever it runs.
fn align_to_hour(app: &TestApp) {
    let now = app.state.clock.now().as_second();
    app.advance(Duration::from_secs((3600 - now.rem_euclid(3600)) as u64));
}

fn wrong(code: &str) -> String {
    format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000)
}

async fn invalid(res: reqwest::Response) -> Value {
    let (status, body) = error_of(res).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    body
}

#[tokio::test]
async fn a_lead_signs_in_by_code_into_a_new_practitioner_account_linked_to_the_lead_under_a_new_session_id() {
    let app = spawn_app().await;
    attune::server::leads::import(
        &app.state,
        None,
        "calls.csv",
        b"phone,name,email\n+91 98765 43210,Asha Rao,asha@example.com\n",
        None,
    )
    .await
    .unwrap();
    let mut b = Browser::new(&app);
    let res = request(&mut b, "+91 98765 43210").await;
    assert_eq!(res.status(), StatusCode::OK);
    let (template, status_before): (String, String) =
        sqlx::query_as("SELECT template, status FROM sms_outbox WHERE to_phone = $1")
            .bind(PHONE)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((template.as_str(), status_before.as_str()), ("sign_in_code", "pending"));
    let code = last_code(&app, PHONE).await;
    app.run_jobs().await;
    let held: String = sqlx::query_scalar("SELECT status FROM sms_outbox").fetch_one(&app.pool).await.unwrap();
    assert_eq!(held, "held", "without an SMS gateway the message is kept in the outbox");
    assert!(code.chars().all(|c| c.is_ascii_digit()));
    let stored: String = sqlx::query_scalar("SELECT code_hash FROM phone_codes").fetch_one(&app.pool).await.unwrap();
    assert!(stored.starts_with("$argon2id$") && !stored.contains(&code), "kept only as a hash");

    // A browser that already has a session (signed in as someone else) gets a new one.
    let mut other = signed_in(&app, "sam@example.com", Role::Customer).await;
    let before = other.cookie.clone().unwrap();
    assert_eq!(verify(&mut other, PHONE, &code).await.status(), StatusCode::OK);
    let after = other.cookie.clone().unwrap();
    assert_ne!(before, after, "signing in issues a new session id");
    let me = other.me().await;
    assert_eq!(
        (me["role"].as_str(), me["name"].as_str(), me["email"].as_str()),
        (Some("practitioner"), Some("Asha Rao"), Some("asha@example.com"))
    );
    let mut replay = Browser::new(&app);
    replay.cookie = Some(before);
    assert_eq!(replay.me().await, json!(null), "the old session id is dead");

    let (state, linked, first_login, verified): (String, bool, bool, bool) = sqlx::query_as(
        "SELECT p.onboarding_state, p.lead_id IS NOT NULL, p.first_login_at IS NOT NULL, u.phone_verified_at IS NOT NULL
         FROM practitioner_profiles p JOIN users u ON u.id = p.user_id WHERE u.phone = $1",
    )
    .bind(PHONE)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!((state.as_str(), linked, first_login, verified), ("draft", true, true, true));

    // The code is spent: using it again fails like any wrong code.
    let mut again = Browser::new(&app);
    invalid(verify(&mut again, PHONE, &code).await).await;
}

#[tokio::test]
async fn every_wrong_code_gets_the_same_answer_whatever_was_wrong() {
    let app = spawn_app().await;
    let mut b = Browser::new(&app);
    request(&mut b, PHONE).await;
    let code = last_code(&app, PHONE).await;
    let wrong_code = invalid(verify(&mut b, PHONE, &wrong(&code)).await).await;
    let unknown_number = invalid(verify(&mut b, "+447700900123", &code).await).await;
    let unparsable_number = invalid(verify(&mut b, "not a number", &code).await).await;
    assert_eq!(wrong_code, json!("CodeInvalid"));
    assert_eq!(unknown_number, wrong_code, "no hint that the number was the wrong part");
    assert_eq!(unparsable_number, wrong_code);
    app.advance(Duration::from_secs(5 * 60));
    let expired = invalid(verify(&mut b, PHONE, &code).await).await;
    assert_eq!(expired, wrong_code, "an expired code is answered like a wrong one");
    assert_eq!(count(&app.pool, "users").await, 0, "no account was opened");
    let (status, body) = error_of(verify(&mut b, PHONE, "12345").await).await;
    assert_eq!(
        (status, body["Invalid"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("code")),
        "a malformed code is a form error"
    );
}

#[tokio::test]
async fn a_code_survives_four_wrong_guesses_but_not_five() {
    let app = spawn_app().await;
    let mut b = Browser::new(&app);
    request(&mut b, PHONE).await;
    let code = last_code(&app, PHONE).await;
    for _ in 0..4 {
        invalid(verify(&mut b, PHONE, &wrong(&code)).await).await;
    }
    assert_eq!(
        verify(&mut b, PHONE, &code).await.status(),
        StatusCode::OK,
        "the right code after four misses still works"
    );

    let other = "+447700900123";
    app.advance(Duration::from_secs(61));
    let mut c = Browser::new(&app);
    request(&mut c, other).await;
    let code = last_code(&app, other).await;
    for _ in 0..5 {
        invalid(verify(&mut c, other, &wrong(&code)).await).await;
    }
    invalid(verify(&mut c, other, &code).await).await;
    let attempts: i32 = sqlx::query_scalar("SELECT attempts FROM phone_codes WHERE phone = $1")
        .bind(other)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(attempts, 5, "the sixth guess was not even counted against the code");
}

#[tokio::test]
async fn guesses_racing_each_other_still_count_against_the_limit() {
    let app = spawn_app().await;
    let mut b = Browser::new(&app);
    request(&mut b, PHONE).await;
    let code = last_code(&app, PHONE).await;
    let guesses = (0..20).map(|i| {
        let mut browser = Browser::new(&app);
        let guess = format!("{:06}", (code.parse::<u32>().unwrap() + 1 + i) % 1_000_000);
        async move { verify(&mut browser, PHONE, &guess).await.status() }
    });
    let answers = futures::future::join_all(guesses).await;
    assert!(answers.iter().all(|s| *s == StatusCode::UNAUTHORIZED), "{answers:?}");
    invalid(verify(&mut b, PHONE, &code).await).await;
    let attempts: i32 = sqlx::query_scalar("SELECT attempts FROM phone_codes").fetch_one(&app.pool).await.unwrap();
    assert_eq!(attempts, 5);
}

#[tokio::test]
async fn codes_are_throttled_per_number_and_per_address_and_a_new_code_retires_the_old() {
    let app = spawn_app().await;
    align_to_hour(&app);
    let mut b = Browser::new(&app);
    assert_eq!(request(&mut b, PHONE).await.status(), StatusCode::OK);
    let first = last_code(&app, PHONE).await;
    let (status, body) = error_of(request(&mut b, PHONE).await).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(count(&app.pool, "sms_outbox").await, 1, "a refused request sends nothing");
    app.advance(Duration::from_secs(61));
    assert_eq!(request(&mut b, PHONE).await.status(), StatusCode::OK, "a minute later a new code may be sent");
    let second = last_code(&app, PHONE).await;
    if first != second {
        invalid(verify(&mut b, PHONE, &first).await).await;
    }
    assert_eq!(verify(&mut b, PHONE, &second).await.status(), StatusCode::OK, "the newest code works");

    // Five an hour per number.
    let n = "+447700900456";
    for _ in 0..5 {
        app.advance(Duration::from_secs(61));
        assert_eq!(request(&mut b, n).await.status(), StatusCode::OK);
    }
    app.advance(Duration::from_secs(61));
    assert_eq!(request(&mut b, n).await.status(), StatusCode::TOO_MANY_REQUESTS);

    // Twenty an hour from one address, whatever the numbers.
    let app = spawn_app().await;
    align_to_hour(&app);
    let mut b = Browser::new(&app);
    for i in 0..20 {
        assert_eq!(request(&mut b, &format!("+4477009001{i:02}")).await.status(), StatusCode::OK);
    }
    assert_eq!(request(&mut b, "+447700900199").await.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_verified_number_on_an_account_that_signs_in_with_a_password_is_not_opened_by_a_code() {
    let app = spawn_app().await;
    let customer = app.user(Role::Customer).await;
    sqlx::query("UPDATE users SET phone = '+447700900001', phone_verified_at = now() WHERE id = $1")
        .bind(customer.id)
        .execute(&app.pool)
        .await
        .unwrap();
    let phone = "+447700900001";
    let mut b = Browser::new(&app);
    request(&mut b, phone).await;
    let code = last_code(&app, phone).await;
    let (status, body) = error_of(verify(&mut b, phone, &code).await).await;
    assert_eq!(
        (status, body["Invalid"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("phone")),
        "{body}"
    );
    assert_eq!(b.cookie, None, "not signed in");
    assert_eq!(count(&app.pool, "users").await, 1, "no second account was opened for the number");
}

#[tokio::test]
async fn a_number_nobody_knows_opens_a_blank_practitioner_account_and_signs_in_again_to_the_same_one() {
    let app = spawn_app().await;
    let mut b = Browser::new(&app);
    request(&mut b, PHONE).await;
    let code = last_code(&app, PHONE).await;
    verify(&mut b, PHONE, &code).await;
    let me = b.me().await;
    assert_eq!(
        (me["role"].as_str(), me["email"].clone(), me["name"].as_str()),
        (Some("practitioner"), Value::Null, Some(PHONE))
    );
    let linked: bool =
        sqlx::query_scalar("SELECT lead_id IS NOT NULL FROM practitioner_profiles").fetch_one(&app.pool).await.unwrap();
    assert!(!linked, "no lead to link");

    app.advance(Duration::from_secs(61));
    let mut second = Browser::new(&app);
    request(&mut second, PHONE).await;
    let code = last_code(&app, PHONE).await;
    verify(&mut second, PHONE, &code).await;
    assert_eq!(second.me().await["code"], me["code"], "the same account");
    assert_eq!(count(&app.pool, "users").await, 1);
}

#[tokio::test]
async fn a_practitioners_first_password_login_is_recorded_once() {
    let app = spawn_app().await;
    let (_b, user) = app.browser_as(Role::Practitioner).await;
    let first: Option<time::OffsetDateTime> =
        sqlx::query_scalar("SELECT first_login_at FROM practitioner_profiles WHERE user_id = $1")
            .bind(user.id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(first.is_some());
    app.advance(Duration::from_secs(3600));
    let mut again = Browser::new(&app);
    again.log_in(&user.email, PASSWORD).await;
    let still: Option<time::OffsetDateTime> =
        sqlx::query_scalar("SELECT first_login_at FROM practitioner_profiles WHERE user_id = $1")
            .bind(user.id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(first, still);
}

#[tokio::test]
async fn with_a_gateway_configured_the_message_is_posted_to_it_and_marked_sent() {
    use std::sync::{Arc, Mutex};
    let got: Arc<Mutex<Vec<(Option<String>, Value)>>> = Arc::default();
    let seen = got.clone();
    let gateway = axum::Router::new().route(
        "/sms",
        axum::routing::post(move |headers: axum::http::HeaderMap, axum::Json(body): axum::Json<Value>| {
            let seen = seen.clone();
            async move {
                let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
                seen.lock().unwrap().push((auth, body));
                "accepted"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, gateway).await.unwrap() });
    let app = spawn_app_with(move |c| {
        c.sms_url = Some(attune::server::config::Secret::new(url));
        c.sms_token = Some(attune::server::config::Secret::new("gateway-token".into()));
    })
    .await;
    let mut b = Browser::new(&app);
    request(&mut b, PHONE).await;
    app.run_jobs().await;
    let status: String = sqlx::query_scalar("SELECT status FROM sms_outbox").fetch_one(&app.pool).await.unwrap();
    assert_eq!(status, "sent");
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0.as_deref(), Some("Bearer gateway-token"));
    assert_eq!(got[0].1["to"], PHONE);
    assert!(got[0].1["body"].as_str().unwrap().contains("is your Attune sign-in code"));
}

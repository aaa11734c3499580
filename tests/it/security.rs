//! The defects found in review, each proven fixed over HTTP or against the binary.

use crate::helpers::*;
use crate::platform::reset_token_from_outbox;
use attune::domain::Role;
use reqwest::StatusCode;
use serde_json::json;

/// Everything in the outbox table, as text, for looking for secrets.
async fn outbox_dump(app: &TestApp) -> String {
    let rows: Vec<String> =
        sqlx::query_scalar("SELECT row_to_json(o)::text FROM email_outbox o").fetch_all(&app.pool).await.unwrap();
    rows.join("\n")
}

#[tokio::test]
async fn a_delivered_reset_link_can_no_longer_be_read_from_the_database_or_the_admin_panel() {
    let (port, received) = spawn_smtp().await;
    let app = spawn_app_with(move |c| {
        c.smtp_url = Some(attune::server::config::Secret::new(format!("smtp://127.0.0.1:{port}")));
    })
    .await;
    let user = app.user(Role::Customer).await;
    let mut b = Browser::new(&app);
    assert_eq!(b.call("auth/forgot", &[("email", &user.email)]).await.status(), StatusCode::OK);
    let token = reset_token_from_outbox(&app.pool).await;
    app.run_jobs().await;

    let messages = received.lock().await.clone();
    let reset = messages.iter().find(|m| m.contains("Reset your Attune password")).expect("the reset email was sent");
    assert!(reset.contains(&token), "the recipient gets the link");
    let stored = outbox_dump(&app).await;
    assert!(!stored.contains(&token), "the outbox keeps no usable link: {stored}");
    assert!(stored.contains(attune::server::email::SECRET_REMOVED));
    let (admin, _) = app.browser_as(Role::Admin).await;
    let mut admin = admin;
    let panel = admin.call("admin/outbox", &[]).await.text().await.unwrap();
    assert!(!panel.contains(&token));

    let res = b.call("auth/reset", &[("token", &token), ("password", "brand new passphrase")]).await;
    assert_eq!(res.status(), StatusCode::OK, "the delivered link itself still works once");
}

#[tokio::test]
async fn without_smtp_the_held_reset_email_is_scrubbed_too() {
    let app = spawn_app().await;
    let user = app.user(Role::Customer).await;
    let mut b = Browser::new(&app);
    b.call("auth/forgot", &[("email", &user.email)]).await;
    let token = reset_token_from_outbox(&app.pool).await;
    app.run_jobs().await;
    let stored = outbox_dump(&app).await;
    assert!(stored.contains("\"status\":\"held\""), "{stored}");
    assert!(!stored.contains(&token), "{stored}");
}

#[tokio::test]
async fn a_reset_link_that_expires_before_delivery_is_erased_and_never_sent() {
    let app = spawn_app().await;
    app.expect_failed_jobs();
    let user = app.user(Role::Customer).await;
    app.run_jobs().await;
    let mut b = Browser::new(&app);
    b.call("auth/forgot", &[("email", &user.email)]).await;
    let token = reset_token_from_outbox(&app.pool).await;
    app.advance(std::time::Duration::from_secs(31 * 60));
    let registry = attune::server::worker::registry();
    assert_eq!(attune::server::worker::queue_due(&app.state, &registry).await.unwrap(), registry.recurring_kinds());
    let before: i64 =
        sqlx::query_scalar("SELECT count(*) FROM jobs WHERE kind = 'housekeeping'").fetch_one(&app.pool).await.unwrap();
    assert_eq!(before, 1);
    app.run_jobs().await;
    assert!(!outbox_dump(&app).await.contains(&token));
    let status: String = sqlx::query_scalar("SELECT status FROM email_outbox WHERE template = 'password_reset'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(status, "failed", "an expired link is not worth sending");
}

#[tokio::test]
async fn a_permanent_smtp_refusal_is_not_retried() {
    let (port, received) = spawn_smtp_replying(Some("550 5.1.1 no such mailbox")).await;
    let app = spawn_app_with(move |c| {
        c.smtp_url = Some(attune::server::config::Secret::new(format!("smtp://127.0.0.1:{port}")));
    })
    .await;
    app.expect_failed_jobs();
    app.user(Role::Customer).await;
    assert_eq!(app.run_jobs().await, 1);
    let (job, attempts): (String, i32) =
        sqlx::query_as("SELECT status, attempts FROM jobs").fetch_one(&app.pool).await.unwrap();
    assert_eq!((job.as_str(), attempts), ("dead", 1), "a 5xx answer will not change on retry");
    let (status, error): (String, String) =
        sqlx::query_as("SELECT status, last_error FROM email_outbox").fetch_one(&app.pool).await.unwrap();
    assert_eq!(status, "failed");
    assert!(error.contains("550") || error.contains("no such mailbox"), "{error}");
    assert!(received.lock().await.is_empty());
}

#[tokio::test]
async fn admin_pages_outside_the_range_are_refused() {
    let app = spawn_app().await;
    let (mut admin, _) = app.browser_as(Role::Admin).await;
    for page in ["-1", "10001", "9223372036854775807", "-9223372036854775808"] {
        let (status, err) = error_of(admin.call("admin/users", &[("query", ""), ("page", page)]).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "page {page}");
        assert_eq!(err["Invalid"]["field"], "page");
    }
    let res = admin.call("admin/users", &[("query", ""), ("page", "0")]).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_admins_demoting_each_other_at_once_never_leave_the_platform_without_one() {
    let app = spawn_app().await;
    for _ in 0..10 {
        let (mut a, a_user) = app.browser_as(Role::Admin).await;
        let (mut b, b_user) = app.browser_as(Role::Admin).await;
        sqlx::query("UPDATE users SET role = 'customer' WHERE role = 'admin' AND id <> ALL($1)")
            .bind(vec![a_user.id, b_user.id])
            .execute(&app.pool)
            .await
            .unwrap();
        let (a_id, b_id) = (a_user.id.to_string(), b_user.id.to_string());
        let demote_b = [("user_id", b_id.as_str()), ("role", "customer")];
        let demote_a = [("user_id", a_id.as_str()), ("role", "customer")];
        let (ra, rb) = tokio::join!(a.call("admin/users/role", &demote_b), b.call("admin/users/role", &demote_a));
        let ok = [ra.status(), rb.status()].iter().filter(|s| **s == StatusCode::OK).count();
        assert_eq!(ok, 1, "exactly one demotion wins: {} {}", ra.status(), rb.status());
        let admins: i64 =
            sqlx::query_scalar("SELECT count(*) FROM users WHERE role = 'admin'").fetch_one(&app.pool).await.unwrap();
        assert_eq!(admins, 1);
    }
}

#[tokio::test]
async fn the_last_admin_cannot_be_demoted_by_any_path() {
    let app = spawn_app().await;
    let (admin, user) = app.browser_as(Role::Admin).await;
    drop(admin);
    let actor = attune::server::capability::Admin::try_from(attune::domain::types::SessionUser {
        id: user.id,
        code: attune::domain::UserCode::from_number(100_000).unwrap(),
        email: Some(user.email.clone()),
        name: "A".into(),
        role: Role::Admin,
        time_zone: attune::domain::TimeZone::utc(),
    })
    .unwrap();
    let other = app.user(Role::Admin).await;
    attune::server::accounts::set_role(&app.state, &actor, other.id, Role::Customer).await.unwrap();
    let err = attune::server::accounts::set_role(&app.state, &actor, user.id, Role::Customer).await.unwrap_err();
    assert!(matches!(err, attune::server::error::Failure::User(attune::domain::AppError::LastAdmin)), "{err:?}");
    let roles: Vec<String> =
        sqlx::query_scalar("SELECT role FROM users ORDER BY code").fetch_all(&app.pool).await.unwrap();
    assert_eq!(roles, vec!["admin", "customer"]);
}

#[tokio::test]
async fn time_elements_carry_valid_datetimes() {
    let app = spawn_app().await;
    let home = Browser::new(&app).get("/").await.text().await.unwrap();
    let start = home.find("<time datetime=\"").expect("the home page shows when its figures were counted") + 16;
    let value = &home[start..start + home[start..].find('"').unwrap()];
    assert!(value.parse::<jiff::Timestamp>().is_ok(), "{value}");
    assert!(!value.contains('.'), "whole seconds, as the page shows: {value}");
    assert_eq!(json!(value.len()), json!("2026-01-01T00:00:00Z".len()), "{value}");
}

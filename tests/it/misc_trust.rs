//! Trust fixes that touch several areas: who may read the metrics, uploads refused
//! before their bodies are read, bounded photo decoding, sealed outbox secrets and
//! practitioners who are no longer live.

use crate::helpers::*;
use attune::server::config::{Environment, Secret};
use reqwest::StatusCode;

async fn get_metrics(app: &TestApp, authorization: Option<&str>) -> reqwest::Response {
    let mut req = reqwest::Client::new().get(format!("{}/metrics", app.base));
    if let Some(a) = authorization {
        req = req.header("authorization", a);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn metrics_are_read_only_with_the_configured_bearer_token() {
    let app = spawn_app_with(|c| c.metrics_token = Some(Secret::new("scrape-me-7f3a".into()))).await;
    let res = get_metrics(&app, None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    assert!(!res.text().await.unwrap().contains("attune_"), "nothing of the figures leaks");
    assert_eq!(get_metrics(&app, Some("Bearer wrong")).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(get_metrics(&app, Some("scrape-me-7f3a")).await.status(), StatusCode::UNAUTHORIZED);
    let res = get_metrics(&app, Some("Bearer scrape-me-7f3a")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("attune_http_requests_total"));
}

#[tokio::test]
async fn production_without_a_metrics_token_hides_the_metrics() {
    let app = spawn_app_with(|c| c.env = Environment::Production).await;
    assert_eq!(get_metrics(&app, None).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(get_metrics(&app, Some("Bearer anything")).await.status(), StatusCode::NOT_FOUND);
    let dev = spawn_app().await;
    assert_eq!(get_metrics(&dev, None).await.status(), StatusCode::OK, "development serves its own machine");
}

/// The outbox row of the newest reset email, as JSON text, for looking for secrets.
async fn newest_reset_row(app: &TestApp) -> String {
    sqlx::query_scalar(
        "SELECT row_to_json(o)::text FROM email_outbox o WHERE template = 'password_reset' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_waiting_reset_link_is_sealed_in_the_database_and_delivered_whole() {
    let (port, received) = spawn_smtp().await;
    let smtp = move |c: &mut attune::server::config::Config| {
        c.smtp_url = Some(Secret::new(format!("smtp://127.0.0.1:{port}")));
    };
    let app = spawn_app_with(smtp).await;
    let user = app.user(attune::domain::Role::Customer).await;
    let mut b = Browser::new(&app);
    assert_eq!(b.call("auth/forgot", &[("email", &user.email)]).await.status(), StatusCode::OK);
    let token = crate::platform::reset_token_from_outbox(&app.pool).await;
    let stored: String = sqlx::query_scalar("SELECT secret_value FROM email_outbox WHERE template = 'password_reset'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(stored.starts_with("sealed:v1:"), "{stored}");
    let row = newest_reset_row(&app).await;
    for clue in [token.as_str(), "token=", "reset-password", app.base.as_str()] {
        assert!(!row.contains(clue), "the waiting row shows {clue:?}: {row}");
    }
    let plain = sqlx::query(
        "UPDATE email_outbox SET secret_value = 'https://x.example/reset-password?token=abc' WHERE secret_value IS NOT NULL",
    )
    .execute(&app.pool)
    .await
    .unwrap_err();
    assert!(plain.to_string().contains("email_outbox_secret_sealed"), "{plain}");

    app.run_jobs().await;
    let messages = received.lock().await.clone();
    let reset = messages.iter().find(|m| m.contains("Reset your Attune password")).expect("the reset email was sent");
    // The body travels quoted-printable: undo its soft line breaks and escaped `=`.
    let text = reset.replace("=\n", "").replace("=3D", "=");
    assert!(text.contains(&format!("{}/reset-password?token={token}", app.base)), "{reset}");
    let res = b.call("auth/reset", &[("token", &token), ("password", "brand new passphrase")]).await;
    assert_eq!(res.status(), StatusCode::OK, "the delivered link works");
}

#[tokio::test]
async fn a_link_sealed_with_another_key_is_never_sent_and_is_erased() {
    let (port, received) = spawn_smtp().await;
    let app = spawn_app().await;
    app.expect_failed_jobs();
    let user = app.user(attune::domain::Role::Customer).await;
    Browser::new(&app).call("auth/forgot", &[("email", &user.email)]).await;
    let other = TestApp::builder()
        .sharing_database_of(&app)
        .config(move |c| {
            c.smtp_url = Some(Secret::new(format!("smtp://127.0.0.1:{port}")));
            c.outbox_key = Some(attune::server::sealing::SealingKey::generate());
        })
        .spawn()
        .await;
    other.expect_failed_jobs();
    other.run_jobs().await;
    assert!(received.lock().await.iter().all(|m| !m.contains("Reset your Attune password")), "nothing was sent");
    let (status, value, error): (String, Option<String>, Option<String>) =
        sqlx::query_as("SELECT status, secret_value, last_error FROM email_outbox WHERE template = 'password_reset'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), value), ("failed", None));
    assert!(error.unwrap().contains("OUTBOX_KEY"));
}

async fn set_role(admin: &mut Browser<'_>, user_id: &str, role: &str) -> reqwest::Response {
    admin.call("admin/users/role", &[("user_id", user_id), ("role", role)]).await
}

#[tokio::test]
async fn a_practitioner_changes_role_only_once_their_paid_work_is_delivered_and_then_nothing_of_theirs_is_on_sale() {
    use crate::checkout::{give_credits, service, start};
    use attune::domain::Role;
    use serde_json::json;
    let app = spawn_app().await;
    let (slug, owner) = service(&app, Some(5), None, &[]).await;
    let profile = format!("live-{}", owner.id.simple());
    let mut customer = signed_in(&app, "buyer@example.com", Role::Customer).await;
    let buyer: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users WHERE email = 'buyer@example.com'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    give_credits(&app, buyer, 10).await;
    let number = start(&mut customer, &slug, "Rae Buyer", "buyer@example.com").await;
    customer.call("checkout/pay", &[("order", &number), ("method", "credits")]).await;
    let state = |id: uuid::Uuid| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_as::<_, (String, String)>(
                "SELECT u.role, p.onboarding_state FROM users u JOIN practitioner_profiles p ON p.user_id = u.id WHERE u.id = $1",
            )
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };

    let (mut admin, _) = app.browser_as(Role::Admin).await;
    let owner_id = owner.id.to_string();
    let (status, err) = error_of(set_role(&mut admin, &owner_id, "customer").await).await;
    assert_eq!(
        (status, err),
        (StatusCode::CONFLICT, json!({ "OrdersToDeliver": { "count": 1, "numbers": [number.clone()] } }))
    );
    assert_eq!(state(owner.id).await, ("practitioner".into(), "approved".into()), "nothing changed");

    // Delivered, the order no longer holds the practitioner.
    let mut practitioner = Browser::new(&app);
    practitioner.log_in(&owner.email, PASSWORD).await;
    for step in ["accept", "complete"] {
        practitioner.call("practitioner/orders/work", &[("order", &number), ("step", step)]).await;
    }
    let status: String = sqlx::query_scalar("SELECT status FROM orders WHERE number = $1")
        .bind(&number)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(status, "completed");
    assert_eq!(set_role(&mut admin, &owner_id, "customer").await.status(), StatusCode::OK);
    assert_eq!(state(owner.id).await, ("customer".into(), "suspended".into()));

    // Nothing of theirs is listed or sold, to anyone.
    let mut visitor = Browser::new(&app);
    let directory: serde_json::Value = visitor.call("catalog/directory", &[]).await.json().await.unwrap();
    assert_eq!(directory["total"], 0, "{directory}");
    let (status, _) = error_of(visitor.call("catalog/practitioner", &[("slug", &profile)]).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let sitemap = visitor.get("/sitemap.xml").await.text().await.unwrap();
    assert!(!sitemap.contains(&profile) && !sitemap.contains(&slug), "{sitemap}");
    let key = uuid::Uuid::new_v4().to_string();
    for b in [&mut visitor, &mut customer] {
        let res = b
            .call(
                "checkout/details",
                &[("order", ""), ("service", &slug), ("key", &key), ("name", "Rae"), ("email", "rae@example.com")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }

    // The database refuses a live profile without the role, however it is written.
    let err = sqlx::query("UPDATE practitioner_profiles SET onboarding_state = 'approved' WHERE user_id = $1")
        .bind(owner.id)
        .execute(&app.pool)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("only a practitioner's profile can be approved"), "{err}");
    // A practitioner again, their profile waits for an admin to reinstate it.
    assert_eq!(set_role(&mut admin, &owner_id, "practitioner").await.status(), StatusCode::OK);
    assert_eq!(state(owner.id).await, ("practitioner".into(), "suspended".into()));
}

async fn refund(b: &mut Browser<'_>, number: &str, reason: &str) -> reqwest::Response {
    b.call("admin/orders/refund-undelivered", &[("order", number), ("reason", reason)]).await
}

#[tokio::test]
async fn an_admin_refunds_a_leaving_practitioners_undelivered_orders_once_each_and_then_the_role_changes() {
    use crate::checkout::{give_credits, service, spendable, start};
    use crate::fixtures::emails_to;
    use crate::orders::{ledger_is_clean, location, settle, status};
    use attune::domain::Role;
    use serde_json::json;
    let app = spawn_app().await;
    let (slug, owner) = service(&app, Some(5), Some(4500), &[]).await;
    let mut customer = signed_in(&app, "kit@example.com", Role::Customer).await;
    let kit: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'kit@example.com'").fetch_one(&app.pool).await.unwrap();
    give_credits(&app, kit, 10).await;
    let by_credits = start(&mut customer, &slug, "Kit Buyer", "kit@example.com").await;
    customer.call("checkout/pay", &[("order", &by_credits), ("method", "credits")]).await;
    let by_card = start(&mut customer, &slug, "Kit Buyer", "kit@example.com").await;
    let res = customer.call("checkout/pay", &[("order", &by_card), ("method", "card")]).await;
    let session = location(&res).rsplit('/').next().unwrap().to_owned();
    settle(&mut customer, &session, "approve").await;
    app.run_jobs().await;
    assert_eq!((status(&app, &by_credits).await, status(&app, &by_card).await), ("paid".into(), "paid".into()));
    assert_eq!(spendable(&app, kit).await, 5);
    let mut practitioner = Browser::new(&app);
    practitioner.log_in(&owner.email, PASSWORD).await;
    practitioner.call("practitioner/orders/work", &[("order", &by_credits), ("step", "accept")]).await;
    assert_eq!(status(&app, &by_credits).await, "in_progress");

    let (mut admin, _) = app.browser_as(Role::Admin).await;
    let owner_id = owner.id.to_string();
    let (code, err) = error_of(set_role(&mut admin, &owner_id, "customer").await).await;
    assert_eq!(code, StatusCode::CONFLICT);
    assert_eq!(err, json!({ "OrdersToDeliver": { "count": 2, "numbers": [by_credits.clone(), by_card.clone()] } }));

    // Refused, with nothing changed: not an admin, no reason, an order that is not theirs to refund.
    let (code, _) = error_of(refund(&mut customer, &by_credits, "leaving").await).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (code, err) = error_of(refund(&mut admin, &by_credits, "  ").await).await;
    assert_eq!((code, err["Invalid"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")));
    let (code, _) = error_of(refund(&mut admin, "2026-999999", "leaving").await).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert_eq!(spendable(&app, kit).await, 5);
    assert_eq!(status(&app, &by_credits).await, "in_progress");

    // The accepted order paid in credits: all of them come back at once, and the customer is told.
    assert_eq!(refund(&mut admin, &by_credits, "The practitioner is leaving").await.status(), StatusCode::OK);
    assert_eq!(status(&app, &by_credits).await, "refunded");
    assert_eq!(spendable(&app, kit).await, 10);
    assert_eq!(emails_to(&app, "kit@example.com", "service_order_refunded").await, 1);
    // The card order: the provider returns the money and a credit note is issued.
    assert_eq!(refund(&mut admin, &by_card, "The practitioner is leaving").await.status(), StatusCode::OK);
    app.run_jobs().await;
    assert_eq!(status(&app, &by_card).await, "refunded");
    let (amount, note): (i64, Option<String>) = sqlx::query_as(
        "SELECT r.amount_minor, r.credit_note_number FROM refunds r JOIN orders o ON o.id = r.order_id
         WHERE o.number = $1 AND r.status = 'succeeded'",
    )
    .bind(&by_card)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(amount, 4500);
    assert!(note.is_some_and(|n| n.starts_with("CN-")));

    // Asked again, each refuses by name and nothing moves twice.
    for number in [&by_credits, &by_card] {
        let (code, err) = error_of(refund(&mut admin, number, "again").await).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert!(err["Invalid"]["message"].as_str().unwrap().contains("this one is refunded"), "{err}");
    }
    assert_eq!(spendable(&app, kit).await, 10);
    assert_eq!(count(&app.pool, "refunds").await, 1);
    assert_eq!(emails_to(&app, "kit@example.com", "service_order_refunded").await, 2);
    ledger_is_clean(&app).await;

    assert_eq!(set_role(&mut admin, &owner_id, "customer").await.status(), StatusCode::OK);
}

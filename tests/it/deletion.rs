//! Deleting a customer account: personal data goes, the books stay.

use crate::checkout::{give_credits, page, service, start};
use crate::helpers::*;
use crate::orders::{ledger_is_clean, location};
use attune::domain::Role;
use reqwest::StatusCode;
use uuid::Uuid;

#[tokio::test]
async fn a_deleted_account_keeps_its_orders_and_ledger_without_the_persons_data() {
    let app = spawn_app().await;
    let (slug, owner) = service(&app, Some(5), None, &[]).await;
    let mut b = signed_in(&app, "zoe@example.com", Role::Customer).await;
    let zoe = sqlx::query_scalar::<_, Uuid>("SELECT id FROM users WHERE email = 'zoe@example.com'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    give_credits(&app, zoe, 12).await;
    let done = start(&mut b, &slug, "Zoe Private", "zoe@example.com").await;
    location(&b.call("checkout/pay", &[("order", &done), ("method", "credits")]).await);
    location(&b.call("orders/messages/post", &[("order", &done), ("body", "My birth time is 04:10")]).await);

    let mut practitioner = Browser::new(&app);
    practitioner.log_in(&owner.email, PASSWORD).await;
    let (status, body) =
        error_of(b.call("account/delete", &[("password", PASSWORD), ("confirm", "DELETE")]).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "not while an order is being worked on");
    assert!(body["Invalid"]["message"].as_str().unwrap().contains(&done));
    for step in ["accept", "complete"] {
        location(&practitioner.call("practitioner/orders/work", &[("order", &done), ("step", step)]).await);
    }
    let draft = start(&mut b, &service(&app, Some(5), None, &[]).await.0, "Zoe Private", "zoe@example.com").await;

    for (password, confirm, field) in [("wrong password", "DELETE", "password"), (PASSWORD, "delete it", "confirm")] {
        let (_, body) = error_of(b.call("account/delete", &[("password", password), ("confirm", confirm)]).await).await;
        assert_eq!(body["Invalid"]["field"], field);
    }
    assert_eq!(b.me().await["email"], "zoe@example.com", "a refused deletion changes nothing");

    let res = b.call("account/delete", &[("password", PASSWORD), ("confirm", "DELETE")]).await;
    assert_eq!(location(&res), "/?deleted=1");
    let (name, email, deleted): (String, Option<String>, bool) =
        sqlx::query_as("SELECT name, email, deleted_at IS NOT NULL FROM users WHERE id = $1")
            .bind(zoe)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((name.as_str(), email, deleted), ("Deleted account", None, true));
    let (answers, contact): (serde_json::Value, Option<String>) =
        sqlx::query_as("SELECT answers, contact_name FROM orders WHERE number = $1")
            .bind(&done)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((answers, contact), (serde_json::json!({}), None));
    let kept: (String, Option<i64>) = sqlx::query_as("SELECT status, price_credits FROM orders WHERE number = $1")
        .bind(&done)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(kept, ("completed".to_owned(), Some(5)), "the order and its amount stay");
    let draft_status: String = sqlx::query_scalar("SELECT status FROM orders WHERE number = $1")
        .bind(&draft)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(draft_status, "cancelled");
    let thread = page(&practitioner, &format!("/orders/{done}")).await.1;
    assert!(!thread.contains("04:10") && thread.contains("removed when its author deleted"), "their message is erased");
    ledger_is_clean(&app).await;
    let spends: i64 = sqlx::query_scalar("SELECT count(*) FROM ledger_transactions WHERE reference = $1")
        .bind(format!("order:{done}"))
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(spends, 1, "the ledger keeps the spend");

    assert!(b.me().await.is_null(), "signed out");
    assert_eq!(Browser::new(&app).log_in("zoe@example.com", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    let mut again = Browser::new(&app);
    assert_eq!(
        again.sign_up("Zoe Again", "zoe@example.com", "another long passphrase").await.status(),
        StatusCode::OK,
        "the address is free again"
    );

    let (mut admin, _) = app.browser_as(Role::Admin).await;
    let (_, body) =
        error_of(admin.call("account/delete", &[("password", PASSWORD), ("confirm", "DELETE")]).await).await;
    assert_eq!(body["Invalid"]["field"], "confirm", "admins are not deleted this way");
}

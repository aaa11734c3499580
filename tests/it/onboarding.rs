//! Practitioner profiles and their onboarding states: one list of legal moves in the
//! code and the database, every move recorded, and a profile opened (and linked to the
//! call-centre lead with the same phone) when an account becomes a practitioner's.

use crate::helpers::*;
use attune::domain::Role;
use attune::domain::onboarding::OnboardingState;
use attune::server::onboarding;
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn the_database_and_the_code_agree_on_every_onboarding_move_and_refuse_the_rest() {
    let app = spawn_app().await;
    database_agrees_on_every_move(
        &app.pool,
        "onboarding_transition_allowed",
        &OnboardingState::ALL,
        OnboardingState::as_str,
        OnboardingState::can_move_to,
    )
    .await;
    let user = app.user(Role::Practitioner).await;
    let skipped = sqlx::query(
        "UPDATE practitioner_profiles SET onboarding_state = 'approved', approved_at = now() WHERE user_id = $1",
    )
    .bind(user.id)
    .execute(&app.pool)
    .await
    .unwrap_err();
    assert!(skipped.to_string().contains("onboarding cannot move from draft to approved"), "{skipped}");
}

#[tokio::test]
async fn becoming_a_practitioner_opens_onboarding_linked_to_the_lead_and_every_move_is_recorded() {
    let app = spawn_app().await;
    attune::server::leads::import(&app.state, None, "calls.csv", b"phone,name\n+91 98765 43210,Asha Rao\n", None)
        .await
        .unwrap();
    let user = app.user(Role::Customer).await;
    sqlx::query("UPDATE users SET phone = '+919876543210', phone_verified_at = now() WHERE id = $1")
        .bind(user.id)
        .execute(&app.pool)
        .await
        .unwrap();
    let (mut admin, admin_user) = app.browser_as(Role::Admin).await;
    let id = user.id.to_string();
    for role in ["practitioner", "customer", "practitioner"] {
        let res = admin.call("admin/users/role", &[("user_id", &id), ("role", role)]).await;
        assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    }
    let (state, linked): (String, bool) =
        sqlx::query_as("SELECT onboarding_state, lead_id IS NOT NULL FROM practitioner_profiles WHERE user_id = $1")
            .bind(user.id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((state.as_str(), linked), ("draft", true), "linked to the lead with the same verified phone");
    let moves: Vec<(Option<String>, String, Option<uuid::Uuid>)> = sqlx::query_as(
        "SELECT from_state, to_state, actor_id FROM onboarding_transitions WHERE user_id = $1 ORDER BY id",
    )
    .bind(user.id)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(moves, [(None, "draft".to_owned(), Some(admin_user.id))], "opened once, kept through the role changes");

    // The wizard's moves: submit when complete, an illegal move refused and unrecorded,
    // then approval with its time.
    sqlx::query("UPDATE practitioner_profiles SET step_reached = 6, slug = 'asha-rao' WHERE user_id = $1")
        .bind(user.id)
        .execute(&app.pool)
        .await
        .unwrap();
    let now = app.state.clock.now();
    let mut tx = app.pool.begin().await.unwrap();
    onboarding::transition(&mut tx, user.id, OnboardingState::Submitted, Some(user.id), "Submitted for review", now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = app.pool.begin().await.unwrap();
    let refused = onboarding::transition(&mut tx, user.id, OnboardingState::Draft, Some(admin_user.id), "Back", now)
        .await
        .unwrap_err();
    assert!(format!("{}", refused.answer()).contains("cannot go from \"Awaiting review\" to \"Onboarding\""));
    tx.rollback().await.unwrap();
    let mut tx = app.pool.begin().await.unwrap();
    onboarding::transition(&mut tx, user.id, OnboardingState::Approved, Some(admin_user.id), "Looks good", now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let (submitted, approved): (bool, bool) = sqlx::query_as(
        "SELECT submitted_at IS NOT NULL, approved_at IS NOT NULL FROM practitioner_profiles WHERE user_id = $1",
    )
    .bind(user.id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(submitted && approved);
    assert_eq!(count(&app.pool, "onboarding_transitions").await, 3);

    let list: Value = admin.call("admin/practitioners", &[]).await.json().await.unwrap();
    let row = list.as_array().unwrap().iter().find(|p| p["email"] == user.email.as_str()).expect("listed").clone();
    assert_eq!((row["state"].as_str(), row["from_lead"].as_bool()), (Some("approved"), Some(true)));
    let page = admin.get("/admin/practitioners").await.text().await.unwrap();
    assert!(page.contains(&user.email) && page.contains("Approved"), "{page}");
    let (mut customer, _) = app.browser_as(Role::Customer).await;
    let (code, _) = error_of(customer.call("admin/practitioners", &[]).await).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn practitioner_accounts_start_onboarding_as_drafts() {
    let app = spawn_app().await;
    let user = app.user(Role::Practitioner).await;
    let state: String = sqlx::query_scalar("SELECT onboarding_state FROM practitioner_profiles WHERE user_id = $1")
        .bind(user.id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(state, "draft");
    let customer = app.user(Role::Customer).await;
    let none: Option<String> =
        sqlx::query_scalar("SELECT onboarding_state FROM practitioner_profiles WHERE user_id = $1")
            .bind(customer.id)
            .fetch_optional(&app.pool)
            .await
            .unwrap();
    assert_eq!(none, None);
}

#[tokio::test]
async fn the_funnel_counts_each_batchs_leads_through_every_stage_and_overall() {
    let app = spawn_app().await;
    let first =
        b"phone,name,contacted\n+447700900001,Ann One,yes\n+447700900002,Bob Two,yes\n+447700900003,Cat Three,no\n";
    attune::server::leads::import(&app.state, None, "march.csv", first, None).await.unwrap();
    let second = b"phone,name,contacted\n+447700900004,Dan Four,yes\n+447700900001,Ann One,yes\n";
    attune::server::leads::import(&app.state, None, "april.csv", second, None).await.unwrap();
    // Ann signs in (first login) and completes two steps; Bob completes everything and is
    // approved; Dan never signs in. The profiles link to the leads by phone.
    for (phone, n) in [("+447700900001", 0), ("+447700900002", 1)] {
        let u = app.user(Role::Practitioner).await;
        sqlx::query("UPDATE users SET phone = $2, phone_verified_at = now() WHERE id = $1")
            .bind(u.id)
            .bind(phone)
            .execute(&app.pool)
            .await
            .unwrap();
        let mut tx = app.pool.begin().await.unwrap();
        onboarding::signed_in(&mut tx, u.id, app.state.clock.now()).await.unwrap();
        tx.commit().await.unwrap();
        if n == 0 {
            sqlx::query("UPDATE practitioner_profiles SET step_reached = 3 WHERE user_id = $1")
                .bind(u.id)
                .execute(&app.pool)
                .await
                .unwrap();
        } else {
            sqlx::query("UPDATE practitioner_profiles SET step_reached = 6, slug = 'bob-two' WHERE user_id = $1")
                .bind(u.id)
                .execute(&app.pool)
                .await
                .unwrap();
            let mut tx = app.pool.begin().await.unwrap();
            for to in [OnboardingState::Submitted, OnboardingState::Approved] {
                onboarding::transition(&mut tx, u.id, to, None, "test", app.state.clock.now()).await.unwrap();
            }
            tx.commit().await.unwrap();
        }
    }
    let (mut admin, _) = app.browser_as(Role::Admin).await;
    let rows: Value = admin.call("admin/practitioners/funnel", &[]).await.json().await.unwrap();
    let counts = |label: &str| -> Vec<i64> {
        let row = rows
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["label"] == label)
            .unwrap_or_else(|| panic!("{label} in {rows}"));
        row["counts"].as_array().unwrap().iter().map(|c| c.as_i64().unwrap()).collect()
    };
    // Imported, contacted, first login, started, completed, approved, live.
    assert_eq!(counts("All leads"), [4, 3, 2, 2, 1, 1, 0], "approved, but nothing published yet");
    assert_eq!(counts("march.csv"), [3, 2, 2, 2, 1, 1, 0], "Ann stays with the batch that first brought her");
    assert_eq!(counts("april.csv"), [1, 1, 0, 0, 0, 0, 0]);
    assert_eq!(rows[0]["label"], "All leads", "the overall funnel comes first");
    // Bob publishes a service and goes live; a paused one would not count.
    sqlx::query("INSERT INTO service_types (slug, name) VALUES ('coaching', 'Coaching')")
        .execute(&app.pool)
        .await
        .unwrap();
    for (slug, status) in [("bob-paused", "paused"), ("bob-live", "active")] {
        sqlx::query(
            "INSERT INTO services (practitioner_id, type_id, slug, title, description, delivery, price_credits, status,
                                   created_at, updated_at)
             SELECT p.user_id, t.id, $1, 'Coaching notes', 'Written notes on your goals and the steps towards them.',
                    'written', 5, $2, now(), now()
             FROM practitioner_profiles p, service_types t WHERE p.slug = 'bob-two' AND t.slug = 'coaching'",
        )
        .bind(slug)
        .bind(status)
        .execute(&app.pool)
        .await
        .unwrap();
        let rows: Value = admin.call("admin/practitioners/funnel", &[]).await.json().await.unwrap();
        let live = rows[0]["counts"][6].as_i64().unwrap();
        assert_eq!(live, if status == "active" { 1 } else { 0 }, "after a {status} service");
    }
    let page = admin.get("/admin/practitioners").await.text().await.unwrap();
    assert!(
        page.contains("Onboarding funnel") && page.contains("march.csv") && page.contains("<svg"),
        "the chart is on the page"
    );
}

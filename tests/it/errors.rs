//! Database rules reach people as specific answers, chosen by constraint name.

use crate::helpers::*;
use attune::domain::{AppError, Role};
use attune::server::error::{Failure, Violation, violation};
use reqwest::StatusCode;

#[tokio::test]
async fn each_kind_of_refused_write_is_named_and_answered_specifically() {
    let app = spawn_app().await;
    let user = app.user(Role::Customer).await;
    let refused = |sql: &'static str| {
        let pool = app.pool.clone();
        let email = user.email.clone();
        async move { sqlx::query(sql).bind(email).execute(&pool).await.unwrap_err() }
    };

    let e = refused("INSERT INTO users (email, password_hash, name) VALUES ($1, 'x', 'Y')").await;
    assert_eq!(violation(&e), Some(Violation::Unique("users_email_key".into())));
    assert_eq!(Failure::from(e).answer(), AppError::EmailTaken);

    let e = refused("UPDATE users SET name = '' WHERE email = $1").await;
    assert_eq!(violation(&e), Some(Violation::Check("users_name_check".into())));
    assert_eq!(Failure::from(e).answer().field(), Some("name"));

    let e = refused(
        "INSERT INTO password_reset_tokens (token_hash, user_id, expires_at)
         SELECT sha256($1::bytea), gen_random_uuid(), now() + interval '1 hour'",
    )
    .await;
    assert!(matches!(violation(&e), Some(Violation::ForeignKey(_))), "{e}");
    assert_eq!(Failure::from(e).answer(), AppError::NotFound);

    sqlx::query(
        "CREATE TABLE holds (during tstzrange, CONSTRAINT holds_no_overlap EXCLUDE USING gist (during WITH &&))",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let hold = "INSERT INTO holds VALUES (tstzrange(now(), now() + interval '1 hour')) RETURNING $1::text";
    sqlx::query(hold).bind("x").execute(&app.pool).await.unwrap();
    let e = refused(hold).await;
    assert_eq!(violation(&e), Some(Violation::Exclusion("holds_no_overlap".into())));
    assert_eq!(Failure::from(e).answer(), AppError::Conflict);

    let e = refused("UPDATE users SET code = 5 WHERE email = $1").await;
    assert!(
        matches!(Failure::from(e).answer(), AppError::Internal { .. }),
        "an unexpected rule is a bug, not a message"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_sign_ups_racing_for_one_email_get_one_account_and_one_clear_conflict() {
    let app = spawn_app().await;
    for round in 0..5 {
        let email = format!("race{round}@example.com");
        let (mut a, mut b) = (Browser::new(&app), Browser::new(&app));
        let form = [("name", "Ada"), ("email", email.as_str()), ("password", PASSWORD)];
        let (ra, rb) = tokio::join!(a.call("auth/signup", &form), b.call("auth/signup", &form));
        assert_eq!((ra.status(), rb.status()), (StatusCode::OK, StatusCode::OK), "each is asked to open its link");
        let links = secret_links_from_outbox(&app.pool, "confirm_sign_up", &email).await;
        let tokens: Vec<&str> = links.iter().map(|l| l.split_once("token=").unwrap().1).collect();
        assert_eq!(tokens.len(), 2, "round {round}");
        let (first, second) = ([("token", tokens[0])], [("token", tokens[1])]);
        let (ra, rb) = tokio::join!(a.call("auth/signup/confirm", &first), b.call("auth/signup/confirm", &second));
        let mut statuses = [ra.status(), rb.status()];
        statuses.sort();
        assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT], "round {round}");
        let accounts: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE email = $1")
            .bind(&email)
            .fetch_one(&app.pool)
            .await
            .unwrap();
        assert_eq!(accounts, 1);
    }
}

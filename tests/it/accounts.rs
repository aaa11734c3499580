//! Accounts and sessions through HTTP on a spawned app with its own database.

use crate::helpers::*;
use attune::domain::Role;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn signing_up_logs_in_and_logging_out_ends_the_session() {
    let app = spawn_app().await;
    let mut b = Browser::new(&app);
    assert_eq!(b.me().await, json!(null));

    let res = b.sign_up("Ada Lovelace", "Ada@Example.com", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["location"], "/dashboard");
    let me = b.me().await;
    assert_eq!(me["email"], "ada@example.com");
    assert_eq!(me["role"], "customer");
    assert!(me["code"].as_i64().unwrap() >= 100_000);

    let res = b.call("auth/logout", &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(b.me().await, json!(null));

    let res = b.log_in("ada@example.com", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["location"], "/dashboard");
    assert_eq!(b.me().await["email"], "ada@example.com");
}

#[tokio::test]
async fn user_codes_come_from_a_sequence_starting_at_u100000() {
    let app = spawn_app().await;
    let mut a = Browser::new(&app);
    a.sign_up("First", "first@example.com", PASSWORD).await;
    let mut b = Browser::new(&app);
    b.sign_up("Second", "second@example.com", PASSWORD).await;
    let first = a.me().await["code"].as_i64().unwrap();
    let second = b.me().await["code"].as_i64().unwrap();
    assert_eq!(first, 100_000);
    assert_eq!(second, 100_001);
}

#[tokio::test]
async fn the_session_id_changes_at_login_and_the_old_id_is_dead() {
    let app = spawn_app().await;
    let mut b = signed_in(&app, "sam@example.com", Role::Customer).await;
    let first = b.cookie.clone().expect("session cookie after login");
    b.log_in("sam@example.com", PASSWORD).await;
    let second = b.cookie.clone().unwrap();
    assert_ne!(first, second, "logging in must issue a new session id");
    assert_eq!(b.me().await["email"], "sam@example.com");

    let mut replay = Browser::new(&app);
    replay.cookie = Some(first);
    assert_eq!(replay.me().await, json!(null), "the old session id must not work");

    b.call("auth/logout", &[]).await;
    let mut after_logout = Browser::new(&app);
    after_logout.cookie = Some(second);
    assert_eq!(after_logout.me().await, json!(null), "a logged-out session id must not work");
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_same_site_lax() {
    let app = spawn_app().await;
    let mut b = Browser::new(&app);
    let res = b.sign_up("Ada", "ada@example.com", PASSWORD).await;
    let set_cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    assert!(!set_cookie.contains("Secure"), "plain-http development must not set Secure: {set_cookie}");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer() {
    let app = spawn_app().await;
    create_user(&app, "sam@example.com", PASSWORD, Role::Customer).await;
    let mut b = Browser::new(&app);
    let (s1, e1) = error_of(b.log_in("sam@example.com", "not the password").await).await;
    let (s2, e2) = error_of(b.log_in("nobody@example.com", "not the password").await).await;
    assert_eq!(s1, StatusCode::UNAUTHORIZED);
    assert_eq!((s1, e1.clone()), (s2, e2));
    assert_eq!(e1, json!("InvalidCredentials"));
    assert!(b.cookie.is_none());
}

#[tokio::test]
async fn each_bad_sign_up_field_gets_a_specific_message_and_writes_nothing() {
    let app = spawn_app().await;
    let long_name = "n".repeat(101);
    let long_email = format!("{}@example.com", "e".repeat(250));
    let cases: [(&str, &str, &str, &str, &str); 6] = [
        ("Ada", "not-an-email", PASSWORD, "email", "name@example.com"),
        ("Ada", &long_email, PASSWORD, "email", "too long"),
        ("Ada", "ada@example.com", "short", "password", "at least 10"),
        ("Ada", "ada@example.com", "password123", "password", "too common"),
        (&long_name, "ada@example.com", PASSWORD, "name", "at most 100"),
        ("   ", "ada@example.com", PASSWORD, "name", "Enter your name"),
    ];
    for (name, email, password, field, words) in cases {
        let mut b = Browser::new(&app);
        let (status, err) = error_of(b.sign_up(name, email, password).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {err}");
        assert_eq!(err["Invalid"]["field"], field, "{err}");
        let message = err["Invalid"]["message"].as_str().unwrap();
        assert!(message.contains(words), "{field}: `{message}` should mention `{words}`");
    }
    assert_eq!(count(&app.pool, "users").await, 0);
    assert_eq!(count(&app.pool, "email_outbox").await, 0);
    assert_eq!(count(&app.pool, "jobs").await, 0);
}

#[tokio::test]
async fn oversize_request_bodies_are_refused() {
    let app = spawn_app().await;
    let mut b = Browser::new(&app);
    let huge = "x".repeat(attune::server::http::BODY_LIMIT + 1);
    let res = b.sign_up(&huge, "ada@example.com", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(count(&app.pool, "users").await, 0);
}

#[tokio::test]
async fn the_welcome_email_is_written_with_the_user_in_one_transaction() {
    let app = spawn_app().await;
    let mut b = Browser::new(&app);
    b.sign_up("Ada", "ada@example.com", PASSWORD).await;
    let row: (String, String, String) = sqlx::query_as(
        "SELECT o.template, o.to_address, j.kind FROM email_outbox o JOIN users u ON u.id = o.user_id
         JOIN jobs j ON (j.payload->>'outbox_id')::bigint = o.id",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(row, ("welcome".into(), "ada@example.com".into(), "deliver_email".into()));

    // Make the outbox refuse writes: the user row must not survive without its email.
    sqlx::raw_sql(
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'outbox down'; END $$;
         CREATE TRIGGER refuse BEFORE INSERT ON email_outbox FOR EACH ROW EXECUTE FUNCTION refuse();",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let mut c = Browser::new(&app);
    let (status, err) = error_of(c.sign_up("Bob", "bob@example.com", PASSWORD).await).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(err["Internal"]["request_id"].as_str().is_some_and(|id| id.len() > 8), "{err}");
    assert_eq!(count(&app.pool, "users").await, 1, "the user row must roll back with its email");
}

#[tokio::test]
async fn a_cross_origin_post_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let mut b = Browser::new(&app);
    let form = [("name", "Eve"), ("email", "eve@example.com"), ("password", PASSWORD)];
    let res = b.call_with("auth/signup", &form, &[("origin", "https://evil.example")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = b.call_with("auth/signup", &form, &[("sec-fetch-site", "cross-site")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = b.call_with("auth/signup", &form, &[("origin", "null")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(count(&app.pool, "users").await, 0);
}

#[tokio::test]
async fn anonymous_callers_get_401_and_customers_get_403_from_admin_functions() {
    let app = spawn_app().await;
    let mut anon = Browser::new(&app);
    let (status, err) = error_of(anon.call("admin/users", &[("query", ""), ("page", "0")]).await).await;
    assert_eq!((status, err), (StatusCode::UNAUTHORIZED, json!("Unauthenticated")));

    let mut customer = signed_in(&app, "cus@example.com", Role::Customer).await;
    for (endpoint, form) in [
        ("admin/users", vec![("query", ""), ("page", "0")]),
        ("admin/outbox", vec![]),
        ("admin/jobs", vec![]),
        ("admin/users/role", vec![("user_id", "00000000-0000-0000-0000-000000000000"), ("role", "admin")]),
    ] {
        let (status, err) = error_of(customer.call(endpoint, &form).await).await;
        assert_eq!((status, err), (StatusCode::FORBIDDEN, json!("Forbidden")), "{endpoint}");
    }
    let res = customer.call("account/profile", &[]).await;
    assert_eq!(res.status(), StatusCode::OK, "customers may read their own profile");
}

#[tokio::test]
async fn protected_pages_redirect_visitors_to_login_with_a_return_path() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    for (path, next) in
        [("/dashboard", "/dashboard"), ("/admin?q=a b", "/admin%3Fq%3Da%2520b"), ("/practitioner", "/practitioner")]
    {
        let res = b.get(path).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(res.headers()["location"], format!("/login?next={next}"));
        let body = res.text().await.unwrap();
        assert!(!body.contains("Admin"), "no protected content may be sent");
    }
}

/// Logs in as a browser behind our one proxy would, from `client` (which also writes a
/// made-up address of its own at the left of `X-Forwarded-For`).
async fn log_in_from(b: &mut Browser<'_>, client: &str, email: &str, password: &str) -> reqwest::Response {
    let spoofed = format!("10.9.{}.{}", rand_octet(), rand_octet());
    let forwarded = format!("{spoofed}, {client}");
    let origin = b.app.base.clone();
    b.call_with(
        "auth/login",
        &[("email", email), ("password", password)],
        &[("origin", origin.as_str()), ("x-forwarded-for", forwarded.as_str())],
    )
    .await
}

fn rand_octet() -> u8 {
    uuid::Uuid::new_v4().as_bytes()[0]
}

#[tokio::test]
async fn wrong_passwords_are_limited_per_account_and_address_but_the_owner_elsewhere_gets_in() {
    let app = spawn_app_with(|c| c.proxy_hops = 1).await;
    let owner = app.user(Role::Customer).await;
    let mut attacker = Browser::new(&app);
    let limit = attune::server::rate_limit::LOGIN_FAILURES_PER_ACCOUNT_AND_IP.max;
    for _ in 0..limit {
        let res = log_in_from(&mut attacker, "198.51.100.7", &owner.email, "wrong password!").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = log_in_from(&mut attacker, "198.51.100.7", &owner.email, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "changing the spoofed address does not help");
    let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    let (_, err) = error_of(res).await;
    assert!(err["RateLimited"]["retry_after_secs"].as_u64().is_some());
    assert!(attacker.cookie.is_none(), "a rate-limited login must not sign in, even with the right password");

    let mut owner_browser = Browser::new(&app);
    let res = log_in_from(&mut owner_browser, "203.0.113.20", &owner.email, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK, "the owner, elsewhere, is not locked out by a stranger");

    app.advance(std::time::Duration::from_secs(15 * 60));
    let res = log_in_from(&mut attacker, "198.51.100.7", &owner.email, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK, "the window passes");
}

#[tokio::test]
async fn only_failures_count_and_a_success_clears_them() {
    let app = spawn_app_with(|c| c.proxy_hops = 1).await;
    let user = app.user(Role::Customer).await;
    let mut b = Browser::new(&app);
    for _ in 0..20 {
        let res = log_in_from(&mut b, "198.51.100.7", &user.email, PASSWORD).await;
        assert_eq!(res.status(), StatusCode::OK, "successful logins are never limited");
    }
    let limit = attune::server::rate_limit::LOGIN_FAILURES_PER_ACCOUNT_AND_IP.max;
    for round in 0..3 {
        for _ in 0..limit - 1 {
            let res = log_in_from(&mut b, "198.51.100.7", &user.email, "wrong password!").await;
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "round {round}");
        }
        let res = log_in_from(&mut b, "198.51.100.7", &user.email, PASSWORD).await;
        assert_eq!(res.status(), StatusCode::OK, "a success wipes the failures before it (round {round})");
    }
}

#[tokio::test]
async fn guessing_from_many_addresses_meets_the_account_limit_but_not_at_the_owners_usual_address() {
    let app = spawn_app_with(|c| c.proxy_hops = 1).await;
    let owner = app.user(Role::Customer).await;
    let mut home = Browser::new(&app);
    assert_eq!(log_in_from(&mut home, "203.0.113.20", &owner.email, PASSWORD).await.status(), StatusCode::OK);

    let mut attacker = Browser::new(&app);
    let per_pair = attune::server::rate_limit::LOGIN_FAILURES_PER_ACCOUNT_AND_IP.max;
    let per_account = attune::server::rate_limit::LOGIN_FAILURES_PER_ACCOUNT.max;
    for i in 0..per_account {
        let ip = format!("198.51.{}.{}", i / per_pair, i % per_pair + 1);
        let res = log_in_from(&mut attacker, &ip, &owner.email, "wrong password!").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let res = log_in_from(&mut attacker, "192.0.2.99", &owner.email, "wrong password!").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "a new address meets the per-account limit");
    let mut again = Browser::new(&app);
    let res = log_in_from(&mut again, "203.0.113.20", &owner.email, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK, "the owner's usual address is exempt");
}

#[tokio::test]
async fn rate_limit_keys_are_hashed_so_no_typed_value_reaches_the_table() {
    let app = spawn_app().await;
    let mut b = Browser::new(&app);
    let long = format!("{}@example.com", "x".repeat(5000));
    let res = b.log_in(&long, "wrong password!").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let keys: Vec<String> =
        sqlx::query_scalar("SELECT bucket FROM rate_limit_counters").fetch_all(&app.pool).await.unwrap();
    assert!(!keys.is_empty());
    for key in keys {
        assert!(key.len() < 100 && !key.contains("xxxx") && !key.contains("example.com"), "{key}");
    }
}

#[tokio::test]
async fn a_hostile_next_parameter_never_leads_off_the_site() {
    let app = spawn_app().await;
    let user = app.user(Role::Customer).await;
    let long = format!("/{}", "a".repeat(5000));
    for next in [
        "//evil.example",
        "/\\evil.example",
        "/\t/evil.example",
        "/\r\n/x",
        "https:evil.example",
        "\\evil",
        long.as_str(),
    ] {
        let mut b = Browser::new(&app);
        let res = b.call("auth/login", &[("email", &user.email), ("password", PASSWORD), ("next", next)]).await;
        assert_eq!(res.status(), StatusCode::OK, "{next:?}");
        assert_eq!(res.headers()["location"], "/dashboard", "{next:?}");
    }
    let mut b = Browser::new(&app);
    let res = b
        .call("auth/login", &[("email", &user.email), ("password", PASSWORD), ("next", "/dashboard?tab=security")])
        .await;
    assert_eq!(res.headers()["location"], "/dashboard?tab=security");
}

#[tokio::test]
async fn sign_out_everywhere_ends_other_sessions_but_keeps_this_one() {
    let app = spawn_app().await;
    let mut laptop = signed_in(&app, "sam@example.com", Role::Customer).await;
    let mut phone = Browser::new(&app);
    phone.log_in("sam@example.com", PASSWORD).await;

    assert_eq!(laptop.call("account/sign-out-everywhere", &[]).await.status(), StatusCode::OK);
    assert_eq!(laptop.me().await["email"], "sam@example.com");
    assert_eq!(phone.me().await, json!(null));
}

#[tokio::test]
async fn changing_the_password_checks_the_current_one_and_ends_other_sessions() {
    let app = spawn_app().await;
    let mut laptop = signed_in(&app, "sam@example.com", Role::Customer).await;
    let mut phone = Browser::new(&app);
    phone.log_in("sam@example.com", PASSWORD).await;

    let new = "another long passphrase";
    let (status, err) =
        error_of(laptop.call("account/password", &[("current_password", "wrong one!"), ("new_password", new)]).await)
            .await;
    assert_eq!((status, err), (StatusCode::UNPROCESSABLE_ENTITY, json!("WrongCurrentPassword")));
    let (status, err) =
        error_of(laptop.call("account/password", &[("current_password", PASSWORD), ("new_password", "short")]).await)
            .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["Invalid"]["field"], "new_password");
    assert_eq!(phone.me().await["email"], "sam@example.com", "failed changes must not end sessions");

    let res = laptop.call("account/password", &[("current_password", PASSWORD), ("new_password", new)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(laptop.me().await["email"], "sam@example.com");
    assert_eq!(phone.me().await, json!(null));
    let mut fresh = Browser::new(&app);
    assert_eq!(fresh.log_in("sam@example.com", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(fresh.log_in("sam@example.com", new).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn profiles_are_validated_and_saved() {
    let app = spawn_app().await;
    let mut b = Browser::new(&app);
    b.sign_up("Ada", "ada@example.com", PASSWORD).await;
    let (status, err) = error_of(
        b.call("account/profile/update", &[("name", "Ada L"), ("phone", "0207 946"), ("time_zone", "Europe/London")])
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["Invalid"]["field"], "phone");
    let (_, err) = error_of(
        b.call("account/profile/update", &[("name", "Ada L"), ("phone", ""), ("time_zone", "Mars/Base")]).await,
    )
    .await;
    assert_eq!(err["Invalid"]["field"], "time_zone");
    let profile: serde_json::Value = b.call("account/profile", &[]).await.json().await.unwrap();
    assert_eq!(profile["name"], "Ada", "rejected updates change nothing");

    let res = b
        .call(
            "account/profile/update",
            &[("name", "  Ada   Lovelace "), ("phone", "+44 20 7946 0958"), ("time_zone", "Europe/London")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let profile: serde_json::Value = b.call("account/profile", &[]).await.json().await.unwrap();
    assert_eq!(profile["name"], "Ada Lovelace");
    assert_eq!(profile["phone"], "+442079460958");
    assert_eq!(profile["time_zone"], "Europe/London");
}

#[tokio::test]
async fn a_plain_form_post_redirects_back_with_the_error_or_onward_on_success() {
    let app = spawn_app().await;
    create_user(&app, "sam@example.com", PASSWORD, Role::Customer).await;
    let mut b = Browser::new(&app);
    let referer = format!("{}/login", app.base);
    let html = [("accept", "text/html"), ("referer", referer.as_str()), ("origin", app.base.as_str())];
    let res = b
        .call_with("auth/login", &[("email", "sam@example.com"), ("password", "wrong password"), ("next", "")], &html)
        .await;
    assert_eq!(res.status(), StatusCode::FOUND);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(&referer) && location.contains("__err="), "{location}");

    let res = b
        .call_with(
            "auth/login",
            &[("email", "sam@example.com"), ("password", PASSWORD), ("next", "/dashboard?tab=security")],
            &html,
        )
        .await;
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(res.headers()["location"], "/dashboard?tab=security");
    let res = b
        .call_with(
            "auth/login",
            &[("email", "sam@example.com"), ("password", PASSWORD), ("next", "https://evil.example/")],
            &html,
        )
        .await;
    assert_eq!(res.headers()["location"], "/dashboard", "foreign return paths are ignored");
}

#[tokio::test]
async fn admins_change_roles_which_is_audited_and_ends_the_targets_sessions() {
    let app = spawn_app().await;
    create_user(&app, "boss@example.com", PASSWORD, Role::Admin).await;
    create_user(&app, "pat@example.com", PASSWORD, Role::Customer).await;
    let mut admin = Browser::new(&app);
    admin.log_in("boss@example.com", PASSWORD).await;
    let mut pat = Browser::new(&app);
    pat.log_in("pat@example.com", PASSWORD).await;

    let page: serde_json::Value =
        admin.call("admin/users", &[("query", "pat@"), ("page", "0")]).await.json().await.unwrap();
    assert_eq!(page["total"], 1);
    let pat_id = page["rows"][0]["id"].as_str().unwrap().to_owned();
    let code = page["rows"][0]["code"].as_i64().unwrap();
    let by_code: serde_json::Value =
        admin.call("admin/users", &[("query", &format!("U{code}")), ("page", "0")]).await.json().await.unwrap();
    assert_eq!(by_code["rows"][0]["id"], pat_id.as_str());

    let (status, err) =
        error_of(admin.call("admin/users/role", &[("user_id", &pat_id), ("role", "superuser")]).await).await;
    assert_eq!((status, err["Invalid"]["field"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("role")));

    let res = admin.call("admin/users/role", &[("user_id", &pat_id), ("role", "practitioner")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(pat.me().await, json!(null), "a privilege change ends the target's sessions");
    let audit: (String, serde_json::Value) =
        sqlx::query_as("SELECT action, details FROM audit_log").fetch_one(&app.pool).await.unwrap();
    assert_eq!(audit, ("user.role_changed".into(), json!({ "from": "customer", "to": "practitioner" })));

    let me: serde_json::Value = admin.me().await;
    let demote_me = [("user_id", me["id"].as_str().unwrap()), ("role", "customer")];
    let (status, err) = error_of(admin.call("admin/users/role", &demote_me).await).await;
    assert_eq!((status, err), (StatusCode::CONFLICT, json!("LastAdmin")), "the only admin stays one");
    let other = app.user(Role::Admin).await;
    let (status, err) = error_of(admin.call("admin/users/role", &demote_me).await).await;
    assert_eq!(
        (status, err["Invalid"]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("role")),
        "nor may admins demote themselves"
    );
    let demote_other = [("user_id", other.id.to_string()), ("role", "customer".to_owned())];
    let demote_other: Vec<(&str, &str)> = demote_other.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(admin.call("admin/users/role", &demote_other).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_idle_session_expires() {
    let app = spawn_app_with(|c| c.session_idle = std::time::Duration::from_secs(3600)).await;
    let (mut b, user) = app.browser_as(Role::Customer).await;
    assert_eq!(b.me().await["email"], user.email.as_str());
    app.advance(std::time::Duration::from_secs(3599));
    assert_eq!(b.me().await["email"], user.email.as_str(), "still in a second before the idle limit");
    app.advance(std::time::Duration::from_secs(3600));
    assert_eq!(b.me().await, json!(null), "an hour without a request ends it");
}

#[tokio::test]
async fn activity_keeps_a_session_alive_past_the_idle_limit_counted_from_login() {
    let app = spawn_app_with(|c| c.session_idle = std::time::Duration::from_secs(3600)).await;
    let (mut b, user) = app.browser_as(Role::Customer).await;
    for _ in 0..6 {
        app.advance(std::time::Duration::from_secs(40 * 60));
        assert_eq!(b.me().await["email"], user.email.as_str(), "a request every 40 minutes keeps it alive");
    }
    // Four hours after login, an hour of silence still ends it.
    app.advance(std::time::Duration::from_secs(3600));
    assert_eq!(b.me().await, json!(null));
}

#[tokio::test]
async fn the_idle_refresh_writes_the_session_row_only_now_and_then() {
    let app = spawn_app_with(|c| c.session_idle = std::time::Duration::from_secs(3600)).await;
    let (mut b, _) = app.browser_as(Role::Customer).await;
    let data = || async {
        sqlx::query_scalar::<_, Vec<u8>>("SELECT data FROM tower_sessions.session").fetch_one(&app.pool).await.unwrap()
    };
    let at_login = data().await;
    for _ in 0..5 {
        app.advance(std::time::Duration::from_secs(60));
        b.me().await;
    }
    assert_eq!(data().await, at_login, "requests within a tenth of the idle limit write nothing");
    app.advance(std::time::Duration::from_secs(60));
    b.me().await;
    assert_ne!(data().await, at_login, "after six minutes the last-seen time is written");
}

#[tokio::test]
async fn a_session_ends_at_its_absolute_lifetime_however_active() {
    let app = spawn_app_with(|c| {
        c.session_idle = std::time::Duration::from_secs(3600);
        c.session_absolute = std::time::Duration::from_secs(4 * 3600);
    })
    .await;
    let (mut b, user) = app.browser_as(Role::Customer).await;
    for _ in 0..7 {
        app.advance(std::time::Duration::from_secs(30 * 60));
        assert_eq!(b.me().await["email"], user.email.as_str());
    }
    app.advance(std::time::Duration::from_secs(30 * 60));
    assert_eq!(b.me().await, json!(null), "activity must not extend the absolute lifetime");
}

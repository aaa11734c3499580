//! Time zones: any IANA zone can be chosen, sign-up keeps the browser's zone, and
//! pages and emails show instants in the reader's zone.

use crate::helpers::*;
use attune::domain::Role;
use attune::domain::TimeZone;
use attune::domain::datetime::{Style, show};
use reqwest::{Response, StatusCode};

async fn set_zone(b: &mut Browser<'_>, zone: &str) -> Response {
    b.call("account/profile/update", &[("name", "Test Person"), ("phone", ""), ("time_zone", zone)]).await
}

/// The text of the first `<time>` element after `marker`, and its `datetime`.
fn time_after(html: &str, marker: &str) -> (String, String) {
    let from = html.find(marker).unwrap_or_else(|| panic!("{marker} in {html}"));
    let rest = &html[from..];
    let start = rest.find("<time datetime=\"").expect("a <time> element") + 16;
    let datetime = &rest[start..start + rest[start..].find('"').unwrap()];
    let text_start = start + rest[start..].find('>').unwrap() + 1;
    let text = &rest[text_start..text_start + rest[text_start..].find("</time>").unwrap()];
    (datetime.to_owned(), text.replace("<!>", ""))
}

#[tokio::test]
async fn any_iana_zone_can_be_chosen_in_its_canonical_spelling_and_unknown_ones_change_nothing() {
    let app = spawn_app().await;
    let (mut b, _) = app.browser_as(Role::Customer).await;
    assert_eq!(b.me().await["time_zone"], "UTC");

    assert_eq!(set_zone(&mut b, "pacific/chatham").await.status(), StatusCode::OK);
    assert_eq!(b.me().await["time_zone"], "Pacific/Chatham", "a zone the old curated list did not have");

    for bad in ["Mars/Base", "Europe/London;", "", &"Europe/".repeat(20)] {
        let (status, err) = error_of(set_zone(&mut b, bad).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
        assert_eq!(err["Invalid"]["field"], "time_zone", "{bad:?}");
    }
    assert_eq!(b.me().await["time_zone"], "Pacific/Chatham", "refused zones change nothing");

    let html = b.get("/dashboard").await.text().await.unwrap();
    let chosen = html.find(r#"value="Pacific/Chatham""#).expect("the zone is offered");
    let option = html[chosen..chosen + html[chosen..].find("</option>").unwrap()].replace("<!>", "");
    assert!(option.contains(" selected") && option.ends_with(">Chatham"), "the current zone is chosen: {option}");
    assert!(html.contains(r#"<optgroup label="Americas">"#));
    assert!(html.matches("<option ").count() > 300, "every zone in the database is offered");
}

#[tokio::test]
async fn sign_up_keeps_the_zone_the_browser_reports_and_falls_back_to_utc() {
    let app = spawn_app().await;
    let cases =
        [(Some("Asia/Kolkata"), "Asia/Kolkata"), (Some("Nowhere/Land"), "UTC"), (Some(""), "UTC"), (None, "UTC")];
    for (i, (reported, kept)) in cases.into_iter().enumerate() {
        let mut b = Browser::new(&app);
        let email = format!("zone{i}@example.com");
        let mut form = vec![("name", "Zed"), ("email", email.as_str()), ("password", PASSWORD)];
        form.extend(reported.map(|z| ("time_zone", z)));
        assert_eq!(b.call("auth/signup", &form).await.status(), StatusCode::OK, "{reported:?}");
        assert_eq!(b.confirm_sign_up(&email).await.unwrap().status(), StatusCode::OK, "{reported:?}");
        assert_eq!(b.me().await["time_zone"], kept, "{reported:?}");
    }
}

#[tokio::test]
async fn pages_show_instants_in_the_readers_zone_and_utc_to_visitors() {
    let app = spawn_app().await;
    let (mut b, _) = app.browser_as(Role::Admin).await;
    assert_eq!(set_zone(&mut b, "Asia/Kathmandu").await.status(), StatusCode::OK);
    let zone = TimeZone::parse("Asia/Kathmandu").unwrap();

    let home = b.get("/").await.text().await.unwrap();
    let (datetime, text) = time_after(&home, "Counted from our records as of");
    let at: jiff::Timestamp = datetime.parse().unwrap();
    assert_eq!(text, show(at, &zone, Style::DateTime));
    assert!(text.ends_with("UTC+05:45"), "{text}");

    let visitor = Browser::new(&app).get("/").await.text().await.unwrap();
    let (_, text) = time_after(&visitor, "Counted from our records as of");
    assert_eq!(text, show(at, &TimeZone::utc(), Style::DateTime));

    let admin = b.get("/admin").await.text().await.unwrap();
    let (datetime, text) = time_after(&admin, "<tbody>");
    assert_eq!(text, show(datetime.parse().unwrap(), &zone, Style::DateTime), "admin tables too");

    let dashboard = b.get("/dashboard").await.text().await.unwrap();
    let (datetime, text) = time_after(&dashboard, "member since");
    assert_eq!(text, show(datetime.parse().unwrap(), &zone, Style::Date));
}

#[tokio::test]
async fn the_reset_email_says_until_when_in_the_readers_zone() {
    let app = spawn_app().await;
    let (mut b, user) = app.browser_as(Role::Customer).await;
    assert_eq!(set_zone(&mut b, "America/New_York").await.status(), StatusCode::OK);
    assert_eq!(Browser::new(&app).call("auth/forgot", &[("email", &user.email)]).await.status(), StatusCode::OK);

    let expires: String = sqlx::query_scalar(
        r#"SELECT to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') FROM password_reset_tokens"#,
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let until = show(expires.parse().unwrap(), &TimeZone::parse("America/New_York").unwrap(), Style::DateTime);
    assert!(until.ends_with(" EST") || until.ends_with(" EDT"), "{until}");
    let (text, html): (String, String) =
        sqlx::query_as("SELECT body_text, body_html FROM email_outbox WHERE template = 'password_reset'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    for part in [text, html] {
        assert!(part.contains(&format!("works once, until {until}.")), "{part}");
    }
}

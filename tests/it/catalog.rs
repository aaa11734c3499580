//! The catalog: service types, practitioners' services with their questions, the
//! directory's search, the public service pages, and the sitemap. One price function
//! feeds every page, so every page shows the same amount.

use crate::helpers::*;
use attune::domain::Locale;
use attune::domain::Role;
use attune::domain::catalog::Price;
use attune::domain::{Currency, Money};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

const DESCRIPTION: &str = "A full reading of your birth chart over video, recorded for you to keep.";

async fn add_type(app: &TestApp, slug: &str, name: &str) {
    sqlx::query("INSERT INTO service_types (slug, name) VALUES ($1, $2)")
        .bind(slug)
        .bind(name)
        .execute(&app.pool)
        .await
        .unwrap();
}

/// A logged-in approved practitioner.
async fn live<'a>(app: &'a TestApp) -> (Browser<'a>, TestUser) {
    let user = approved_practitioner(app).await;
    let mut b = Browser::new(app);
    assert_eq!(b.log_in(&user.email, PASSWORD).await.status(), StatusCode::OK);
    (b, user)
}

fn service_fields<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("id", ""),
        ("publish", "on"),
        ("title", "Birth chart reading"),
        ("service_type", "astrology-reading"),
        ("description", DESCRIPTION),
        ("delivery", "video"),
        ("duration_minutes", "60"),
        ("price_credits", "12"),
        ("card_price", "49.00"),
        ("currency", "EUR"),
    ];
    for (k, v) in extra {
        fields.retain(|(key, _)| key != k);
        fields.push((k, v));
    }
    fields
}

/// Saves a service and returns its id, from the editor address the save redirects to.
async fn save(b: &mut Browser<'_>, extra: &[(&str, &str)]) -> Uuid {
    let res = b.call("practitioner/services/save", &service_fields(extra)).await;
    let location = res.headers().get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
    let status = res.status();
    assert_eq!(status, StatusCode::OK, "{}", res.text().await.unwrap());
    let id = location.strip_prefix("/practitioner/services/").and_then(|r| r.split('?').next()).unwrap();
    Uuid::parse_str(id).unwrap()
}

/// Calls a server function with owned field values.
async fn call(b: &mut Browser<'_>, endpoint: &str, fields: Vec<(&str, String)>) -> Response {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    b.call(endpoint, &pairs).await
}

async fn set_status(b: &mut Browser<'_>, id: &str, status: &str) -> Response {
    b.call("practitioner/services/status", &[("id", id), ("status", status)]).await
}

async fn save_type(b: &mut Browser<'_>, fields: Vec<(&str, String)>) -> Response {
    call(b, "admin/service-types/save", fields).await
}

async fn one_service(b: &mut Browser<'_>, id: &str) -> Value {
    b.call("practitioner/services/one", &[("id", id)]).await.json().await.unwrap()
}

async fn field_error(res: Response) -> (StatusCode, String) {
    let (status, body) = error_of(res).await;
    (status, body["Invalid"]["field"].as_str().unwrap_or_else(|| panic!("not a field error: {body}")).to_owned())
}

async fn html(b: &Browser<'_>, path: &str) -> (StatusCode, String) {
    let res = b.get(path).await;
    (res.status(), res.text().await.unwrap())
}

/// The text of every element marked `data-testid="<id>"`.
fn texts_of(html: &str, id: &str) -> Vec<String> {
    let marker = format!("data-testid=\"{id}\"");
    html.match_indices(&marker)
        .map(|(at, _)| {
            let rest = &html[at..];
            let start = rest.find('>').unwrap() + 1;
            let end = rest[start..].find('<').unwrap();
            rest[start..start + end].to_owned()
        })
        .collect()
}

async fn slug_of(app: &TestApp, id: Uuid) -> String {
    sqlx::query_scalar("SELECT slug FROM services WHERE id = $1").bind(id).fetch_one(&app.pool).await.unwrap()
}

async fn service_writes(app: &TestApp) -> (i64, i64) {
    let audit: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action LIKE 'service.%'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    (count(&app.pool, "services").await, audit)
}

#[tokio::test]
async fn a_practitioner_creates_edits_pauses_and_archives_a_service_and_nobody_else_can() {
    let app = spawn_app().await;
    add_type(&app, "astrology-reading", "Astrology reading").await;
    let (mut b, user) = live(&app).await;
    let id = save(&mut b, &[]).await;
    let slug = slug_of(&app, id).await;
    assert_eq!(slug, format!("live-{}-birth-chart-reading", user.id.simple()));
    let visitor = Browser::new(&app);
    let (status, page) = html(&visitor, &format!("/s/{slug}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Birth chart reading"), "{page}");
    assert_eq!(texts_of(&page, "service-price"), ["12 credits · €49.00"]);

    // A second service with the same title gets its own address.
    let twin = save(&mut b, &[]).await;
    assert_eq!(slug_of(&app, twin).await, format!("{slug}-2"));

    // Edit: the price changes everywhere, the address does not.
    let id_text = id.to_string();
    save(
        &mut b,
        &[("id", &id_text), ("title", "Birth chart reading, long"), ("price_credits", "15"), ("card_price", "")],
    )
    .await;
    assert_eq!(slug_of(&app, id).await, slug);
    let (_, page) = html(&visitor, &format!("/s/{slug}")).await;
    assert!(page.contains("Birth chart reading, long"), "{page}");
    assert_eq!(texts_of(&page, "service-price"), ["15 credits"]);

    // Someone else's practitioner, a customer and a visitor cannot touch it.
    let (mut other, _) = live(&app).await;
    let before = service_writes(&app).await;
    let res = other.call("practitioner/services/save", &service_fields(&[("id", &id_text), ("title", "Stolen")])).await;
    assert_eq!(error_of(res).await, (StatusCode::NOT_FOUND, json!("NotFound")));
    let res = other.call("practitioner/services/status", &[("id", &id_text), ("status", "paused")]).await;
    assert_eq!(error_of(res).await, (StatusCode::NOT_FOUND, json!("NotFound")));
    let res = other.call("practitioner/services/one", &[("id", &id_text)]).await;
    assert_eq!(error_of(res).await, (StatusCode::NOT_FOUND, json!("NotFound")));
    let (mut customer, _) = app.browser_as(Role::Customer).await;
    let res = customer.call("practitioner/services/status", &[("id", &id_text), ("status", "paused")]).await;
    assert_eq!(error_of(res).await, (StatusCode::FORBIDDEN, json!("Forbidden")));
    assert_eq!(service_writes(&app).await, before, "nothing written");

    // Pause hides it; publish shows it again; archive hides it from the owner's list;
    // an archived service comes back paused, never straight to published.
    assert_eq!(set_status(&mut b, &id_text, "paused").await.status(), StatusCode::OK);
    assert_eq!(html(&visitor, &format!("/s/{slug}")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(set_status(&mut b, &id_text, "active").await.status(), StatusCode::OK);
    assert_eq!(html(&visitor, &format!("/s/{slug}")).await.0, StatusCode::OK);
    assert_eq!(set_status(&mut b, &id_text, "archived").await.status(), StatusCode::OK);
    let current: Value = b.call("practitioner/services", &[]).await.json().await.unwrap();
    assert!(current.as_array().unwrap().iter().all(|s| s["id"] != json!(id_text)), "{current}");
    let archived: Value = b.call("practitioner/services", &[("archived", "true")]).await.json().await.unwrap();
    assert_eq!(archived.as_array().unwrap().len(), 1);
    let before = service_writes(&app).await;
    assert_eq!(
        field_error(set_status(&mut b, &id_text, "active").await).await,
        (StatusCode::UNPROCESSABLE_ENTITY, "status".into())
    );
    assert_eq!(service_writes(&app).await, before, "a refused move writes nothing");
    assert_eq!(set_status(&mut b, &id_text, "paused").await.status(), StatusCode::OK);

    // The database holds the same rule, and keeps the owner and address fixed.
    let skipped =
        sqlx::query("UPDATE services SET status = 'archived' WHERE id = $1").bind(id).execute(&app.pool).await;
    assert!(skipped.is_ok());
    let illegal = sqlx::query("UPDATE services SET status = 'active' WHERE id = $1").bind(id).execute(&app.pool).await;
    assert!(illegal.unwrap_err().to_string().contains("cannot move from archived to active"));
    let moved = sqlx::query("UPDATE services SET slug = 'elsewhere' WHERE id = $1").bind(id).execute(&app.pool).await;
    assert!(moved.unwrap_err().to_string().contains("keeps its practitioner and address"));
}

#[tokio::test]
async fn bad_service_input_is_refused_by_field_and_writes_nothing() {
    let app = spawn_app().await;
    add_type(&app, "astrology-reading", "Astrology reading").await;
    add_type(&app, "retired", "Retired").await;
    sqlx::query("UPDATE service_types SET active = false WHERE slug = 'retired'").execute(&app.pool).await.unwrap();
    let (mut b, _) = live(&app).await;
    let long_title = "x".repeat(101);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("title", "ab")], "title"),
        (vec![("title", &long_title)], "title"),
        (vec![("service_type", "no-such-type")], "service_type"),
        (vec![("service_type", "retired")], "service_type"),
        (vec![("description", "too short")], "description"),
        (vec![("delivery", "telepathy")], "delivery"),
        (vec![("duration_minutes", "")], "duration_minutes"),
        (vec![("duration_minutes", "7")], "duration_minutes"),
        (vec![("price_credits", "0")], "price_credits"),
        (vec![("price_credits", "-5")], "price_credits"),
        (vec![("price_credits", "9223372036854775808")], "price_credits"),
        (vec![("price_credits", "100001")], "price_credits"),
        (vec![("price_credits", ""), ("card_price", "")], "price_credits"),
        (vec![("card_price", "0.00")], "card_price"),
        (vec![("card_price", "-4.00")], "card_price"),
        (vec![("card_price", "1.005")], "card_price"),
        (vec![("card_price", "99999999999999999999")], "card_price"),
        (vec![("currency", "BTC")], "currency"),
    ];
    for (extra, field) in cases {
        let res = b.call("practitioner/services/save", &service_fields(&extra)).await;
        assert_eq!(field_error(res).await, (StatusCode::UNPROCESSABLE_ENTITY, field.to_owned()), "{extra:?}");
    }
    // Someone else's or no such service, and a malformed id.
    for id in [Uuid::new_v4().to_string(), "not-a-uuid".to_owned()] {
        let res = b.call("practitioner/services/save", &service_fields(&[("id", &id)])).await;
        assert_eq!(error_of(res).await, (StatusCode::NOT_FOUND, json!("NotFound")));
    }
    assert_eq!(service_writes(&app).await, (0, 0));
}

#[tokio::test]
async fn intake_questions_are_added_ordered_and_removed_and_bad_ones_refused() {
    let app = spawn_app().await;
    add_type(&app, "astrology-reading", "Astrology reading").await;
    let (mut b, _) = live(&app).await;
    let id = save(&mut b, &[]).await.to_string();
    let add = |label: &'static str, kind: &'static str, options: &'static str| {
        vec![
            ("service", id.clone()),
            ("label", label.into()),
            ("kind", kind.into()),
            ("required", "on".into()),
            ("options", options.into()),
        ]
    };
    for fields in [
        add("Your date of birth", "date", ""),
        add("Where were you born?", "short_text", ""),
        add("Which area of life?", "choice", "Work\nLove\nHealth"),
    ] {
        assert_eq!(call(&mut b, "practitioner/services/questions/add", fields).await.status(), StatusCode::OK);
    }
    let questions = |v: &Value| -> Vec<String> {
        v["questions"].as_array().unwrap().iter().map(|q| q["label"].as_str().unwrap().to_owned()).collect()
    };
    let s = one_service(&mut b, &id).await;
    assert_eq!(questions(&s), ["Your date of birth", "Where were you born?", "Which area of life?"]);
    assert_eq!(s["questions"][2]["options"], json!(["Work", "Love", "Health"]));
    let third = s["questions"][2]["id"].as_str().unwrap().to_owned();
    let first = s["questions"][0]["id"].as_str().unwrap().to_owned();
    let change = [("service", id.as_str()), ("question", third.as_str()), ("change", "up")];
    assert_eq!(b.call("practitioner/services/questions/change", &change).await.status(), StatusCode::OK);
    let remove = [("service", id.as_str()), ("question", first.as_str()), ("change", "remove")];
    assert_eq!(b.call("practitioner/services/questions/change", &remove).await.status(), StatusCode::OK);
    assert_eq!(questions(&one_service(&mut b, &id).await), ["Which area of life?", "Where were you born?"]);

    // Bad questions and changes are refused by field and change nothing.
    let before = one_service(&mut b, &id).await;
    for (fields, field) in [
        (add("Hi", "short_text", ""), "label"),
        (add("Pick a colour", "essay", ""), "kind"),
        (add("Pick a colour", "choice", "Red"), "options"),
        (add("Pick a colour", "choice", "Red\nred"), "options"),
    ] {
        let res = call(&mut b, "practitioner/services/questions/add", fields).await;
        assert_eq!(field_error(res).await, (StatusCode::UNPROCESSABLE_ENTITY, field.to_owned()));
    }
    let bad = [("service", id.as_str()), ("question", third.as_str()), ("change", "sideways")];
    assert_eq!(field_error(b.call("practitioner/services/questions/change", &bad).await).await.1, "change");
    let gone = [("service", id.as_str()), ("question", first.as_str()), ("change", "remove")];
    assert_eq!(error_of(b.call("practitioner/services/questions/change", &gone).await).await.0, StatusCode::NOT_FOUND);
    assert_eq!(one_service(&mut b, &id).await, before);

    // At most 20: the 21st is refused.
    for _ in 0..18 {
        let res = call(&mut b, "practitioner/services/questions/add", add("Anything else?", "long_text", "")).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    let res = call(&mut b, "practitioner/services/questions/add", add("One too many?", "long_text", "")).await;
    assert_eq!(field_error(res).await.1, "label");
    assert_eq!(one_service(&mut b, &id).await["questions"].as_array().unwrap().len(), 20);
}

/// A live practitioner with a profile and published services: (type, delivery,
/// minutes, credits, card cents).
async fn practitioner_with(
    app: &TestApp,
    name: &str,
    headline: &str,
    languages: &[&str],
    years: i16,
    services: &[(&str, &str, Option<i32>, Option<i64>, Option<i64>)],
) -> (TestUser, String) {
    let user = approved_practitioner(app).await;
    let languages: Vec<String> = languages.iter().map(|l| (*l).to_owned()).collect();
    sqlx::query("UPDATE users SET name = $2 WHERE id = $1").bind(user.id).bind(name).execute(&app.pool).await.unwrap();
    sqlx::query(
        "UPDATE practitioner_profiles SET headline = $2, bio = $5, practice_type = 'Practice',
                location = 'Lisbon', languages = $3, specialties = '{}', years_experience = $4 WHERE user_id = $1",
    )
    .bind(user.id)
    .bind(headline)
    .bind(&languages)
    .bind(years)
    .bind("Sessions that help: calm, practical and adapted to you, online or in person, with notes to keep afterwards.")
    .execute(&app.pool)
    .await
    .unwrap();
    for (i, (kind, delivery, minutes, credits, card)) in services.iter().enumerate() {
        sqlx::query(
            "INSERT INTO services (practitioner_id, type_id, slug, title, description, delivery, duration_minutes,
                                   price_credits, price_minor, currency, status, created_at, updated_at)
             SELECT $1, t.id, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $8::bigint IS NULL THEN NULL ELSE 'EUR' END, 'active', now(), now()
             FROM service_types t WHERE t.slug = $9",
        )
        .bind(user.id)
        .bind(format!("s-{}-{i}", user.id.simple()))
        .bind(format!("{kind} session {i}"))
        .bind(DESCRIPTION)
        .bind(*delivery)
        .bind(*minutes)
        .bind(*credits)
        .bind(*card)
        .bind(*kind)
        .execute(&app.pool)
        .await
        .unwrap();
    }
    let slug = format!("live-{}", user.id.simple());
    (user, slug)
}

async fn search(app: &TestApp, query: &[(&str, &str)]) -> Value {
    let mut b = Browser::new(app);
    let res = b.call("catalog/directory", query).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

fn names(page: &Value) -> Vec<String> {
    page["cards"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn the_directory_finds_live_practitioners_by_words_and_filters_in_order() {
    let app = spawn_app().await;
    add_type(&app, "astrology-reading", "Astrology reading").await;
    add_type(&app, "yoga-class", "Yoga class").await;
    practitioner_with(
        &app,
        "Asha Rao",
        "Vedic astrologer for birth charts",
        &["English", "Hindi"],
        14,
        &[
            ("astrology-reading", "video", Some(60), Some(12), Some(4900)),
            ("astrology-reading", "written", None, Some(8), None),
        ],
    )
    .await;
    let (marco, _) = practitioner_with(
        &app,
        "Marco Rossi",
        "Hatha yoga for strong backs",
        &["Italian", "English"],
        9,
        &[("yoga-class", "video", Some(60), Some(6), None)],
    )
    .await;
    practitioner_with(
        &app,
        "Lena Berg",
        "Yoga and breathwork in person",
        &["German"],
        3,
        &[("yoga-class", "in_person", Some(90), Some(20), Some(7000))],
    )
    .await;
    // Not listed: a draft practitioner and a live one without the filtered service.
    app.user(Role::Practitioner).await;

    let all = search(&app, &[]).await;
    assert_eq!(all["total"], 3);
    assert_eq!(names(&all), ["Asha Rao", "Marco Rossi", "Lena Berg"], "most experienced first");
    // Words match names, headlines and service types, as the start of a word too.
    assert_eq!(names(&search(&app, &[("q", "astro")]).await), ["Asha Rao"]);
    assert_eq!(names(&search(&app, &[("q", "yoga")]).await).len(), 2);
    assert_eq!(names(&search(&app, &[("q", "breathwork person")]).await), ["Lena Berg"]);
    assert_eq!(search(&app, &[("q", "plumbing")]).await["total"], 0);
    assert_eq!(search(&app, &[("q", "'&|!:*()")]).await["total"], 3, "punctuation alone is no search");
    // Filters: one published service must meet all of them.
    assert_eq!(names(&search(&app, &[("service_type", "yoga-class"), ("delivery", "video")]).await), ["Marco Rossi"]);
    assert_eq!(names(&search(&app, &[("delivery", "written")]).await), ["Asha Rao"]);
    assert_eq!(names(&search(&app, &[("language", "english")]).await), ["Asha Rao", "Marco Rossi"]);
    let cheap = search(&app, &[("min_credits", "5"), ("max_credits", "10")]).await;
    assert_eq!(names(&cheap), ["Asha Rao", "Marco Rossi"]);
    let asha = &cheap["cards"][0];
    assert_eq!(asha["prices"].as_array().unwrap().len(), 1, "only the service in range counts: {asha}");
    assert_eq!(names(&search(&app, &[("sort", "price_low")]).await), ["Marco Rossi", "Asha Rao", "Lena Berg"]);
    assert_eq!(names(&search(&app, &[("sort", "price_high")]).await), ["Lena Berg", "Asha Rao", "Marco Rossi"]);
    // Published services of listed types only; a suspended practitioner disappears.
    sqlx::query("UPDATE services SET status = 'paused' WHERE practitioner_id = $1")
        .bind(marco.id)
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        names(&search(&app, &[("service_type", "yoga-class"), ("delivery", "video")]).await),
        Vec::<String>::new()
    );
    assert_eq!(names(&search(&app, &[("q", "strong backs")]).await), ["Marco Rossi"], "the profile is still live");
    sqlx::query("UPDATE service_types SET active = false WHERE slug = 'astrology-reading'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(search(&app, &[("delivery", "written")]).await["total"], 0);
    let mut tx = app.pool.begin().await.unwrap();
    attune::server::onboarding::transition(
        &mut tx,
        marco.id,
        attune::domain::onboarding::OnboardingState::Suspended,
        None,
        "Test",
        app.state.clock.now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(search(&app, &[("q", "strong backs")]).await["total"], 0);

    // Filters that cannot be understood are refused by name.
    let mut b = Browser::new(&app);
    for (k, v) in
        [("delivery", "fax"), ("min_credits", "-1"), ("sort", "random"), ("page", "0"), ("service_type", "<b>")]
    {
        assert_eq!(
            field_error(b.call("catalog/directory", &[(k, v)]).await).await,
            (StatusCode::UNPROCESSABLE_ENTITY, k.to_owned())
        );
    }
    let res = b.call("catalog/directory", &[("min_credits", "9"), ("max_credits", "3")]).await;
    assert_eq!(field_error(res).await.1, "max_credits");
    // The page answers without JavaScript, with the message beside the form.
    let (status, page) = html(&b, "/practitioners?delivery=fax").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("That way of delivery does not exist."), "{page}");
}

#[tokio::test]
async fn the_directory_finds_words_in_any_script_by_their_beginning_and_never_fails_on_odd_input() {
    let app = spawn_app().await;
    add_type(&app, "consultation", "Consultation").await;
    let svc = [("consultation", "video", Some(60), Some(12), None)];
    practitioner_with(&app, "Asha Rao", "Vedic astrologer, ज्योतिष readings", &["Hindi"], 14, &svc).await;
    practitioner_with(&app, "Kavya Raman", "ஜோதிடம் வாசிப்பு", &["Tamil"], 9, &svc).await;
    practitioner_with(&app, "Lucía Pérez", "Astrología y café", &["Español"], 5, &svc).await;

    let found = |q: &'static str| {
        let app = &app;
        async move {
            let mut found = names(&search(app, &[("q", q)]).await);
            found.sort();
            found
        }
    };
    assert_eq!(found("ज्योतिष").await, ["Asha Rao"], "a Devanagari word with a virama");
    assert_eq!(found("ज्यो").await, ["Asha Rao"], "the start of a Devanagari word");
    assert_eq!(found("ஜோதி").await, ["Kavya Raman"], "the start of a Tamil word");
    assert_eq!(found("வாசிப்பு").await, ["Kavya Raman"]);
    assert_eq!(found("café").await, ["Lucía Pérez"], "accented Latin");
    assert_eq!(found("Lucía astrolo").await, ["Lucía Pérez"]);
    assert_eq!(found("astro").await, ["Asha Rao", "Lucía Pérez"], "typing the start of a word finds it");
    assert_eq!(found("vedic ज्योतिष").await, ["Asha Rao"], "mixed scripts");
    assert_eq!(found("ज्योतिष ஜோதிடம்").await, Vec::<String>::new(), "every word must match");
    assert_eq!(found("the").await, Vec::<String>::new(), "a stop word is still the start of a word");
    for odd in ["'\"&|!:*()", "ज्योतिष'&|!:*(", "a:* | b & !c", "\\'' <-> <2>", "-'-'-", "o'brien \\x"] {
        let mut b = Browser::new(&app);
        let res = b.call("catalog/directory", &[("q", odd)]).await;
        assert_eq!(res.status(), StatusCode::OK, "{odd}");
    }
    assert_eq!(search(&app, &[("q", &"&|!:*()'\\".repeat(10))]).await["total"], 3, "punctuation alone is no search");
    let mut b = Browser::new(&app);
    let huge = format!("ज्योतिष {}", "astrology ".repeat(10 * 1024));
    assert_eq!(
        field_error(b.call("catalog/directory", &[("q", &huge)]).await).await,
        (StatusCode::UNPROCESSABLE_ENTITY, "q".to_owned())
    );
}

#[tokio::test]
async fn the_directory_pages_through_many_practitioners_with_every_filter_kept() {
    let app = spawn_app().await;
    add_type(&app, "yoga-class", "Yoga class").await;
    for i in 0..30 {
        practitioner_with(
            &app,
            &format!("Teacher {i:02}"),
            "Yoga teacher",
            &["English"],
            i,
            &[("yoga-class", "video", Some(60), Some(5 + i64::from(i)), None)],
        )
        .await;
    }
    let first = search(&app, &[("delivery", "video"), ("sort", "price_low")]).await;
    assert_eq!((first["total"].as_i64(), first["cards"].as_array().unwrap().len()), (Some(30), 24));
    let second = search(&app, &[("delivery", "video"), ("sort", "price_low"), ("page", "2")]).await;
    assert_eq!(names(&second), ["Teacher 24", "Teacher 25", "Teacher 26", "Teacher 27", "Teacher 28", "Teacher 29"]);
    let (_, page) = html(&Browser::new(&app), "/practitioners?delivery=video&sort=price_low").await;
    assert!(page.contains("href=\"/practitioners?delivery=video&amp;sort=price_low&amp;page=2\""), "{page}");
    assert!(page.contains("30 practitioners · page 1 of 2"), "{page}");
}

#[tokio::test]
async fn every_page_shows_the_price_from_the_one_price_function() {
    let app = spawn_app().await;
    add_type(&app, "astrology-reading", "Astrology reading").await;
    // Prices drawn from a fixed-seed generator: credits only, card only, or both.
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let visitor = Browser::new(&app);
    for round in 0..8 {
        let credits = (next(3) != 0).then(|| 1 + next(500) as i64);
        let card = (credits.is_none() || next(2) == 0).then(|| 1 + next(2_000_000) as i64);
        let (_, profile) = practitioner_with(
            &app,
            &format!("Reader {round}"),
            "Readings of your chart",
            &["English"],
            5,
            &[("astrology-reading", "written", None, credits, card)],
        )
        .await;
        let price = Price::new(credits, card.map(|m| Money::from_minor(m, Currency::Eur))).unwrap();
        let label = price.label(Locale::default());
        let card_label = match credits {
            Some(1) => "1 credit".to_owned(),
            Some(c) => format!("{c} credits"),
            None => label.clone(),
        };
        let slug: String = sqlx::query_scalar("SELECT s.slug FROM services s JOIN practitioner_profiles p ON p.user_id = s.practitioner_id WHERE p.slug = $1")
            .bind(&profile)
            .fetch_one(&app.pool)
            .await
            .unwrap();
        let (_, service) = html(&visitor, &format!("/s/{slug}")).await;
        assert_eq!(texts_of(&service, "service-price"), std::slice::from_ref(&label), "service page");
        let (_, page) = html(&visitor, &format!("/p/{profile}")).await;
        assert_eq!(texts_of(&page, "listed-price"), std::slice::from_ref(&label), "profile");
        let (_, directory) = html(&visitor, &format!("/practitioners?q=reader+{round}")).await;
        assert_eq!(texts_of(&directory, "card-price"), [card_label], "directory");
    }
}

#[tokio::test]
async fn public_pages_carry_their_meta_and_escape_what_practitioners_type() {
    let app = spawn_app().await;
    add_type(&app, "astrology-reading", "Astrology reading").await;
    let (mut b, user) = live(&app).await;
    let id = save(
        &mut b,
        &[
            ("title", "<script>alert(1)</script> reading"),
            ("description", "Readings </script><b>bold</b> & more text here."),
        ],
    )
    .await;
    let slug = slug_of(&app, id).await;
    assert_eq!(slug, format!("live-{}-script-alert-1-script-reading", user.id.simple()));
    let (status, page) = html(&Browser::new(&app), &format!("/s/{slug}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("<script>alert(1)") && !page.contains("<b>bold</b>"), "{page}");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt; reading"), "{page}");
    assert!(
        page.contains("<title>&lt;script&gt;alert(1)&lt;/script&gt; reading with Test Person · Attune</title>"),
        "{page}"
    );
    let canonical = format!("<link href=\"{}/s/{slug}\" rel=\"canonical\">", app.base);
    assert!(page.contains(&canonical), "{page}");
    assert!(page.contains("property=\"og:title\"") && page.contains("property=\"og:url\""), "{page}");
    let ld_start = page.find("<script type=\"application/ld+json\">").expect("JSON-LD") + 35;
    let ld_end = ld_start + page[ld_start..].find("</script>").unwrap();
    let ld: Value = serde_json::from_str(&page[ld_start..ld_end]).unwrap();
    assert_eq!(ld["@type"], "Service");
    assert_eq!(ld["name"], "<script>alert(1)</script> reading", "escaped as \\u003c inside the script, intact as data");
    assert_eq!(ld["offers"][0]["price"], "49.00");
    let (_, profile) = html(&Browser::new(&app), &format!("/p/live-{}", user.id.simple())).await;
    assert!(profile.contains("\"@type\":\"Person\"") && profile.contains(&format!("/s/{slug}")), "{profile}");
    // Unknown services are a real 404.
    assert_eq!(html(&Browser::new(&app), "/s/no-such-service").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_sitemap_and_robots_come_from_the_database() {
    let app = spawn_app().await;
    add_type(&app, "astrology-reading", "Astrology reading").await;
    let (mut b, user) = live(&app).await;
    let shown = save(&mut b, &[]).await;
    let hidden = save(&mut b, &[("publish", "")]).await;
    let draft = app.user(Role::Practitioner).await;
    let visitor = Browser::new(&app);
    let res = visitor.get("/sitemap.xml").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/xml"));
    let xml = res.text().await.unwrap();
    assert!(xml.contains(&format!("<loc>{}/p/live-{}</loc>", app.base, user.id.simple())), "{xml}");
    assert!(xml.contains(&format!("<loc>{}/s/{}</loc>", app.base, slug_of(&app, shown).await)), "{xml}");
    assert!(!xml.contains(&slug_of(&app, hidden).await), "a paused service is not listed");
    assert!(!xml.contains(&draft.id.simple().to_string()));
    assert!(xml.contains(&format!("<loc>{}/practitioners</loc>", app.base)));
    let robots = visitor.get("/robots.txt").await.text().await.unwrap();
    assert!(
        robots.contains("Disallow: /admin") && robots.contains(&format!("Sitemap: {}/sitemap.xml", app.base)),
        "{robots}"
    );
}

#[tokio::test]
async fn admins_manage_service_types_and_the_public_list_keeps_its_shape() {
    let app = spawn_app().await;
    let (mut admin, _) = app.browser_as(Role::Admin).await;
    let fields = |id: &str, slug: &str, name: &str, active: bool| {
        let mut f = vec![
            ("id", id.to_owned()),
            ("slug", slug.to_owned()),
            ("name", name.to_owned()),
            ("description", "Readings.".to_owned()),
            ("position", "1".to_owned()),
        ];
        if active {
            f.push(("active", "on".to_owned()));
        }
        f
    };
    assert_eq!(
        save_type(&mut admin, fields("", "astrology-reading", "Astrology reading", true)).await.status(),
        StatusCode::OK
    );
    let before = count(&app.pool, "service_types").await;
    for (f, field) in [
        (fields("", "astrology-reading", "Another name", true), "slug"),
        (fields("", "tarot", "Astrology reading", true), "name"),
        (fields("", "bad slug", "Tarot", true), "slug"),
        (fields("", "tarot", "", true), "name"),
    ] {
        assert_eq!(
            field_error(save_type(&mut admin, f).await).await,
            (StatusCode::UNPROCESSABLE_ENTITY, field.to_owned())
        );
    }
    assert_eq!(count(&app.pool, "service_types").await, before, "nothing written");
    let (mut customer, _) = app.browser_as(Role::Customer).await;
    let res = save_type(&mut customer, fields("", "tarot", "Tarot", true)).await;
    assert_eq!(error_of(res).await, (StatusCode::FORBIDDEN, json!("Forbidden")));

    let (mut b, _) = live(&app).await;
    let id = save(&mut b, &[]).await;
    let slug = slug_of(&app, id).await;
    let public: Value = Browser::new(&app).get("/api/services/types").await.json().await.unwrap();
    assert_eq!(
        public,
        json!([{ "slug": "astrology-reading", "name": "Astrology reading", "description": "Readings." }])
    );
    // Unlisting a type hides its services everywhere, at once on this instance.
    let types: Value = admin.call("admin/service-types", &[]).await.json().await.unwrap();
    assert_eq!(types[0]["services"], 1);
    let type_id = types[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        save_type(&mut admin, fields(&type_id, "astrology-reading", "Astrology", false)).await.status(),
        StatusCode::OK
    );
    assert_eq!(Browser::new(&app).get("/api/services/types").await.json::<Value>().await.unwrap(), json!([]));
    assert_eq!(html(&Browser::new(&app), &format!("/s/{slug}")).await.0, StatusCode::NOT_FOUND);
    let res = b.call("practitioner/services/save", &service_fields(&[])).await;
    assert_eq!(field_error(res).await.1, "service_type", "no new services of an unlisted type");
}

#[tokio::test]
async fn the_first_directory_page_is_cached_briefly_and_a_change_here_shows_at_once() {
    let app = spawn_app().await;
    let other = TestApp::builder().sharing_database_of(&app).spawn().await;
    add_type(&app, "astrology-reading", "Astrology reading").await;
    let (mut b, user) = live(&app).await;
    let first = search(&app, &[]).await;
    assert_eq!(first["cards"][0]["prices"], json!([]));
    assert_eq!(search(&other, &[]).await, first, "the second instance caches the same page");

    // Published here: this instance shows it at once, the other within the cache's life.
    save(&mut b, &[]).await;
    let here = search(&app, &[]).await;
    assert_eq!(here["cards"][0]["prices"].as_array().unwrap().len(), 1, "{here}");
    assert_eq!(search(&other, &[]).await, first);
    assert_eq!(
        search(&other, &[("language", "english")]).await["cards"][0]["prices"].as_array().unwrap().len(),
        1,
        "searches are never cached"
    );
    other.advance(attune::server::catalog::CATALOG_TTL + std::time::Duration::from_secs(1));
    assert_eq!(search(&other, &[]).await, here);
    assert_eq!(here["cards"][0]["slug"], json!(format!("live-{}", user.id.simple())));
}

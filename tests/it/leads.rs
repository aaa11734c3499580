//! Importing the call centre's lead list: normalised phones, one lead per phone however
//! often a file is imported, every bad row reported with its line and nothing of it
//! written, and files that cannot be read at all writing nothing.

use crate::helpers::*;
use attune::domain::Role;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

fn csv_form(name: &str, body: &[u8], country: &str) -> Form {
    Form::new()
        .part("file", Part::bytes(body.to_vec()).file_name(name.to_owned()).mime_str("text/csv").unwrap())
        .text("default_country", country.to_owned())
}

/// Uploads a file; returns where the app sent the admin.
async fn upload(b: &Browser<'_>, name: &str, body: &[u8], country: &str) -> String {
    let res = b.upload("/admin/leads/import", csv_form(name, body, country)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{:?}", res.text().await);
    res.headers()["location"].to_str().unwrap().to_owned()
}

async fn batch_counts(app: &TestApp, id: &str) -> (i32, i32, i32, i32, i32) {
    sqlx::query_as("SELECT rows_total, created, updated, unchanged, rejected FROM lead_batches WHERE id = $1::uuid")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

const LIST: &str = "\u{feff}Phone,Name,E-mail,Practice Type,Location,Contacted,Contact Status,Agent
+91 98765 43210,Asha Rao,asha@example.com,Astrology,Pune,yes,Interested,A1
098765 43211,Ravi Iyer,,Yoga,Chennai,no,,A2
0044 20 7946 0958,Ada Lovelace,ada@example.com,Coaching,London,Y,Callback,A3

not-a-phone,Bad Phone,,,,no,,A4
+91 98765 43212,,,,,no,,A5
+91 98765 43213,Bad Email,nope,,,no,,A6
+91 9876543210,Asha Again,,,,no,,A7
+1 415 555 0123,\"Sam \"\"The Sage\"\" Lee\",sam@example.com,Consulting,\"San Francisco, CA\",maybe,,A8
+1 415 555 0124,Sam Two,sam2@example.com,Consulting,Oakland,true,Interested,A9
";

#[tokio::test]
async fn an_admin_imports_a_lead_list_and_importing_it_again_updates_and_never_duplicates() {
    let app = spawn_app().await;
    let (admin, _) = app.browser_as(Role::Admin).await;
    let to = upload(&admin, "calls-november.csv", LIST.as_bytes(), "+91").await;
    let batch = to.strip_prefix("/admin/leads?batch=").expect("sent to the batch").to_owned();
    assert_eq!(batch_counts(&app, &batch).await, (9, 4, 0, 0, 5));

    let leads: Vec<(String, String, Option<String>, bool, Option<String>)> =
        sqlx::query_as("SELECT phone, name, email, contacted, contact_status FROM leads ORDER BY phone")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        leads,
        [
            ("+14155550124".into(), "Sam Two".into(), Some("sam2@example.com".into()), true, Some("interested".into())),
            (
                "+442079460958".into(),
                "Ada Lovelace".into(),
                Some("ada@example.com".into()),
                true,
                Some("callback".into())
            ),
            (
                "+919876543210".into(),
                "Asha Rao".into(),
                Some("asha@example.com".into()),
                true,
                Some("interested".into())
            ),
            ("+919876543211".into(), "Ravi Iyer".into(), None, false, None),
        ]
    );
    let errors: Vec<(i32, String)> =
        sqlx::query_as("SELECT line, reason FROM lead_import_errors ORDER BY line").fetch_all(&app.pool).await.unwrap();
    let lines: Vec<i32> = errors.iter().map(|e| e.0).collect();
    assert_eq!(lines, [6, 7, 8, 9, 10], "{errors:?}");
    let reason = |line: i32| errors.iter().find(|e| e.0 == line).unwrap().1.clone();
    assert!(reason(6).contains("not a phone number"));
    assert!(reason(7).contains("name is empty"));
    assert!(reason(8).contains("not an email"));
    assert_eq!(reason(9), "+919876543210 is already on line 2 of this file.");
    assert!(reason(10).contains("yes or no"));

    let page = admin.get(&to).await.text().await.unwrap();
    assert!(
        page.contains("9 rows: 4 new leads, 0 updated, 0 unchanged, 5 refused.")
            && page.contains("is already on line 2"),
        "{page}"
    );

    // The same file again changes nothing; a changed file updates and adds.
    let again = upload(&admin, "calls-november.csv", LIST.as_bytes(), "91").await;
    assert_eq!(batch_counts(&app, again.strip_prefix("/admin/leads?batch=").unwrap()).await, (9, 0, 0, 4, 5));
    let changed = "phone,name,contacted\n+91 98765 43211,Ravi Iyer,yes\n+91 98765 43299,New Person,no\n+91 98765 43210,Asha Rao,yes\n";
    let third = upload(&admin, "calls-december.csv", changed.as_bytes(), "").await;
    assert_eq!(batch_counts(&app, third.strip_prefix("/admin/leads?batch=").unwrap()).await, (3, 1, 2, 0, 0));
    assert_eq!(count(&app.pool, "leads").await, 5);
    let first: String = sqlx::query_scalar("SELECT first_batch_id::text FROM leads WHERE phone = '+919876543211'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(first, batch, "a lead belongs to the batch that first brought it");
    let listing = admin.get("/admin/leads").await.text().await.unwrap();
    assert!(listing.contains("calls-december.csv") && listing.contains("calls-november.csv"), "{listing}");
}

#[tokio::test]
async fn files_that_cannot_be_read_and_people_who_may_not_import_write_nothing() {
    let app = spawn_app().await;
    let (admin, _) = app.browser_as(Role::Admin).await;
    let cases: &[(&str, &[u8], &str, &str)] = &[
        ("no phone column", b"name,email\nA,a@example.com\n", "", "phone missing"),
        ("not UTF-8", b"phone,name\n+919876543210,Ren\xe9\n", "", "not UTF-8"),
        ("empty", b"", "", "Choose a CSV file"),
        ("header only", b"phone,name\n", "", "no rows under its header"),
        ("bad default country", b"phone,name\n98765 43210,A\n", "0091", "1 to 3 digits"),
    ];
    for (what, body, country, expected) in cases {
        let to = upload(&admin, "bad.csv", body, country).await;
        let message = to.strip_prefix("/admin/leads?error=").unwrap_or_else(|| panic!("{what}: sent to {to}"));
        let message: String = url_decode(message);
        assert!(message.contains(expected), "{what}: {message}");
        let page = admin.get(&to).await.text().await.unwrap();
        assert!(page.contains("Nothing was imported"), "{what}");
    }
    let no_file = admin.upload("/admin/leads/import", Form::new().text("default_country", "91")).await;
    assert!(no_file.headers()["location"].to_str().unwrap().contains("error="));
    assert_eq!(count(&app.pool, "lead_batches").await, 0);
    assert_eq!(count(&app.pool, "leads").await, 0);

    let (customer, _) = app.browser_as(Role::Customer).await;
    let res = customer.upload("/admin/leads/import", csv_form("x.csv", b"phone,name\n+919876543210,A\n", "")).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let anonymous = Browser::new(&app);
    let res = anonymous.upload("/admin/leads/import", csv_form("x.csv", b"phone,name\n+919876543210,A\n", "")).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(res.headers()["location"].to_str().unwrap().starts_with("/login"));
    assert_eq!(count(&app.pool, "leads").await, 0);
    assert_eq!(customer.get("/admin/leads").await.status(), StatusCode::FORBIDDEN);
}

fn url_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("m={s}").as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_default()
}

//! What the two sides of a paid service order exchange: documents and messages, who may
//! reach them, and the thread's emails, at most one per thread every ten minutes.

use crate::checkout::{give_credits, page, service, start};
use crate::fixtures::emails_to;
use crate::helpers::*;
use crate::orders::location;
use attune::domain::Role;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use std::time::Duration;
use uuid::Uuid;

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";

fn file(bytes: &[u8], name: &str, mime: &str) -> Form {
    Form::new().part("file", Part::bytes(bytes.to_vec()).file_name(name.to_owned()).mime_str(mime).unwrap())
}

/// A paid order of a written service: its number, the customer's browser and email, the
/// practitioner's browser and account.
async fn paid_order(app: &TestApp) -> (String, Browser<'_>, String, Browser<'_>, TestUser) {
    let (slug, owner) = service(app, Some(5), None, &[]).await;
    let email = format!("buyer-{}@example.com", Uuid::new_v4().simple());
    let mut customer = signed_in(app, &email, Role::Customer).await;
    let id = sqlx::query_scalar::<_, Uuid>("SELECT id FROM users WHERE email = $1")
        .bind(&email)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    give_credits(app, id, 5).await;
    let number = start(&mut customer, &slug, "Rae Buyer", &email).await;
    location(&customer.call("checkout/pay", &[("order", &number), ("method", "credits")]).await);
    let mut practitioner = Browser::new(app);
    practitioner.log_in(&owner.email, PASSWORD).await;
    (number, customer, email, practitioner, owner)
}

async fn unread(b: &mut Browser<'_>, endpoint: &str, number: &str) -> i64 {
    let list: Value = b.call(endpoint, &[]).await.json().await.unwrap();
    list.as_array().unwrap().iter().find(|r| r["number"] == number).expect("the order is listed")["unread"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn the_practitioner_delivers_a_document_the_customer_downloads_it_and_replies_safely() {
    let app = spawn_app().await;
    let (number, mut customer, _, mut practitioner, _) = paid_order(&app).await;

    let res = practitioner
        .upload(&format!("/orders/{number}/documents"), file(PDF, "Year ahead (final).pdf", "application/pdf"))
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], format!("/orders/{number}?uploaded=1#documents").as_str());
    let (id, name, key): (Uuid, String, String) =
        sqlx::query_as("SELECT id, file_name, storage_key FROM order_documents").fetch_one(&app.pool).await.unwrap();
    assert_eq!(name, "Year ahead final.pdf");
    assert!(!key.contains("Year"), "stored under a random name: {key}");

    let detail = page(&customer, &format!("/orders/{number}")).await.1;
    assert!(detail.contains(&format!("/orders/{number}/documents/{id}")), "the customer sees the file");
    let res = customer.get(&format!("/orders/{number}/documents/{id}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert_eq!(res.headers()["content-disposition"], "attachment; filename=\"Year ahead final.pdf\"");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(res.bytes().await.unwrap().as_ref(), PDF);

    let body = "Thank you! <script>alert(1)</script> More at https://example.com/notes. Not javascript:alert(2)";
    let res = customer.call("orders/messages/post", &[("order", &number), ("body", body)]).await;
    assert_eq!(location(&res), format!("/orders/{number}?sent=1#messages"));
    assert_eq!(unread(&mut practitioner, "practitioner/orders", &number).await, 1);
    let theirs = page(&practitioner, &format!("/orders/{number}")).await.1;
    assert!(!theirs.contains("<script>alert(1)"), "HTML in a message is shown as text");
    assert!(theirs.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(theirs.contains("href=\"https://example.com/notes\""), "a web address is a link");
    assert!(theirs.contains("rel=\"nofollow noopener noreferrer ugc\""));
    assert!(!theirs.contains("href=\"javascript:"), "no other scheme becomes a link");
    assert_eq!(
        unread(&mut practitioner, "practitioner/orders", &number).await,
        0,
        "reading the order reads the thread"
    );
    assert_eq!(unread(&mut customer, "orders/services", &number).await, 0, "your own messages are not unread");

    let res = practitioner.call("orders/messages/post", &[("order", &number), ("body", "You are welcome.")]).await;
    location(&res);
    assert_eq!(unread(&mut customer, "orders/services", &number).await, 1);
    let dashboard = page(&customer, "/dashboard").await.1;
    assert!(dashboard.contains("1 unread messages"), "the dashboard counts unread messages");
}

async fn say(b: &Browser<'_>, number: &str, text: &str) -> String {
    let mut b = b.clone();
    location(&b.call("orders/messages/post", &[("order", number), ("body", text)]).await)
}

#[tokio::test]
async fn a_busy_thread_emails_each_side_at_most_once_every_ten_minutes() {
    let app = spawn_app().await;
    let (number, mut customer, email, mut practitioner, owner) = paid_order(&app).await;
    let texts: Vec<String> = (0..5).map(|i| format!("Question {i}")).collect();
    futures::future::join_all(texts.iter().map(|t| say(&customer, &number, t))).await;
    assert_eq!(emails_to(&app, &owner.email, "order_message").await, 1, "five messages at once, one email");
    app.advance(Duration::from_secs(9 * 60));
    say(&customer, &number, "Still there?").await;
    assert_eq!(emails_to(&app, &owner.email, "order_message").await, 1);
    app.advance(Duration::from_secs(2 * 60));
    customer.log_in(&email, PASSWORD).await;
    say(&customer, &number, "Hello again").await;
    assert_eq!(emails_to(&app, &owner.email, "order_message").await, 2, "after ten minutes, another");
    practitioner.log_in(&owner.email, PASSWORD).await;
    say(&practitioner, &number, "Here.").await;
    assert_eq!(emails_to(&app, &email, "order_message").await, 1, "the other side has its own limit");
    let messages: i64 = sqlx::query_scalar("SELECT count(*) FROM order_messages").fetch_one(&app.pool).await.unwrap();
    assert_eq!(messages, 8, "every message is kept");
}

#[tokio::test]
async fn every_document_and_message_route_answers_each_kind_of_visitor_as_it_should() {
    let app = spawn_app().await;
    let (number, customer, _, practitioner, _) = paid_order(&app).await;
    let seed = practitioner.clone();
    seed.upload(&format!("/orders/{number}/documents"), file(PDF, "seed.pdf", "application/pdf")).await;
    let id: Uuid = sqlx::query_scalar("SELECT id FROM order_documents").fetch_one(&app.pool).await.unwrap();

    let other_practitioner = approved_practitioner(&app).await;
    let mut other = Browser::new(&app);
    other.log_in(&other_practitioner.email, PASSWORD).await;
    let stranger = signed_in(&app, "nosy@example.com", Role::Customer).await;
    let (admin, _) = app.browser_as(Role::Admin).await;
    let anonymous = Browser::new(&app);

    // (who, sees the order and its files, may add files and messages)
    let actors = [
        ("customer", customer, true, true),
        ("assigned practitioner", practitioner, true, true),
        ("other practitioner", other, false, false),
        ("other customer", stranger, false, false),
        ("admin", admin, true, false),
        ("anonymous", anonymous, false, false),
    ];
    for (who, mut b, sees, writes) in actors {
        let (page_status, _) = page(&b, &format!("/orders/{number}")).await;
        let download = b.get(&format!("/orders/{number}/documents/{id}")).await.status();
        let upload =
            b.upload(&format!("/orders/{number}/documents"), file(PDF, "x.pdf", "application/pdf")).await.status();
        let message = b.call("orders/messages/post", &[("order", &number), ("body", "hello")]).await.status();
        let listed = b.call("orders/service", &[("order", &number)]).await.status();
        let expected_read = if sees { StatusCode::OK } else { StatusCode::NOT_FOUND };
        assert_eq!((page_status, download, listed), (expected_read, expected_read, expected_read), "{who} reading");
        let expected_upload = match (sees, writes) {
            (_, true) => StatusCode::SEE_OTHER,
            (true, false) => StatusCode::FORBIDDEN,
            _ => StatusCode::NOT_FOUND,
        };
        let expected_message = match (sees, writes) {
            (_, true) => StatusCode::OK,
            (true, false) => StatusCode::FORBIDDEN,
            _ => StatusCode::NOT_FOUND,
        };
        assert_eq!((upload, message), (expected_upload, expected_message), "{who} writing");
    }
    let documents: i64 = sqlx::query_scalar("SELECT count(*) FROM order_documents").fetch_one(&app.pool).await.unwrap();
    let messages: i64 = sqlx::query_scalar("SELECT count(*) FROM order_messages").fetch_one(&app.pool).await.unwrap();
    assert_eq!((documents, messages), (3, 2), "only the two sides added anything");
    let elsewhere = page(&Browser::new(&app), &format!("/orders/{number}/documents/{}", Uuid::new_v4())).await.0;
    assert_eq!(elsewhere, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn refused_files_and_messages_say_why_and_leave_nothing_behind() {
    let app = spawn_app().await;
    let (number, mut customer, _, _, _) = paid_order(&app).await;
    let path = format!("/orders/{number}/documents");
    let cases: [(Vec<u8>, &str, &str); 3] = [
        (b"<html><script>alert(1)</script></html>".to_vec(), "letter.pdf", "not a PDF, JPEG or PNG"),
        (b"%PDF-1.7\ncut off".to_vec(), "cut.pdf", "damaged or incomplete"),
        ([PDF, &vec![b' '; 11 * 1024 * 1024]].concat(), "huge.pdf", "too large"),
    ];
    for (bytes, name, why) in cases {
        let res = customer.upload(&path, file(&bytes, name, "application/pdf")).await;
        let status = res.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            assert_eq!(why, "too large");
            continue;
        }
        assert_eq!(status, StatusCode::SEE_OTHER, "{name}");
        let to = res.headers()["location"].to_str().unwrap().to_owned();
        assert!(to.contains("upload_error="), "{name}: {to}");
        let shown = page(&customer, &to).await.1;
        assert!(shown.contains(why) || why == "too large", "{name}: {why:?} not shown");
    }
    let documents: i64 = sqlx::query_scalar("SELECT count(*) FROM order_documents").fetch_one(&app.pool).await.unwrap();
    assert_eq!(documents, 0);
    assert!(app.state.config.storage.list("order-documents").await.unwrap().is_empty(), "nothing was stored");

    for (body, field) in [("   ", "body"), (&"x".repeat(5001) as &str, "body")] {
        let (status, err) =
            error_of(customer.call("orders/messages/post", &[("order", &number), ("body", body)]).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(err["Invalid"]["field"], field);
    }
    let messages: i64 = sqlx::query_scalar("SELECT count(*) FROM order_messages").fetch_one(&app.pool).await.unwrap();
    assert_eq!(messages, 0);

    // Before payment there is nothing to exchange.
    let (slug, _) = service(&app, Some(50), None, &[]).await;
    let draft = start(&mut customer, &slug, "Rae", "rae@example.com").await;
    let res = customer.upload(&format!("/orders/{draft}/documents"), file(PDF, "early.pdf", "application/pdf")).await;
    assert!(res.headers()["location"].to_str().unwrap().contains("upload_error="));
    let (_, err) = error_of(customer.call("orders/messages/post", &[("order", &draft), ("body", "hi")]).await).await;
    assert!(err["Invalid"]["message"].as_str().unwrap().contains("once the order is paid"));
}

/// Sends the head of a large multipart upload and the first few bytes of its body, in one
/// write, then waits for the answer without sending the rest: the status line, or None
/// when the server keeps waiting for the body. Nothing more is written after that, so a
/// server that answers and closes at once never meets a write it did not read (which
/// would reset the connection and could lose its answer).
async fn answer_before_the_body(app: &TestApp, path: &str, cookie: Option<&str>) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let declared = 9 * 1024 * 1024;
    let cookie = cookie.map(|c| format!("Cookie: {c}\r\n")).unwrap_or_default();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nOrigin: {}\r\n{cookie}\
         Content-Type: multipart/form-data; boundary=XYZ\r\nContent-Length: {declared}\r\n\r\n\
         --XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.pdf\"\r\n\r\n%PDF-1.7\n",
        app.base
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 1024];
    match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut answer)).await {
        Ok(Ok(n)) if n > 0 => String::from_utf8_lossy(&answer[..n]).lines().next().map(str::to_owned),
        _ => None,
    }
}

#[tokio::test]
async fn an_upload_to_an_order_nobody_may_write_is_refused_before_its_body_is_read() {
    let app = spawn_app().await;
    let (number, customer, _, _, _) = paid_order(&app).await;
    let path = format!("/orders/{number}/documents");
    let stranger = signed_in(&app, "nosy@example.com", Role::Customer).await;
    let (admin, _) = app.browser_as(Role::Admin).await;
    for (who, cookie, status) in [
        ("anonymous", None, "404"),
        ("a stranger", stranger.cookie.as_deref(), "404"),
        ("an admin", admin.cookie.as_deref(), "403"),
    ] {
        let line = answer_before_the_body(&app, &path, cookie).await;
        let line = line.unwrap_or_else(|| panic!("{who}: no answer while the body was withheld"));
        assert!(line.starts_with(&format!("HTTP/1.1 {status}")), "{who}: {line}");
    }
    let line = answer_before_the_body(&app, "/orders/not-an-order/documents", None).await;
    assert!(line.is_some_and(|l| l.starts_with("HTTP/1.1 404")), "an order that does not exist");
    // The order's customer is answered only once the file has arrived.
    assert_eq!(answer_before_the_body(&app, &path, customer.cookie.as_deref()).await, None);
    let documents: i64 = sqlx::query_scalar("SELECT count(*) FROM order_documents").fetch_one(&app.pool).await.unwrap();
    assert_eq!(documents, 0);
}

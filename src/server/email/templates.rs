//! The emails, as askama templates checked at compile time: one HTML layout, and a
//! plain-text part for each message. HTML parts escape everything interpolated;
//! plain-text parts keep what people typed as they typed it.

use super::{Email, Secret};
use askama::Template;

/// The call-to-action button of the layout: (label, address).
type Action<'a> = Option<(&'a str, &'a str)>;

struct Welcome<'a> {
    name: &'a str,
    code: &'a str,
    url: &'a str,
}

#[derive(Template)]
#[template(path = "email/welcome.html")]
struct WelcomeHtml<'a> {
    m: &'a Welcome<'a>,
    action: Action<'a>,
}

#[derive(Template)]
#[template(path = "email/welcome.txt")]
struct WelcomeText<'a> {
    m: &'a Welcome<'a>,
}

pub fn welcome(name: &str, code: &str, base_url: &str) -> Email {
    let url = format!("{base_url}/dashboard");
    let m = Welcome { name, code, url: &url };
    Email {
        template: "welcome",
        subject: "Welcome to Attune".to_owned(),
        text: render(&WelcomeText { m: &m }),
        html: render(&WelcomeHtml { m: &m, action: Some(("Open your dashboard", &url)) }),
        secret: None,
    }
}

struct PasswordReset<'a> {
    name: &'a str,
    /// The marker that stands in for the link until delivery.
    link: &'a str,
    minutes: i64,
}

#[derive(Template)]
#[template(path = "email/password_reset.html")]
struct PasswordResetHtml<'a> {
    m: &'a PasswordReset<'a>,
    action: Action<'a>,
}

#[derive(Template)]
#[template(path = "email/password_reset.txt")]
struct PasswordResetText<'a> {
    m: &'a PasswordReset<'a>,
}

pub fn password_reset(name: &str, reset_url: Secret, minutes: i64) -> Email {
    let m = PasswordReset { name, link: &reset_url.marker, minutes };
    let email = Email {
        template: "password_reset",
        subject: "Reset your Attune password".to_owned(),
        text: render(&PasswordResetText { m: &m }),
        html: render(&PasswordResetHtml { m: &m, action: Some(("Choose a new password", m.link)) }),
        secret: None,
    };
    Email { secret: Some(reset_url), ..email }
}

/// Rendering cannot fail for these templates: they only format strings and numbers.
fn render(t: &impl Template) -> String {
    t.render().expect("email templates render")
}

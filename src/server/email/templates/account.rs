//! The emails about an account: the welcome, the links to choose a password or finish
//! signing up, and the notes to an address's owner that someone used it.

use super::{Action, notice, render};
use crate::domain::TimeZone;
use crate::domain::datetime::{self, Style};
use crate::server::email::{Email, Secret};
use askama::Template;

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
        calendar: None,
    }
}

struct PasswordReset<'a> {
    name: &'a str,
    /// The marker that stands in for the link until delivery.
    link: &'a str,
    /// When the link stops working, in the recipient's zone.
    until: String,
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

pub fn password_reset(name: &str, reset_url: Secret, zone: &TimeZone) -> Email {
    let until = datetime::show(reset_url.expires, zone, Style::DateTime);
    let m = PasswordReset { name, link: &reset_url.marker, until };
    let email = Email {
        template: "password_reset",
        subject: "Reset your Attune password".to_owned(),
        text: render(&PasswordResetText { m: &m }),
        html: render(&PasswordResetHtml { m: &m, action: Some(("Choose a new password", m.link)) }),
        secret: None,
        calendar: None,
    };
    Email { secret: Some(reset_url), ..email }
}

/// To a customer whose account was made at checkout: how to give it a password.
pub fn set_password(name: &str, link: Secret, zone: &TimeZone) -> Email {
    let until = datetime::show(link.expires, zone, Style::DateTime);
    let paragraphs = [
        "We made an Attune account for you with this email address when you started your order, so you can \
         follow it, read the practitioner's messages and download what they deliver."
            .to_owned(),
        format!(
            "Choose a password to sign in. The link works once, until {until}; after that, use \"Forgot password\"."
        ),
    ];
    let email = notice(
        "set_password",
        "Choose your Attune password".into(),
        name,
        &paragraphs,
        ("Choose a password", &link.marker),
    );
    Email { secret: Some(link), ..email }
}

/// To the address of a sign-up nobody has an account for: the link that makes it.
pub fn confirm_sign_up(name: &str, link: Secret, zone: &TimeZone) -> Email {
    let until = datetime::show(link.expires, zone, Style::DateTime);
    let paragraphs = [
        "Thank you for signing up to Attune. Open the link below to confirm this is your email address and \
         finish creating your account."
            .to_owned(),
        format!("The link works once, until {until}. If you did not sign up, ignore this email: no account is made."),
    ];
    let email = notice(
        "confirm_sign_up",
        "Finish creating your Attune account".into(),
        name,
        &paragraphs,
        ("Create my account", &link.marker),
    );
    Email { secret: Some(link), ..email }
}

/// To the owner of an account whose address someone used to sign up again, at `when`
/// (in the owner's zone).
pub fn sign_up_attempted(name: &str, when: &str, base_url: &str) -> Email {
    let paragraphs = [
        format!(
            "On {when}, someone tried to create a new Attune account with this email address. It already has an \
             account, so nothing was created or changed."
        ),
        "If it was you, log in instead, or choose a new password if you have forgotten it. If it was not you, \
         you can ignore this email: your account is safe."
            .to_owned(),
    ];
    let url = format!("{base_url}/login");
    notice("sign_up_attempted", "Someone tried to sign up with your email".into(), name, &paragraphs, ("Log in", &url))
}

/// To an address someone asked a password reset for, when no active account uses it.
pub fn reset_without_account(base_url: &str) -> Email {
    let paragraphs = [
        "Someone asked to reset the Attune password for this email address, but no active Attune account uses it."
            .to_owned(),
        "If you have an account, it may use another of your addresses. If you would like one, sign up; if you did \
         not ask for this, you can ignore this email."
            .to_owned(),
    ];
    let url = format!("{base_url}/signup");
    notice("reset_without_account", "About your Attune password reset".into(), "there", &paragraphs, ("Sign up", &url))
}

/// To the owner of an account whose address a guest gave at checkout without signing
/// in, at `when` (in the owner's zone).
pub fn guest_order_started(name: &str, when: &str, base_url: &str) -> Email {
    let paragraphs = [
        format!(
            "On {when}, someone who was not signed in started an order at checkout with this email address, so \
             the order was added to your account."
        ),
        "If it was you, log in to follow it from your dashboard. If it was not you, you can ignore this email: \
         nothing is paid from your account without you, and whoever started it sees none of your account's details."
            .to_owned(),
    ];
    let url = format!("{base_url}/dashboard");
    notice(
        "guest_order_started",
        "An order was started with your email".into(),
        name,
        &paragraphs,
        ("Open your dashboard", &url),
    )
}

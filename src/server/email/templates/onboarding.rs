//! The one onboarding email, in its four outcomes: a practitioner's profile submitted
//! for review, approved, rejected or suspended.

use super::{Action, render};
use crate::server::email::Email;
use askama::Template;

/// How a practitioner's onboarding moved, for the one onboarding email.
pub enum Outcome<'a> {
    Submitted,
    Approved,
    Rejected(&'a str),
    Suspended(&'a str),
}

struct Onboarding<'a> {
    name: &'a str,
    subject: &'a str,
    outcome: Outcome<'a>,
    action: &'a str,
    url: &'a str,
}

#[derive(Template)]
#[template(path = "email/onboarding.html")]
struct OnboardingHtml<'a> {
    m: &'a Onboarding<'a>,
    action: Action<'a>,
}

#[derive(Template)]
#[template(path = "email/onboarding.txt")]
struct OnboardingText<'a> {
    m: &'a Onboarding<'a>,
}

fn onboarding(template: &'static str, name: &str, outcome: Outcome<'_>, url: &str) -> Email {
    let (subject, action) = match outcome {
        Outcome::Submitted => ("Your Attune profile is waiting for review", "See your onboarding"),
        Outcome::Approved => ("Your Attune profile is live", "Open your practice"),
        Outcome::Rejected(_) => ("Your Attune profile needs changes", "Make the changes"),
        Outcome::Suspended(_) => ("Your Attune profile is suspended", "See your onboarding"),
    };
    let m = Onboarding { name, subject, outcome, action, url };
    Email {
        template,
        subject: subject.to_owned(),
        text: render(&OnboardingText { m: &m }),
        html: render(&OnboardingHtml { m: &m, action: Some((action, url)) }),
        secret: None,
        calendar: None,
    }
}

pub fn onboarding_submitted(name: &str, base_url: &str) -> Email {
    onboarding("onboarding_submitted", name, Outcome::Submitted, &format!("{base_url}/onboarding"))
}

pub fn onboarding_approved(name: &str, base_url: &str) -> Email {
    onboarding("onboarding_approved", name, Outcome::Approved, &format!("{base_url}/practitioner"))
}

pub fn onboarding_rejected(name: &str, reason: &str, base_url: &str) -> Email {
    onboarding("onboarding_rejected", name, Outcome::Rejected(reason), &format!("{base_url}/onboarding"))
}

pub fn onboarding_suspended(name: &str, reason: &str, base_url: &str) -> Email {
    onboarding("onboarding_suspended", name, Outcome::Suspended(reason), &format!("{base_url}/onboarding"))
}

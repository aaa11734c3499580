//! The checkout for a service, in three steps: your details, the service's questions,
//! review and pay. The rules for each step's form live here, so the page and the
//! server check exactly the same things.

use crate::domain::FieldError;
use crate::domain::catalog::{LONG_ANSWER_MAX, Question, QuestionKind, SHORT_ANSWER_MAX};
use crate::domain::email::Email;
use crate::domain::profile::PersonName;
use crate::domain::types::CreditPackage;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A step of the checkout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Details,
    Questions,
    Review,
}

impl Step {
    pub const ALL: [Step; 3] = [Step::Details, Step::Questions, Step::Review];

    /// 1, 2 or 3, as the progress indicator counts and the database stores the furthest
    /// completed step.
    pub fn number(self) -> i16 {
        match self {
            Step::Details => 1,
            Step::Questions => 2,
            Step::Review => 3,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Step::Details => "Your details",
            Step::Questions => "Questions",
            Step::Review => "Review and pay",
        }
    }

    /// The step a customer is shown: the one they ask for if they have reached it,
    /// otherwise the first one not yet completed. `completed` is the furthest step done
    /// (0 for none).
    pub fn shown(completed: i16, asked: Option<&str>) -> Step {
        let open = Step::ALL.into_iter().find(|s| s.number() == (completed + 1).min(3)).unwrap_or(Step::Details);
        match asked.and_then(|a| a.trim().parse::<i16>().ok()) {
            Some(n) if n >= 1 && n <= open.number() => Step::ALL[(n - 1) as usize],
            _ => open,
        }
    }
}

/// Step 1 as submitted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DetailsForm {
    pub name: String,
    pub email: String,
}

/// Step 1, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Details {
    pub name: PersonName,
    pub email: Email,
}

impl DetailsForm {
    pub fn parse(&self) -> Result<Details, FieldError> {
        let name = PersonName::parse(&self.name)?;
        let email = Email::parse(&self.email)?;
        Ok(Details { name, email })
    }
}

/// The form field (and element id) of a question's answer.
pub fn answer_field(question: &Question) -> String {
    format!("answer-{}", question.id)
}

/// The key a question's answer is posted under, as `answers[<key>]`. It starts with a
/// letter: a key starting with a digit would be read as a list index.
pub fn answer_key(question: &Question) -> String {
    format!("q{}", question.id)
}

/// The most a customer may type in answer to a question of this kind.
pub fn answer_limit(kind: QuestionKind) -> usize {
    match kind {
        QuestionKind::ShortText => SHORT_ANSWER_MAX,
        QuestionKind::LongText => LONG_ANSWER_MAX,
        QuestionKind::Choice => SHORT_ANSWER_MAX,
        QuestionKind::Date => 10,
    }
}

/// Checks the answers to a service's questions, keyed by `answer_key` as the form sends
/// them. Returns the answers to keep by question id (blank optional ones left out), or
/// the first problem, named by the question's field. An answer to a question the service
/// does not ask is refused: the form never sends one.
pub fn check_answers(
    questions: &[Question],
    raw: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, FieldError> {
    if let Some(stray) = raw.keys().find(|k| !questions.iter().any(|q| answer_key(q) == **k)) {
        return Err(FieldError::new(
            "answers",
            format!(
                "\"{}\" is not one of this service's questions. Reload the page and try again.",
                truncate(stray, 40)
            ),
        ));
    }
    let mut kept = BTreeMap::new();
    for q in questions {
        let field = answer_field(q);
        let answer = raw.get(&answer_key(q)).map(|a| a.replace("\r\n", "\n")).unwrap_or_default();
        let answer = answer.trim();
        if answer.is_empty() {
            if q.required {
                return Err(FieldError::new(&field, "Answer this question; it is required."));
            }
            continue;
        }
        if answer.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            return Err(FieldError::new(&field, "Remove the control characters from this answer."));
        }
        let limit = answer_limit(q.kind);
        let length = answer.chars().count();
        match q.kind {
            QuestionKind::ShortText | QuestionKind::LongText if length > limit => {
                return Err(FieldError::new(
                    &field,
                    format!("Keep this answer to {limit} characters; it has {length}."),
                ));
            }
            QuestionKind::ShortText if answer.contains('\n') => {
                return Err(FieldError::new(&field, "Keep this answer to one line."));
            }
            QuestionKind::Choice if !q.options.iter().any(|o| o == answer) => {
                return Err(FieldError::new(&field, "Choose one of the options given."));
            }
            QuestionKind::Date if jiff::civil::Date::strptime("%Y-%m-%d", answer).is_err() || length != 10 => {
                return Err(FieldError::new(&field, "Enter a date as year-month-day, like 2027-03-14."));
            }
            _ => {}
        }
        kept.insert(q.id.to_string(), answer.to_owned());
    }
    Ok(kept)
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// The pack offered when a wallet is `short` credits short: the cheapest on sale whose
/// credits (with bonus) cover the shortfall, or the largest when none does.
pub fn covering_pack(packs: &[CreditPackage], short: i64) -> Option<&CreditPackage> {
    let total = |p: &CreditPackage| p.draft.credits + p.draft.bonus_credits;
    let on_sale = || packs.iter().filter(|p| p.draft.active);
    on_sale()
        .filter(|p| total(p) >= short)
        .min_by_key(|p| (p.draft.price_minor, std::cmp::Reverse(total(p))))
        .or_else(|| on_sale().max_by_key(|p| total(p)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::Currency;
    use crate::domain::orders::PackageDraft;
    use uuid::Uuid;

    fn question(kind: QuestionKind, required: bool, options: &[&str]) -> Question {
        Question {
            id: Uuid::new_v4(),
            label: "Q".into(),
            kind,
            required,
            options: options.iter().map(|o| o.to_string()).collect(),
        }
    }

    fn answers(pairs: &[(&Question, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(q, a)| (answer_key(q), a.to_string())).collect()
    }

    #[test]
    fn the_step_shown_is_never_beyond_the_first_one_not_done() {
        assert_eq!(Step::shown(0, None), Step::Details);
        assert_eq!(Step::shown(0, Some("3")), Step::Details, "cannot skip ahead");
        assert_eq!(Step::shown(1, None), Step::Questions);
        assert_eq!(Step::shown(2, None), Step::Review);
        assert_eq!(Step::shown(3, None), Step::Review);
        assert_eq!(Step::shown(2, Some("1")), Step::Details, "going back is allowed");
        assert_eq!(Step::shown(2, Some("x")), Step::Review);
        assert_eq!(Step::shown(2, Some("0")), Step::Review);
    }

    #[test]
    fn answers_are_checked_against_their_questions() {
        let short = question(QuestionKind::ShortText, true, &[]);
        let long = question(QuestionKind::LongText, false, &[]);
        let choice = question(QuestionKind::Choice, true, &["Morning", "Evening"]);
        let date = question(QuestionKind::Date, false, &[]);
        let qs = [short.clone(), long.clone(), choice.clone(), date.clone()];

        let ok = check_answers(&qs, &answers(&[(&short, "  Ana  "), (&choice, "Evening"), (&long, "")])).unwrap();
        assert_eq!(ok.len(), 2, "the blank optional answer is left out");
        assert_eq!(ok[&short.id.to_string()], "Ana");

        let err = |pairs: &[(&Question, &str)]| check_answers(&qs, &answers(pairs)).unwrap_err();
        assert_eq!(err(&[(&choice, "Evening")]).field, answer_field(&short), "required");
        assert!(err(&[(&short, "a\nb"), (&choice, "Evening")]).message.contains("one line"));
        let too_long = "x".repeat(SHORT_ANSWER_MAX + 1);
        assert!(err(&[(&short, &too_long), (&choice, "Evening")]).message.contains("201"));
        assert_eq!(err(&[(&short, "a"), (&choice, "Noon")]).field, answer_field(&choice));
        assert_eq!(err(&[(&short, "a"), (&choice, "Evening"), (&date, "2027-02-30")]).field, answer_field(&date));
        assert_eq!(err(&[(&short, "a"), (&choice, "Evening"), (&date, "14/03/2027")]).field, answer_field(&date));
        assert!(check_answers(&qs, &answers(&[(&short, "a"), (&choice, "Evening"), (&date, "2027-03-14")])).is_ok());
        assert_eq!(err(&[(&short, "a\u{0}"), (&choice, "Evening")]).field, answer_field(&short));

        let mut stray = answers(&[(&short, "a"), (&choice, "Evening")]);
        stray.insert(format!("q{}", Uuid::new_v4()), "x".into());
        assert_eq!(check_answers(&qs, &stray).unwrap_err().field, "answers");
    }

    #[test]
    fn html_in_an_answer_is_kept_as_text() {
        let q = question(QuestionKind::LongText, true, &[]);
        let got = check_answers(std::slice::from_ref(&q), &answers(&[(&q, "<b>hi</b>")])).unwrap();
        assert_eq!(got[&q.id.to_string()], "<b>hi</b>", "stored as typed, escaped where shown");
    }

    fn pack(credits: i64, bonus: i64, price: i64, active: bool) -> CreditPackage {
        CreditPackage {
            id: Uuid::new_v4(),
            draft: PackageDraft {
                name: format!("{credits}"),
                credits,
                bonus_credits: bonus,
                price_minor: price,
                currency: Currency::parse("EUR").unwrap(),
                active,
                position: 0,
                badge: None,
                validity_days: None,
            },
        }
    }

    #[test]
    fn the_offered_pack_is_the_cheapest_that_covers_the_shortfall() {
        let packs =
            [pack(10, 0, 1000, true), pack(25, 5, 2500, true), pack(60, 0, 5000, true), pack(30, 0, 100, false)];
        assert_eq!(covering_pack(&packs, 5).unwrap().draft.credits, 10);
        assert_eq!(covering_pack(&packs, 30).unwrap().draft.credits, 25, "bonus credits count");
        assert_eq!(covering_pack(&packs, 31).unwrap().draft.credits, 60);
        assert_eq!(covering_pack(&packs, 500).unwrap().draft.credits, 60, "the largest when none covers it");
        assert!(covering_pack(&packs[3..], 1).is_none(), "an inactive pack is never offered");
    }
}

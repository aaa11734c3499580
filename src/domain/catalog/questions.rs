//! Intake questions: their kinds, and the question form a practitioner fills in.

use super::MAX_CHOICES;
use crate::domain::FieldError;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A kind of intake question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    ShortText,
    LongText,
    Choice,
    Date,
}

impl QuestionKind {
    pub const ALL: [QuestionKind; 4] =
        [QuestionKind::ShortText, QuestionKind::LongText, QuestionKind::Choice, QuestionKind::Date];

    pub fn as_str(self) -> &'static str {
        match self {
            QuestionKind::ShortText => "short_text",
            QuestionKind::LongText => "long_text",
            QuestionKind::Choice => "choice",
            QuestionKind::Date => "date",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            QuestionKind::ShortText => "Short answer",
            QuestionKind::LongText => "Long answer",
            QuestionKind::Choice => "One choice from a list",
            QuestionKind::Date => "Date",
        }
    }

    pub fn parse(raw: &str) -> Option<QuestionKind> {
        QuestionKind::ALL.into_iter().find(|k| k.as_str() == raw.trim())
    }
}

/// An intake question as the customer will see it. Orders keep a copy, so editing a
/// service never changes what an order asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub id: Uuid,
    pub label: String,
    pub kind: QuestionKind,
    pub required: bool,
    /// The choices of a `Choice` question; empty otherwise.
    pub options: Vec<String>,
}

/// A question as typed on the service page; `options` one per line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct QuestionForm {
    pub label: String,
    pub kind: String,
    pub required: Option<String>,
    pub options: String,
}

impl QuestionForm {
    pub fn parse(&self, id: Uuid) -> Result<Question, FieldError> {
        let label = self.label.trim();
        if label.chars().count() < 3 || label.chars().count() > 200 {
            return Err(FieldError::new("label", "Write the question in 3 to 200 characters."));
        }
        let kind = QuestionKind::parse(&self.kind)
            .ok_or_else(|| FieldError::new("kind", "Choose what kind of answer the question takes."))?;
        let options: Vec<String> =
            self.options.lines().map(str::trim).filter(|o| !o.is_empty()).map(str::to_owned).collect();
        let options = if kind == QuestionKind::Choice {
            if options.len() < 2 || options.len() > MAX_CHOICES {
                return Err(FieldError::new("options", format!("Give 2 to {MAX_CHOICES} choices, one per line.")));
            }
            if let Some(long) = options.iter().find(|o| o.chars().count() > 80) {
                return Err(FieldError::new(
                    "options",
                    format!("Keep each choice to 80 characters: \"{long}\" is longer."),
                ));
            }
            let mut seen = std::collections::HashSet::new();
            if let Some(twice) = options.iter().find(|o| !seen.insert(o.to_lowercase())) {
                return Err(FieldError::new("options", format!("\"{twice}\" is listed twice.")));
            }
            options
        } else {
            Vec::new()
        };
        Ok(Question { id, label: label.to_owned(), kind, required: self.required.is_some(), options })
    }
}

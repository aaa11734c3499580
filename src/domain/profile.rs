use crate::domain::FieldError;
use serde::{Deserialize, Serialize};

pub const NAME_MAX: usize = 100;

/// A person's display name as they want to be addressed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonName(String);

crate::domain::string_newtype_serde!(PersonName, PersonName::parse);

impl PersonName {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let value = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        if value.is_empty() {
            return Err(FieldError::new("name", "Enter your name."));
        }
        if value.chars().count() > NAME_MAX {
            return Err(FieldError::new("name", format!("Use at most {NAME_MAX} characters for your name.")));
        }
        if value.chars().any(|c| c.is_control() || c == '<' || c == '>') {
            return Err(FieldError::new("name", "Your name contains characters we cannot accept."));
        }
        Ok(PersonName(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number in international (E.164) form, e.g. `+14155550123`. People type
/// spaces, dashes and brackets; we keep only the digits after the plus.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

crate::domain::string_newtype_serde!(Phone, |raw: &str| Phone::parse_optional(raw)?
    .ok_or_else(|| FieldError::new("phone", "Enter a phone number.")));

impl Phone {
    /// An empty input means "no phone number" and gives `Ok(None)`.
    pub fn parse_optional(raw: &str) -> Result<Option<Self>, FieldError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        let err = || {
            FieldError::new(
                "phone",
                "Enter the number in international form, starting with + and the country code, e.g. +44 20 7946 0958.",
            )
        };
        let rest = raw.strip_prefix('+').ok_or_else(err)?;
        if rest.chars().any(|c| !(c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')' | '.'))) {
            return Err(err());
        }
        let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
        if !(7..=15).contains(&digits.len()) || digits.starts_with('0') {
            return Err(err());
        }
        Ok(Some(Phone(format!("+{digits}"))))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_have_their_spacing_tidied() {
        assert_eq!(PersonName::parse("  Ada   Lovelace ").unwrap().as_str(), "Ada Lovelace");
    }

    #[test]
    fn empty_overlong_and_markup_names_are_refused() {
        assert!(PersonName::parse("   ").is_err());
        assert!(PersonName::parse(&"a".repeat(NAME_MAX + 1)).unwrap_err().message.contains("100"));
        assert!(PersonName::parse("<script>").is_err());
    }

    #[test]
    fn phones_are_normalised_to_e164() {
        assert_eq!(Phone::parse_optional("+44 (20) 7946-0958").unwrap().unwrap().as_str(), "+442079460958");
        assert_eq!(Phone::parse_optional("  ").unwrap(), None);
    }

    #[test]
    fn phones_without_country_code_or_with_letters_are_refused() {
        for bad in ["020 7946 0958", "+44 20 CALL ME", "+12", "+0123456789", "+1234567890123456"] {
            assert_eq!(Phone::parse_optional(bad).unwrap_err().field, "phone", "{bad}");
        }
    }
}

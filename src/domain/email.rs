use crate::domain::FieldError;
use serde::{Deserialize, Serialize};

/// An email address as we store it: trimmed, lower-cased, one `@`, a dotted domain.
/// Deliverability is proven by the emails we send, not by a cleverer pattern here.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

crate::domain::string_newtype_serde!(Email, Email::parse);

pub const EMAIL_MAX: usize = 254;

impl Email {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let value = raw.trim().to_lowercase();
        let err = |m: &str| Err(FieldError::new("email", m));
        if value.is_empty() {
            return err("Enter your email address.");
        }
        if value.chars().count() > EMAIL_MAX {
            return err("That email address is too long (254 characters at most).");
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return err("An email address cannot contain spaces.");
        }
        let Some((local, domain)) = value.split_once('@') else {
            return err("Enter an email address like name@example.com.");
        };
        let domain_ok = !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if local.is_empty() || local.len() > 64 || !domain_ok {
            return err("Enter an email address like name@example.com.");
        }
        Ok(Email(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(Email::parse("  Ada@Example.COM ").unwrap().as_str(), "ada@example.com");
    }

    #[test]
    fn malformed_emails_are_rejected_with_a_reason() {
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "ada@@example.com",
            "ada@example..com",
            "ada@-example.com",
            "ada@example.com.",
        ] {
            let e = Email::parse(bad).unwrap_err();
            assert_eq!(e.field, "email", "{bad}");
            assert!(!e.message.is_empty());
        }
    }

    #[test]
    fn overlong_emails_are_rejected() {
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(Email::parse(&long).unwrap_err().message.contains("too long"));
    }
}

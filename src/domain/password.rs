use crate::domain::FieldError;

/// A password that meets our policy (NIST 800-63B: length over composition rules, and no
/// password that is on every attacker's first list). Never serialised or logged.
pub struct Password(String);

pub const PASSWORD_MIN: usize = 10;
pub const PASSWORD_MAX: usize = 128;

const COMMON: &[&str] = &[
    "password",
    "password1",
    "password12",
    "password123",
    "1234567890",
    "12345678910",
    "qwertyuiop",
    "qwerty1234",
    "iloveyou12",
    "letmein123",
    "welcome123",
    "abcdefghij",
    "0123456789",
    "1111111111",
    "passw0rd12",
    "attune1234",
    "changeme12",
    "administrator",
];

impl Password {
    /// Checks `raw` for a new account or a password change. `email` is refused as a
    /// password because it is the first thing anyone guesses.
    pub fn parse_new(raw: &str, field: &str, email: Option<&str>) -> Result<Self, FieldError> {
        let len = raw.chars().count();
        let err = |m: String| Err(FieldError::new(field, m));
        if len < PASSWORD_MIN {
            return err(format!("Use at least {PASSWORD_MIN} characters for your password."));
        }
        if len > PASSWORD_MAX {
            return err(format!("Use at most {PASSWORD_MAX} characters for your password."));
        }
        let lowered = raw.to_lowercase();
        if COMMON.contains(&lowered.as_str()) {
            return err("That password is too common. Choose something harder to guess.".into());
        }
        let first = raw.chars().next();
        if raw.chars().all(|c| Some(c) == first) {
            return err("A password of one repeated character is too easy to guess.".into());
        }
        if let Some(email) = email {
            let email = email.trim().to_lowercase();
            let local = email.split('@').next().unwrap_or_default();
            if lowered == email || (local.chars().count() >= 4 && lowered == local) {
                return err("Your password must not be your email address.".into());
            }
        }
        Ok(Password(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_passwords_are_refused_with_the_minimum() {
        let e = Password::parse_new("short", "password", None).unwrap_err();
        assert!(e.message.contains("10"), "{}", e.message);
    }

    #[test]
    fn overlong_passwords_are_refused() {
        assert!(Password::parse_new(&"x1".repeat(100), "password", None).is_err());
    }

    #[test]
    fn common_and_repeated_passwords_are_refused() {
        assert!(Password::parse_new("Password123", "password", None).is_err());
        assert!(Password::parse_new("aaaaaaaaaaaa", "password", None).is_err());
    }

    #[test]
    fn the_email_address_is_not_a_password() {
        assert!(Password::parse_new("someone@example.com", "password", Some("someone@example.com")).is_err());
        assert!(Password::parse_new("someone", "password", Some("someone@example.com")).is_err());
    }

    #[test]
    fn a_long_passphrase_is_accepted_and_never_printed() {
        let p = Password::parse_new("correct horse battery", "password", Some("a@b.co")).unwrap();
        assert_eq!(p.expose(), "correct horse battery");
        assert!(!format!("{p:?}").contains("horse"));
    }
}

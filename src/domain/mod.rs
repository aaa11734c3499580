//! Pure types and rules shared by the browser and the server. No I/O lives here, so
//! the UI can give instant feedback with exactly the checks the server re-runs.

/// Makes a string newtype cross the wire as a plain string that is parsed on the way
/// in, so no value that `parse` would refuse can be deserialised.
macro_rules! string_newtype_serde {
    ($t:ty, $parse:expr) => {
        impl TryFrom<String> for $t {
            type Error = crate::domain::FieldError;
            fn try_from(raw: String) -> Result<Self, Self::Error> {
                $parse(&raw)
            }
        }
        impl From<$t> for String {
            fn from(value: $t) -> String {
                value.0
            }
        }
    };
}
pub(crate) use string_newtype_serde;

pub mod access;
pub mod availability;
pub mod booking;
pub mod catalog;
pub mod checkout;
pub mod datetime;
pub mod email;
pub mod error;
pub mod ical;
pub mod leads;
pub mod ledger;
pub mod markup;
pub mod messages;
pub mod money;
pub mod onboarding;
pub mod order_number;
pub mod orders;
pub mod otp;
pub mod password;
pub mod profile;
pub mod refunds;
pub mod role;
pub mod types;
pub mod uploads;
pub mod user_code;
pub mod wizard;

pub use datetime::TimeZone;
pub use email::Email;
pub use error::{AppError, FieldError};
pub use money::{Credits, Currency, Locale, Money, MoneyError};
pub use order_number::OrderNumber;
pub use password::Password;
pub use profile::{PersonName, Phone};
pub use role::Role;
pub use user_code::UserCode;

#[cfg(test)]
mod wire_tests {
    use super::*;

    #[test]
    fn parsed_types_refuse_invalid_values_from_the_wire() {
        assert!(serde_json::from_str::<Email>("\"not an email\"").is_err());
        assert_eq!(serde_json::from_str::<Email>("\" Ada@Example.com\"").unwrap().as_str(), "ada@example.com");
        assert!(serde_json::from_str::<UserCode>("99999").is_err());
        assert_eq!(serde_json::from_str::<UserCode>("100000").unwrap().number(), 100_000);
        assert!(serde_json::from_str::<PersonName>("\"<script>\"").is_err());
        assert!(serde_json::from_str::<PersonName>("\"\"").is_err());
        assert!(serde_json::from_str::<Phone>("\"12345\"").is_err());
        assert!(serde_json::from_str::<Phone>("\"\"").is_err());
        assert!(serde_json::from_str::<TimeZone>("\"Mars/Olympus\"").is_err());
    }

    #[test]
    fn parsed_types_keep_their_wire_shape() {
        let code = UserCode::from_number(100_042).unwrap();
        assert_eq!(serde_json::to_string(&code).unwrap(), "100042");
        let email = Email::parse("ada@example.com").unwrap();
        assert_eq!(serde_json::to_string(&email).unwrap(), "\"ada@example.com\"");
        let round: Email = serde_json::from_str(&serde_json::to_string(&email).unwrap()).unwrap();
        assert_eq!(round, email);
    }
}

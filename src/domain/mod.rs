//! Pure types and rules shared by the browser and the server. No I/O lives here, so
//! the UI can give instant feedback with exactly the checks the server re-runs.

pub mod email;
pub mod error;
pub mod password;
pub mod profile;
pub mod role;
pub mod types;
pub mod user_code;

pub use email::Email;
pub use error::{AppError, FieldError};
pub use password::Password;
pub use profile::{PersonName, Phone, TimeZone};
pub use role::Role;
pub use user_code::UserCode;

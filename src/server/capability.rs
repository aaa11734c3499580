//! What a caller was checked to be, as types. A service that only an admin may use
//! takes an `&Admin`, one of the practice an `&LivePractitioner`: such a value exists
//! only once the check has passed (`context::require_admin` and its kin make them from
//! the signed-in user), so no path can reach the service without it. Each derefs to the
//! `SessionUser` it was made from.

use crate::domain::types::SessionUser;
use crate::domain::{AppError, Role};
use crate::server::error::Failure;
use crate::server::state::AppState;
use std::ops::Deref;

macro_rules! capability {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(SessionUser);

        impl Deref for $name {
            type Target = SessionUser;
            fn deref(&self) -> &SessionUser {
                &self.0
            }
        }
    };
}

capability!(
    /// A signed-in admin.
    Admin
);
capability!(
    /// A signed-in practitioner, approved or not (the onboarding wizard's caller).
    Practitioner
);
capability!(
    /// A practitioner whose onboarding is approved: the caller of every practice service.
    LivePractitioner
);

impl TryFrom<SessionUser> for Admin {
    type Error = Failure;
    fn try_from(user: SessionUser) -> Result<Admin, Failure> {
        if user.role == Role::Admin { Ok(Admin(user)) } else { Err(AppError::Forbidden.into()) }
    }
}

impl TryFrom<SessionUser> for Practitioner {
    type Error = Failure;
    fn try_from(user: SessionUser) -> Result<Practitioner, Failure> {
        if user.role == Role::Practitioner { Ok(Practitioner(user)) } else { Err(AppError::Forbidden.into()) }
    }
}

impl Practitioner {
    /// The same practitioner once their onboarding is approved; before, the answer
    /// sends them back to the wizard.
    pub async fn live(self, state: &AppState) -> Result<LivePractitioner, Failure> {
        if crate::server::onboarding::is_live(state, self.0.id).await? {
            Ok(LivePractitioner(self.0))
        } else {
            Err(AppError::OnboardingIncomplete.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role) -> SessionUser {
        SessionUser::sample(role)
    }

    #[test]
    fn each_capability_is_made_only_from_its_own_role() {
        for role in [Role::Customer, Role::Practitioner, Role::Admin] {
            assert_eq!(Admin::try_from(user(role)).is_ok(), role == Role::Admin, "{role:?}");
            assert_eq!(Practitioner::try_from(user(role)).is_ok(), role == Role::Practitioner, "{role:?}");
        }
        let err = Admin::try_from(user(Role::Customer)).unwrap_err();
        assert!(matches!(err, Failure::User(AppError::Forbidden)), "{err:?}");
    }
}

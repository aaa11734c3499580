//! Who may see what belongs to one account. Decided here once, so orders, receipts,
//! uploads and checkout cannot come to disagree.

use crate::domain::types::SessionUser;
use crate::domain::{AppError, Role};
use uuid::Uuid;

/// Why a viewer may see something that belongs to one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// It is theirs.
    Owner,
    /// They run the platform.
    Admin,
}

/// The grant `viewer` has to what `owner` owns. Its owner and admins may see it; to
/// anyone else, and to a visitor who is not signed in, it does not exist, exactly as if
/// it were not there (`NotFound`, never `Forbidden`, so its existence is not told).
pub fn owner_or_admin(viewer: Option<&SessionUser>, owner: Uuid) -> Result<Grant, AppError> {
    match viewer {
        Some(v) if v.id == owner => Ok(Grant::Owner),
        Some(v) if v.role == Role::Admin => Ok(Grant::Admin),
        _ => Err(AppError::NotFound),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role) -> SessionUser {
        SessionUser::sample(role)
    }

    #[test]
    fn only_the_owner_and_admins_see_it_and_everyone_else_is_told_it_does_not_exist() {
        let (owner, admin) = (user(Role::Customer), user(Role::Admin));
        assert_eq!(owner_or_admin(Some(&owner), owner.id), Ok(Grant::Owner));
        assert_eq!(owner_or_admin(Some(&admin), owner.id), Ok(Grant::Admin));
        assert_eq!(owner_or_admin(Some(&admin), admin.id), Ok(Grant::Owner));
        for other in [Role::Customer, Role::Practitioner] {
            assert_eq!(owner_or_admin(Some(&user(other)), owner.id), Err(AppError::NotFound));
        }
        assert_eq!(owner_or_admin(None, owner.id), Err(AppError::NotFound));
    }
}

//! A practitioner's way from sign-up to a live profile: the onboarding states and their
//! legal moves. The database repeats the moves (`onboarding_transition_allowed`) and
//! refuses any other; a test proves the two lists agree.

use serde::{Deserialize, Serialize};

/// The wizard's steps, in order.
pub const STEPS: [&str; 5] =
    ["Basic info", "Visual profile", "Professional details", "Bio", "Experience and certifications"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnboardingState {
    /// Filling in the wizard.
    Draft,
    /// Waiting for an admin's review.
    Submitted,
    /// Live: may publish services and take bookings.
    Approved,
    /// Sent back with a reason; edits and submits again.
    Rejected,
    /// Taken off the platform by an admin.
    Suspended,
}

impl OnboardingState {
    pub const ALL: [OnboardingState; 5] = [
        OnboardingState::Draft,
        OnboardingState::Submitted,
        OnboardingState::Approved,
        OnboardingState::Rejected,
        OnboardingState::Suspended,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OnboardingState::Draft => "draft",
            OnboardingState::Submitted => "submitted",
            OnboardingState::Approved => "approved",
            OnboardingState::Rejected => "rejected",
            OnboardingState::Suspended => "suspended",
        }
    }

    pub fn parse(raw: &str) -> Option<OnboardingState> {
        OnboardingState::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            OnboardingState::Draft => "Onboarding",
            OnboardingState::Submitted => "Awaiting review",
            OnboardingState::Approved => "Approved",
            OnboardingState::Rejected => "Changes requested",
            OnboardingState::Suspended => "Suspended",
        }
    }

    /// Whether onboarding may move from this state to `next`: submitted once the wizard
    /// is complete, then approved or rejected by an admin; a rejected practitioner
    /// submits again; an approved one can be suspended and reinstated.
    pub fn can_move_to(self, next: OnboardingState) -> bool {
        use OnboardingState::*;
        matches!(
            (self, next),
            (Draft, Submitted)
                | (Submitted, Approved | Rejected)
                | (Rejected, Submitted)
                | (Approved, Suspended)
                | (Suspended, Approved)
        )
    }

    /// Whether the practitioner has finished onboarding and may work on the platform.
    pub fn is_live(self) -> bool {
        self == OnboardingState::Approved
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_read_back_as_written_and_only_the_listed_moves_are_legal() {
        for s in OnboardingState::ALL {
            assert_eq!(OnboardingState::parse(s.as_str()), Some(s));
            assert!(!s.can_move_to(s), "{s:?} to itself is not a move");
        }
        assert!(OnboardingState::Draft.can_move_to(OnboardingState::Submitted));
        assert!(!OnboardingState::Draft.can_move_to(OnboardingState::Approved), "no approval without review");
        assert!(OnboardingState::Rejected.can_move_to(OnboardingState::Submitted));
        assert!(!OnboardingState::Suspended.can_move_to(OnboardingState::Draft));
        assert_eq!(OnboardingState::parse("live"), None);
    }
}

/// The onboarding funnel's stages, in order. "Live" is an approved practitioner with at
/// least one published service of a listed type: someone customers can buy from.
pub const FUNNEL: [&str; 7] = ["Imported", "Contacted", "First login", "Started", "Completed", "Approved", "Live"];

/// Each stage's count as a share of the first stage and of the stage before, in whole
/// per cent (rounded down, so a stage never shows 100 % unless every lead reached it).
pub fn conversion(counts: &[i64]) -> Vec<(Option<u8>, Option<u8>)> {
    let pct = |part: i64, whole: i64| (whole > 0).then(|| ((part.clamp(0, whole) * 100) / whole) as u8);
    counts
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let of_first = pct(n, counts[0]);
            let of_previous = if i == 0 { None } else { pct(n, counts[i - 1]) };
            (of_first, of_previous)
        })
        .collect()
}

#[cfg(test)]
mod funnel_tests {
    use super::conversion;

    #[test]
    fn conversion_is_a_share_of_the_first_and_the_previous_stage() {
        let c = conversion(&[200, 150, 3, 0, 0, 0]);
        assert_eq!(c[0], (Some(100), None));
        assert_eq!(c[1], (Some(75), Some(75)));
        assert_eq!(c[2], (Some(1), Some(2)), "3 of 150 is 2 %, rounded down");
        assert_eq!(c[3], (Some(0), Some(0)));
        assert_eq!(conversion(&[0, 0])[1], (None, None), "no leads: no percentages, not zeros");
        assert_eq!(conversion(&[3, 2])[1], (Some(66), Some(66)));
    }
}

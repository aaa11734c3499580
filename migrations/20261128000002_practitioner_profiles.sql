-- A practitioner's profile and onboarding, in a table of its own (users keeps what every
-- account has). The onboarding state moves only along `onboarding_transition_allowed`,
-- which `domain::onboarding::OnboardingState::can_move_to` repeats (a test proves they
-- agree); every move is recorded with who made it, when and why.

CREATE TABLE practitioner_profiles (
    user_id          uuid PRIMARY KEY REFERENCES users (id),
    onboarding_state text NOT NULL CHECK (onboarding_state IN ('draft', 'submitted', 'approved', 'rejected', 'suspended')),
    -- The first wizard step not yet completed; 6 once all five are.
    step_reached     smallint NOT NULL DEFAULT 1 CHECK (step_reached BETWEEN 1 AND 6),
    -- The call-centre lead this practitioner was, linked by phone at first sign-in.
    lead_id          uuid UNIQUE REFERENCES leads (id),
    first_login_at   timestamptz,
    submitted_at     timestamptz,
    approved_at      timestamptz,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    CONSTRAINT practitioner_profiles_submitted_complete CHECK (onboarding_state = 'draft' OR step_reached = 6),
    CONSTRAINT practitioner_profiles_approved_when CHECK ((onboarding_state = 'approved') <= (approved_at IS NOT NULL))
);
CREATE INDEX practitioner_profiles_by_state ON practitioner_profiles (onboarding_state, updated_at DESC);

CREATE FUNCTION onboarding_transition_allowed(from_state text, to_state text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT (from_state, to_state) IN (
        ('draft', 'submitted'),
        ('submitted', 'approved'), ('submitted', 'rejected'),
        ('rejected', 'submitted'),
        ('approved', 'suspended'), ('suspended', 'approved'))
$$;

CREATE FUNCTION practitioner_profiles_refuse_illegal_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.onboarding_state IS DISTINCT FROM OLD.onboarding_state
       AND NOT onboarding_transition_allowed(OLD.onboarding_state, NEW.onboarding_state) THEN
        RAISE EXCEPTION 'onboarding cannot move from % to %', OLD.onboarding_state, NEW.onboarding_state
            USING ERRCODE = 'check_violation', CONSTRAINT = 'practitioner_profiles_legal_transition';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER practitioner_profiles_transition BEFORE UPDATE ON practitioner_profiles
    FOR EACH ROW EXECUTE FUNCTION practitioner_profiles_refuse_illegal_transition();

CREATE TABLE onboarding_transitions (
    id         bigserial PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES practitioner_profiles (user_id),
    from_state text,
    to_state   text NOT NULL,
    actor_id   uuid REFERENCES users (id),
    reason     text NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 500),
    at         timestamptz NOT NULL
);
CREATE INDEX onboarding_transitions_by_user ON onboarding_transitions (user_id, id);

-- Accounts that are practitioners already start their onboarding as drafts.
INSERT INTO practitioner_profiles (user_id, onboarding_state, created_at, updated_at)
SELECT id, 'draft', now(), now() FROM users WHERE role = 'practitioner';
INSERT INTO onboarding_transitions (user_id, from_state, to_state, reason, at)
SELECT user_id, NULL, 'draft', 'Practitioner account existed before onboarding', now() FROM practitioner_profiles;

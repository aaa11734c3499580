-- A profile is live (approved: listed, bookable, sold) only while its account is a
-- practitioner's. Every page and checkout that asks for an approved profile then asks
-- for a live practitioner, role and state together, without repeating the role.
-- Changing the role away from practitioner suspends the profile in the same
-- transaction (`accounts::set_role`); these triggers refuse any write that would
-- break the rule.

-- Profiles left live by a role change before this rule: taken off the platform.
WITH demoted AS (
    UPDATE practitioner_profiles p SET onboarding_state = 'suspended', updated_at = now()
    FROM users u
    WHERE u.id = p.user_id AND p.onboarding_state = 'approved' AND u.role <> 'practitioner'
    RETURNING p.user_id)
INSERT INTO onboarding_transitions (user_id, from_state, to_state, reason, at)
SELECT user_id, 'approved', 'suspended', 'No longer a practitioner', now() FROM demoted;

CREATE FUNCTION practitioner_live_needs_role() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'practitioner_profiles' THEN
        IF NOT EXISTS (SELECT 1 FROM users WHERE id = NEW.user_id AND role = 'practitioner') THEN
            RAISE EXCEPTION 'only a practitioner''s profile can be approved'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'practitioner_profiles_live_needs_role';
        END IF;
    ELSIF EXISTS (SELECT 1 FROM practitioner_profiles WHERE user_id = NEW.id AND onboarding_state = 'approved') THEN
        RAISE EXCEPTION 'a live practitioner keeps the practitioner role until their profile is suspended'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'practitioner_profiles_live_needs_role';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER practitioner_profiles_live_needs_role BEFORE INSERT OR UPDATE OF onboarding_state ON practitioner_profiles
    FOR EACH ROW WHEN (NEW.onboarding_state = 'approved') EXECUTE FUNCTION practitioner_live_needs_role();
CREATE TRIGGER users_live_needs_role AFTER UPDATE OF role ON users
    FOR EACH ROW WHEN (OLD.role = 'practitioner' AND NEW.role <> 'practitioner') EXECUTE FUNCTION practitioner_live_needs_role();

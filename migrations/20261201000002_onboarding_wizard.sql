-- What the five wizard steps collect. Name, email, phone and time zone stay on users
-- (every account has them); the rest belongs to the practitioner's profile. Each column
-- repeats the rule `domain::onboarding` checks, so nothing the wizard would refuse can
-- be stored by any other path.

ALTER TABLE practitioner_profiles
    ADD COLUMN first_name        text CHECK (char_length(first_name) BETWEEN 1 AND 60),
    ADD COLUMN last_name         text CHECK (char_length(last_name) BETWEEN 1 AND 60),
    ADD COLUMN location          text CHECK (char_length(location) BETWEEN 2 AND 120),
    ADD COLUMN practice_type     text CHECK (char_length(practice_type) BETWEEN 2 AND 80),
    ADD COLUMN specialties       text[] NOT NULL DEFAULT '{}' CHECK (cardinality(specialties) <= 10),
    ADD COLUMN languages         text[] NOT NULL DEFAULT '{}' CHECK (cardinality(languages) <= 10),
    ADD COLUMN years_experience  smallint CHECK (years_experience BETWEEN 0 AND 70),
    ADD COLUMN headline          text CHECK (char_length(headline) BETWEEN 10 AND 120),
    ADD COLUMN bio               text CHECK (char_length(bio) BETWEEN 100 AND 2000),
    -- The call-centre values the practitioner confirmed (field names), so the wizard
    -- can show that a prefilled value was checked by its owner.
    ADD COLUMN confirmed_prefill text[] NOT NULL DEFAULT '{}',
    -- The public address of an approved profile: /p/<slug>.
    ADD COLUMN slug              text UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND char_length(slug) <= 80),
    -- Why the last review sent the profile back.
    ADD COLUMN review_note       text CHECK (char_length(review_note) BETWEEN 1 AND 1000),
    ADD CONSTRAINT practitioner_profiles_live_has_slug CHECK (onboarding_state NOT IN ('approved', 'suspended') OR slug IS NOT NULL);

-- Step 5: where they trained and worked, in their order.
CREATE TABLE practitioner_experience (
    id           bigserial PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES practitioner_profiles (user_id),
    position     smallint NOT NULL CHECK (position BETWEEN 1 AND 20),
    title        text NOT NULL CHECK (char_length(title) BETWEEN 2 AND 100),
    organisation text NOT NULL CHECK (char_length(organisation) BETWEEN 2 AND 100),
    start_year   smallint NOT NULL CHECK (start_year BETWEEN 1900 AND 2100),
    end_year     smallint CHECK (end_year BETWEEN 1900 AND 2100),
    CONSTRAINT practitioner_experience_years_in_order CHECK (end_year IS NULL OR end_year >= start_year),
    UNIQUE (user_id, position)
);

-- Step 2's photo and step 5's certificates. The files live in object storage under
-- random names; a row names them, with the type decided from the file's content.
CREATE TABLE practitioner_uploads (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      uuid NOT NULL REFERENCES practitioner_profiles (user_id),
    kind         text NOT NULL CHECK (kind IN ('photo', 'certificate')),
    title        text NOT NULL CHECK (char_length(title) BETWEEN 2 AND 100),
    storage_key  text NOT NULL UNIQUE,
    -- The photo's thumbnail; certificates have none.
    thumb_key    text UNIQUE,
    content_type text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp', 'application/pdf')),
    size_bytes   bigint NOT NULL CHECK (size_bytes BETWEEN 1 AND 10485760),
    uploaded_at  timestamptz NOT NULL,
    CONSTRAINT practitioner_uploads_photo_has_thumbnail CHECK ((kind = 'photo') = (thumb_key IS NOT NULL)),
    CONSTRAINT practitioner_uploads_photo_is_jpeg CHECK (kind <> 'photo' OR content_type = 'image/jpeg')
);
CREATE UNIQUE INDEX practitioner_uploads_one_photo ON practitioner_uploads (user_id) WHERE kind = 'photo';
CREATE INDEX practitioner_uploads_by_user ON practitioner_uploads (user_id, uploaded_at);

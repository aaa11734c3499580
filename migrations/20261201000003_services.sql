-- Practitioners' services and the directory's search.

-- The same name for the order field as credit packages use.
ALTER TABLE service_types RENAME COLUMN sort_order TO position;
ALTER TABLE service_types ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

CREATE FUNCTION service_status_allowed(from_status text, to_status text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT (from_status, to_status) IN (
        ('active', 'paused'), ('paused', 'active'),
        ('active', 'archived'), ('paused', 'archived'),
        ('archived', 'paused'))
$$;

CREATE TABLE services (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    practitioner_id  uuid NOT NULL REFERENCES practitioner_profiles (user_id),
    type_id          uuid NOT NULL REFERENCES service_types (id),
    slug             text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND char_length(slug) <= 100),
    title            text NOT NULL CHECK (char_length(title) BETWEEN 3 AND 100),
    description      text NOT NULL CHECK (char_length(description) BETWEEN 20 AND 4000),
    delivery         text NOT NULL CHECK (delivery IN ('video', 'phone', 'in_person', 'written')),
    duration_minutes integer CHECK (duration_minutes IN (15, 30, 45, 60, 75, 90, 120, 180)),
    price_credits    bigint CHECK (price_credits BETWEEN 1 AND 100000),
    price_minor      bigint CHECK (price_minor BETWEEN 1 AND 10000000),
    currency         text CHECK (currency ~ '^[A-Z]{3}$'),
    -- The intake questions in order: [{id, label, kind, required, options}], checked by
    -- `domain::catalog::QuestionForm`; orders keep their own copy.
    questions        jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(questions) = 'array' AND jsonb_array_length(questions) <= 20),
    status           text NOT NULL CHECK (status IN ('active', 'paused', 'archived')),
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    CONSTRAINT services_priced CHECK (price_credits IS NOT NULL OR price_minor IS NOT NULL),
    CONSTRAINT services_card_price_has_currency CHECK ((price_minor IS NULL) = (currency IS NULL)),
    CONSTRAINT services_scheduled_have_duration CHECK ((delivery = 'written') = (duration_minutes IS NULL))
);
CREATE INDEX services_by_practitioner ON services (practitioner_id, status);
CREATE INDEX services_active_by_type ON services (type_id) WHERE status = 'active';

CREATE FUNCTION services_refuse_illegal_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status AND NOT service_status_allowed(OLD.status, NEW.status) THEN
        RAISE EXCEPTION 'a service cannot move from % to %', OLD.status, NEW.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'services_legal_status';
    END IF;
    IF NEW.practitioner_id IS DISTINCT FROM OLD.practitioner_id OR NEW.slug IS DISTINCT FROM OLD.slug THEN
        RAISE EXCEPTION 'a service keeps its practitioner and address'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'services_fixed_owner';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER services_status BEFORE UPDATE ON services
    FOR EACH ROW EXECUTE FUNCTION services_refuse_illegal_status();

-- The directory searches one document per practitioner: name, practice, specialties
-- and the titles and types of their published services weigh most, then the headline
-- and languages, then the biography.
ALTER TABLE practitioner_profiles ADD COLUMN search tsvector NOT NULL DEFAULT ''::tsvector;
CREATE INDEX practitioner_profiles_search ON practitioner_profiles USING gin (search);

CREATE FUNCTION practitioner_search_document(p practitioner_profiles) RETURNS tsvector
LANGUAGE sql STABLE AS $$
    SELECT setweight(to_tsvector('english', coalesce((SELECT name FROM users WHERE id = p.user_id), '')), 'A')
        || setweight(to_tsvector('english', coalesce(p.practice_type, '') || ' ' || coalesce(array_to_string(p.specialties, ' '), '')), 'A')
        || setweight(to_tsvector('english', coalesce((
               SELECT string_agg(s.title || ' ' || t.name, ' ')
               FROM services s JOIN service_types t ON t.id = s.type_id
               WHERE s.practitioner_id = p.user_id AND s.status = 'active'), '')), 'A')
        || setweight(to_tsvector('english', coalesce(p.headline, '') || ' ' || coalesce(array_to_string(p.languages, ' '), '')), 'B')
        || setweight(to_tsvector('english', coalesce(p.bio, '')), 'C')
$$;

CREATE FUNCTION practitioner_profiles_index() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search := practitioner_search_document(NEW);
    RETURN NEW;
END $$;
CREATE TRIGGER practitioner_profiles_search BEFORE INSERT OR UPDATE ON practitioner_profiles
    FOR EACH ROW EXECUTE FUNCTION practitioner_profiles_index();

-- A change to a service or to a name re-indexes its practitioner (through the trigger above).
CREATE FUNCTION practitioner_reindex() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'services' THEN
        UPDATE practitioner_profiles SET search = search WHERE user_id = NEW.practitioner_id;
    ELSIF TG_TABLE_NAME = 'users' THEN
        UPDATE practitioner_profiles SET search = search WHERE user_id = NEW.id;
    ELSE
        UPDATE practitioner_profiles SET search = search
         WHERE user_id IN (SELECT practitioner_id FROM services WHERE type_id = NEW.id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER services_reindex AFTER INSERT OR UPDATE ON services
    FOR EACH ROW EXECUTE FUNCTION practitioner_reindex();
CREATE TRIGGER users_reindex AFTER UPDATE OF name ON users
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION practitioner_reindex();
CREATE TRIGGER service_types_reindex AFTER UPDATE OF name ON service_types
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION practitioner_reindex();

UPDATE practitioner_profiles SET search = search;

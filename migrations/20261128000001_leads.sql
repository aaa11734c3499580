-- The call centre's practitioner leads. Each import is a batch with its counts and the
-- rows it refused; a lead is one phone number (E.164), so importing the same file again
-- updates what changed and never duplicates.

CREATE TABLE lead_batches (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    file_name   text NOT NULL CHECK (char_length(file_name) BETWEEN 1 AND 255),
    -- The admin who uploaded it; NULL when imported from the command line.
    imported_by uuid REFERENCES users (id),
    created_at  timestamptz NOT NULL,
    rows_total  integer NOT NULL CHECK (rows_total >= 0),
    created     integer NOT NULL CHECK (created >= 0),
    updated     integer NOT NULL CHECK (updated >= 0),
    unchanged   integer NOT NULL CHECK (unchanged >= 0),
    rejected    integer NOT NULL CHECK (rejected >= 0),
    CONSTRAINT lead_batches_counts_add_up CHECK (created + updated + unchanged + rejected = rows_total)
);
CREATE INDEX lead_batches_recent ON lead_batches (created_at DESC);

CREATE TABLE leads (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    phone          text NOT NULL UNIQUE CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    name           text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    email          text CHECK (char_length(email) BETWEEN 3 AND 254),
    practice_type  text CHECK (char_length(practice_type) BETWEEN 1 AND 80),
    location       text CHECK (char_length(location) BETWEEN 1 AND 120),
    contacted      boolean NOT NULL,
    contact_status text CHECK (char_length(contact_status) BETWEEN 1 AND 60),
    -- The batch that first brought the lead (its funnel) and the last that changed it.
    first_batch_id uuid NOT NULL REFERENCES lead_batches (id),
    last_batch_id  uuid NOT NULL REFERENCES lead_batches (id),
    imported_at    timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);
CREATE INDEX leads_by_first_batch ON leads (first_batch_id);

-- The rows a batch refused, with their line number in the file and why.
CREATE TABLE lead_import_errors (
    batch_id uuid NOT NULL REFERENCES lead_batches (id),
    line     integer NOT NULL CHECK (line > 0),
    reason   text NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 500),
    PRIMARY KEY (batch_id, line)
);

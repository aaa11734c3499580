-- What the customer and the practitioner of a service order exchange: files (a
-- practitioner's written deliverable, a customer's chart) and a message thread.

CREATE TABLE order_documents (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id     uuid NOT NULL REFERENCES orders (id),
    uploaded_by  uuid NOT NULL REFERENCES users (id),
    -- The name it is downloaded under (made safe from the uploaded one).
    file_name    text NOT NULL CHECK (char_length(file_name) BETWEEN 1 AND 120),
    -- Random, never derived from the file's name.
    storage_key  text NOT NULL UNIQUE,
    content_type text NOT NULL CHECK (content_type IN ('application/pdf', 'image/jpeg', 'image/png')),
    size_bytes   bigint NOT NULL CHECK (size_bytes > 0),
    uploaded_at  timestamptz NOT NULL
);
CREATE INDEX order_documents_by_order ON order_documents (order_id, uploaded_at);

CREATE TABLE order_messages (
    id         bigserial PRIMARY KEY,
    order_id   uuid NOT NULL REFERENCES orders (id),
    author_id  uuid NOT NULL REFERENCES users (id),
    body       text NOT NULL CHECK (char_length(btrim(body)) BETWEEN 1 AND 5000),
    created_at timestamptz NOT NULL
);
CREATE INDEX order_messages_by_order ON order_messages (order_id, id);

-- Per order and side: the last message they have read, and when they were last
-- emailed about the thread (at most one email per thread every ten minutes).
CREATE TABLE order_thread_reads (
    order_id        uuid NOT NULL REFERENCES orders (id),
    user_id         uuid NOT NULL REFERENCES users (id),
    last_read_id    bigint NOT NULL DEFAULT 0,
    last_emailed_at timestamptz,
    PRIMARY KEY (order_id, user_id)
);
CREATE INDEX order_thread_reads_by_user ON order_thread_reads (user_id);

-- The directory's search words become a query of word beginnings, tokenised by the same
-- parser and dictionaries that built the documents, so every script (Devanagari's
-- virama, Tamil, accented Latin) splits alike on both sides and no typed character is
-- ever read as query syntax. Each lexeme of `plainto_tsquery` gets a prefix mark
-- (`astro` finds astrology); words that are all stop words in English fall back to the
-- unstemmed beginnings (`the` finds therapy); nothing searchable gives NULL. The
-- parser's notices about stop words are kept out of the logs.
CREATE FUNCTION directory_query(words text) RETURNS tsquery LANGUAGE sql STABLE PARALLEL SAFE
SET client_min_messages = warning AS $$
    SELECT CASE WHEN numnode(english) > 0 THEN english WHEN numnode(simple) > 0 THEN simple END
    FROM (SELECT regexp_replace(plainto_tsquery('english', words)::text, '''((?:[^'']|'''')*)''', '''\1'':*', 'g')::tsquery AS english,
                 regexp_replace(plainto_tsquery('simple', words)::text, '''((?:[^'']|'''')*)''', '''\1'':*', 'g')::tsquery AS simple) q
$$;

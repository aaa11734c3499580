-- A slot is taken before a password is checked and given back when the check did not
-- fail, so a counter may come back down to zero (purged with its window).
ALTER TABLE rate_limit_counters
    DROP CONSTRAINT rate_limit_counters_hits_check,
    ADD CONSTRAINT rate_limit_counters_hits_check CHECK (hits >= 0);

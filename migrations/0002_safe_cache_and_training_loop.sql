-- AI Memory: the safe response cache and the training-data loop (issue 4).

-- A cache entry is matched semantically only by requests with the same slot signature
-- (computed by the client: entity/area/floor ids, numbers, polarity and other guarded words),
-- and dropped when something it depends on (an entity, an area) changes.
ALTER TABLE response_cache
    ADD COLUMN signature JSONB,                -- as sent by the client, for inspection
    ADD COLUMN signature_hash TEXT,            -- sha256 of the canonical signature JSON
    ADD COLUMN dependencies TEXT[] NOT NULL DEFAULT '{}';  -- "light.x", "area:kitchen", …
CREATE INDEX idx_cache_match ON response_cache (language, scope, signature_hash);
CREATE INDEX idx_cache_dependencies ON response_cache USING GIN (dependencies);

ALTER TABLE cache_counters
    ADD COLUMN exact_hits BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN semantic_hits BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN false_hits BIGINT NOT NULL DEFAULT 0,   -- hits whose replay failed or drew a complaint
    ADD COLUMN evictions BIGINT NOT NULL DEFAULT 0,    -- dropped by the size bound
    ADD COLUMN invalidations BIGINT NOT NULL DEFAULT 0;  -- dropped because something changed
UPDATE cache_counters SET exact_hits = hits;  -- every hit before this migration was exact

-- Feedback may be re-sent by the client's queue after a lost answer: an optional
-- client-chosen id makes it idempotent (NULLs never conflict).
ALTER TABLE feedback ADD COLUMN feedback_id TEXT UNIQUE;

-- Implicit signals about a turn, learned from what happened next: the same request again
-- shortly after (repeated), a rephrased or negated request right after (corrected), or a
-- complaint about an answer that came from the cache (cache_complaint).
CREATE TABLE training_signals (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    turn_id TEXT NOT NULL,                     -- the turn the signal is about
    kind TEXT NOT NULL CHECK (kind IN ('repeated', 'corrected', 'cache_complaint')),
    evidence TEXT,                             -- the later turn id or "feedback:<id>"
    details JSONB NOT NULL DEFAULT '{}',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT training_signals_once UNIQUE (turn_id, kind)
);

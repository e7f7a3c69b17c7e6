-- AI Memory: initial schema (seed 001's tables, grown as PRODUCT.md §2 describes).
-- Embedding columns are declared without a dimension: the sidecar learns the dimension from
-- the embedding model and then fixes the column type and builds the HNSW indexes itself
-- (sidecar/db/embedding_space.py), so a model change re-embeds instead of breaking the schema.

CREATE EXTENSION IF NOT EXISTS vector;

-- pg_trgm (typo-tolerant matching) is in every PostgreSQL contrib build, including the
-- pgvector/pgvector images, but not in the embedded database: use it where it exists.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
    END IF;
END
$$;

-- One row per database: its identity (the HA config entry's unique id) and the embedding
-- space (model + dimension) that the stored vectors belong to.
CREATE TABLE instance (
    singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    instance_id UUID NOT NULL DEFAULT gen_random_uuid(),
    embedding_model TEXT,
    embedding_dimensions INTEGER CHECK (embedding_dimensions BETWEEN 1 AND 2000),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO instance DEFAULT VALUES;

-- Full-text query used by every lexical search: the query's words OR-ed together, both
-- English-stemmed ("lighting" finds "lights") and as written (other languages, names).
CREATE FUNCTION ai_memory_tsvector(content TEXT) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN to_tsvector('english'::regconfig, content) || to_tsvector('simple'::regconfig, content);

CREATE FUNCTION ai_memory_tsquery(query TEXT) RETURNS tsquery
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (
        SELECT coalesce(
            to_tsquery('simple'::regconfig, string_agg(quote_literal(lexeme), ' | ')),
            ''::tsquery
        )
        FROM unnest(tsvector_to_array(ai_memory_tsvector(query))) AS lexeme
    );

-- Conversation history: one row per Assist turn.
CREATE TABLE conversations (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    turn_id TEXT NOT NULL UNIQUE,              -- client-supplied: makes ingestion idempotent
    session_id TEXT NOT NULL,                  -- seed 001; HA's conversation id when not given
    conversation_id TEXT,                      -- HA's conversation id
    role TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'assistant', 'system')),
    content TEXT NOT NULL,                     -- what was said
    response TEXT,                             -- what the assistant answered
    language TEXT,
    intent TEXT,
    response_type TEXT,                        -- HA's action_done / query_answer / error
    user_id TEXT,
    device_id TEXT,                            -- satellite or phone device
    satellite_id TEXT,
    area_id TEXT,
    agent_id TEXT,
    latency_ms DOUBLE PRECISION CHECK (latency_ms >= 0),
    memories_used BIGINT[] NOT NULL DEFAULT '{}',
    metadata JSONB NOT NULL DEFAULT '{}',
    embedding vector,
    search_tsv tsvector GENERATED ALWAYS AS (
        ai_memory_tsvector(content || ' ' || coalesce(response, ''))
    ) STORED,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
ALTER TABLE conversations ALTER COLUMN embedding SET STORAGE PLAIN;
CREATE INDEX idx_conversations_session ON conversations (session_id, created_at);
CREATE INDEX idx_conversations_conversation ON conversations (conversation_id, created_at);
CREATE INDEX idx_conversations_device ON conversations (device_id, created_at);
CREATE INDEX idx_conversations_created ON conversations (created_at);
CREATE INDEX idx_conversations_search ON conversations USING GIN (search_tsv);
CREATE INDEX idx_conversations_pending ON conversations (id) WHERE embedding IS NULL;

-- Memories / RAG documents (seed 001 "knowledge", segmented by domain as in seed 003).
CREATE TABLE knowledge (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    content TEXT NOT NULL CHECK (content <> ''),
    content_hash BYTEA NOT NULL,               -- sha256 of the normalized content
    embedding vector,
    domain TEXT NOT NULL DEFAULT 'default',
    source TEXT,
    tags TEXT[] NOT NULL DEFAULT '{}',
    importance DOUBLE PRECISION NOT NULL DEFAULT 0.5 CHECK (importance BETWEEN 0 AND 1),
    metadata JSONB NOT NULL DEFAULT '{}',
    scope TEXT NOT NULL DEFAULT 'household'
        CHECK (scope IN ('household', 'person', 'area', 'device')),
    scope_id TEXT NOT NULL DEFAULT '',         -- person/area/device id; '' for household
    search_tsv tsvector GENERATED ALWAYS AS (ai_memory_tsvector(content)) STORED,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ,
    -- re-adding the same fact to the same place is a no-op, never a second row
    CONSTRAINT knowledge_unique_fact UNIQUE (domain, scope, scope_id, content_hash)
);
ALTER TABLE knowledge ALTER COLUMN embedding SET STORAGE PLAIN;
CREATE INDEX idx_knowledge_domain_created ON knowledge (domain, created_at);
CREATE INDEX idx_knowledge_created ON knowledge (created_at);
CREATE INDEX idx_knowledge_expires ON knowledge (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX idx_knowledge_tags ON knowledge USING GIN (tags);
CREATE INDEX idx_knowledge_metadata ON knowledge USING GIN (metadata jsonb_path_ops);
CREATE INDEX idx_knowledge_search ON knowledge USING GIN (search_tsv);
CREATE INDEX idx_knowledge_pending ON knowledge (id) WHERE embedding IS NULL;

-- Preferences and entity aliases (key "entity_alias.<alias>", category "aliases").
CREATE TABLE preferences (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    value JSONB NOT NULL,
    category TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_preferences_category ON preferences (category, key);

-- Response cache: exact match on normalized text within language and scope.
CREATE TABLE response_cache (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    query_hash TEXT NOT NULL UNIQUE,           -- sha256 of language, scope and normalized text
    query_text TEXT NOT NULL,
    normalized_text TEXT NOT NULL,
    language TEXT NOT NULL DEFAULT '',
    scope TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL DEFAULT 'answer' CHECK (kind IN ('answer', 'plan')),
    response TEXT NOT NULL,
    embedding vector,
    hit_count INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_hit_at TIMESTAMPTZ,
    expires_at TIMESTAMPTZ,
    metadata JSONB NOT NULL DEFAULT '{}'
);
ALTER TABLE response_cache ALTER COLUMN embedding SET STORAGE PLAIN;
CREATE INDEX idx_cache_expires ON response_cache (expires_at);
CREATE INDEX idx_cache_recency ON response_cache ((coalesce(last_hit_at, created_at)));
CREATE INDEX idx_cache_pending ON response_cache (id) WHERE embedding IS NULL;

-- Hits and misses survive restarts and are shared by every sidecar on the database.
CREATE TABLE cache_counters (
    singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    hits BIGINT NOT NULL DEFAULT 0,
    misses BIGINT NOT NULL DEFAULT 0,
    reset_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO cache_counters DEFAULT VALUES;

-- Training examples, one per recorded turn (or added directly).
CREATE TABLE training_data (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    turn_id TEXT UNIQUE REFERENCES conversations (turn_id) ON DELETE CASCADE,
    input_text TEXT NOT NULL,
    output_text TEXT NOT NULL,
    feedback_score INTEGER CHECK (feedback_score BETWEEN 1 AND 5),  -- latest feedback
    interaction_type TEXT CHECK (interaction_type IN ('command', 'question', 'conversation')),
    language TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    exported BOOLEAN NOT NULL DEFAULT FALSE,
    exported_at TIMESTAMPTZ,
    metadata JSONB NOT NULL DEFAULT '{}'
);
CREATE INDEX idx_training_feedback ON training_data (feedback_score);
CREATE INDEX idx_training_pending ON training_data (created_at) WHERE NOT exported;
CREATE INDEX idx_training_language ON training_data (language, created_at);

-- Every feedback event, kept even when its turn has not arrived yet (HA queues turns while
-- the sidecar is down, so feedback can overtake its turn); applied when the turn lands.
CREATE TABLE feedback (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    interaction_id TEXT NOT NULL,              -- a turn_id
    score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment TEXT,
    source TEXT NOT NULL DEFAULT 'api',
    metadata JSONB NOT NULL DEFAULT '{}',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_feedback_interaction ON feedback (interaction_id, created_at);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        CREATE INDEX idx_knowledge_trigram ON knowledge USING GIN (content gin_trgm_ops);
        CREATE INDEX idx_conversations_trigram ON conversations USING GIN (content gin_trgm_ops);
    END IF;
END
$$;

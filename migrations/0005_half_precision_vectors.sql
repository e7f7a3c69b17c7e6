-- Embeddings are stored and indexed at half precision (pgvector's halfvec, 2 bytes a number).
--
-- At 100k memories × 384 dimensions the HNSW index shrinks from 195 to 112 MB, so it fits in
-- PostgreSQL's 128 MB of shared buffers instead of being read back from the page cache on
-- every search, and the table from 195 to 87 MB; a search at ef_search 100 goes from 3.1 to
-- 2.0 ms p50 and an insert, which maintains the index, from 4.3 to 2.5 ms (bench/README.md,
-- "Half precision"). Half precision keeps about three significant digits: for the benchmark's
-- queries an exact scan over half-precision vectors returns the same top 10 as one over
-- 32-bit vectors.
--
-- Vectors already stored are converted in place. One with a number beyond half precision's
-- range (|x| > 65504; embedding models give unit-length vectors, so none should) cannot be
-- converted and becomes pending: the backfill worker embeds its row again.
DO $$
DECLARE
    dimensions integer := (SELECT embedding_dimensions FROM instance);
    half_type text := CASE WHEN dimensions IS NULL THEN 'halfvec'
                           ELSE format('halfvec(%s)', dimensions) END;
    embedded_table text;
BEGIN
    DROP INDEX IF EXISTS knowledge_embedding_hnsw;
    DROP INDEX IF EXISTS conversations_embedding_hnsw;
    FOREACH embedded_table IN ARRAY ARRAY['knowledge', 'conversations', 'response_cache'] LOOP
        EXECUTE format(
            'UPDATE %I SET embedding = NULL WHERE embedding IS NOT NULL AND '
            '(SELECT max(abs(x)) FROM unnest(embedding::real[]) AS x) > 65504',
            embedded_table);
        EXECUTE format(
            'ALTER TABLE %I ALTER COLUMN embedding TYPE %s USING embedding::%s, '
            'ALTER COLUMN embedding SET STORAGE PLAIN',
            embedded_table, half_type, half_type);
    END LOOP;
    -- Without a dimension the sidecar builds them once it knows its model's.
    IF dimensions IS NOT NULL THEN
        CREATE INDEX knowledge_embedding_hnsw ON knowledge
            USING hnsw (embedding halfvec_cosine_ops) WITH (m = 16, ef_construction = 64);
        CREATE INDEX conversations_embedding_hnsw ON conversations
            USING hnsw (embedding halfvec_cosine_ops) WITH (m = 16, ef_construction = 64);
    END IF;
END
$$;

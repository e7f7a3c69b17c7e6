-- The response cache's semantic lookup compares only entries with the same language, scope
-- and slot signature, found through idx_cache_match (a btree), so the planner never reads an
-- HNSW index on response_cache; every cache hit still had to insert into it (a hit updates
-- last_hit_at, which idx_cache_recency covers, so the update is never HOT): 1.7-1.9 ms of each
-- hit at 10k entries. The sidecar no longer builds it (sidecar/db/embedding_space.py).
DROP INDEX IF EXISTS response_cache_embedding_hnsw;

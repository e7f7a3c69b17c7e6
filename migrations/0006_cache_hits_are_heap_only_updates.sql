-- A cache hit updates its entry's hit_count and last_hit_at. idx_cache_recency covered
-- last_hit_at, so every hit was a full update that added an entry to each of the table's
-- seven indexes and wrote 1-1.7 kB of WAL; nothing reads that index (eviction ranks every
-- entry with live ones first, an order the index cannot give). Without it a hit is a
-- heap-only (HOT) update: 0.25 kB of WAL per hit (less wear on a Pi's SD card) and an exact
-- hit's statement 0.1-0.2 ms faster at p50, 0.25 ms or more at p95 (bench/README.md,
-- Findings).
--
-- A HOT update puts the new row version on the same page, so the page needs room for it:
-- entries are about 1 kB (the half-precision embedding is stored inline), so pages are now
-- filled to 70 % on insert. Pages written earlier keep their packing until entries expire.
DROP INDEX IF EXISTS idx_cache_recency;
ALTER TABLE response_cache SET (fillfactor = 70);

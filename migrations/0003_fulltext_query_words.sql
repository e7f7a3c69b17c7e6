-- Full-text queries that stay fast on a large store (bench/README.md, "Hybrid search").
--
-- ai_memory_tsquery (0001) OR-ed every word of the query in both configurations, stop words
-- included ('simple' keeps "the", "on"), so a query matched about half of all rows and each
-- search ranked them all with ts_rank_cd: 636 ms p50 at 100k memories. Searches now ask for
-- rows that have every meaningful word first (5 ms), and OR the words only when no row has
-- them all. A "word" is what the query said at one position: the word as written ('simple',
-- for names and other languages) or its English stem, whichever the row has; words that the
-- English configuration drops as stop words are left out of both queries.

CREATE FUNCTION ai_memory_query_words(query TEXT, operator TEXT) RETURNS tsquery
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (
        SELECT coalesce(to_tsquery('simple'::regconfig, string_agg(word, operator)), ''::tsquery)
        FROM (
            SELECT DISTINCT CASE
                WHEN as_written.lexeme = stemmed.lexeme THEN quote_literal(as_written.lexeme)
                ELSE '(' || quote_literal(as_written.lexeme) || ' | '
                    || quote_literal(stemmed.lexeme) || ')'
            END AS word
            FROM (
                SELECT lexeme, unnest(positions) AS position
                FROM unnest(to_tsvector('simple'::regconfig, query))
            ) AS as_written
            JOIN (
                SELECT lexeme, unnest(positions) AS position
                FROM unnest(to_tsvector('english'::regconfig, query))
            ) AS stemmed USING (position)
        ) AS words
    );

-- Every meaningful word of the query, and any of them (the fallback).
CREATE FUNCTION ai_memory_tsquery_all(query TEXT) RETURNS tsquery
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ai_memory_query_words(query, ' & ');

CREATE FUNCTION ai_memory_tsquery_any(query TEXT) RETURNS tsquery
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ai_memory_query_words(query, ' | ');

-- The Worker's D1 tables (wasm/edge). Safe to apply again.
-- shares: one published run record per row; the delete token is kept
-- only as its SHA-256 (hex).
CREATE TABLE IF NOT EXISTS shares (
  id           TEXT PRIMARY KEY,
  token_sha256 TEXT NOT NULL,
  created      INTEGER NOT NULL,  -- Unix seconds
  record       TEXT NOT NULL      -- the run record's JSON, at most 1 MiB
);
-- publish_limits: publications per client (a hash of its address) in the
-- current fixed window (Unix hours).
CREATE TABLE IF NOT EXISTS publish_limits (
  client TEXT PRIMARY KEY,
  win    INTEGER NOT NULL,
  n      INTEGER NOT NULL
);

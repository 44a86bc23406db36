-- Secrets sealed for a shared database (`--secret-store database`, PostgreSQL only): the
-- XSalsa20-Poly1305 box of one secret under a key that lives in a file on each gateway,
-- never here. The table exists in SQLite too so that both backends keep one schema; an
-- SQLite installation never writes it.
CREATE TABLE secret (
    name       TEXT PRIMARY KEY NOT NULL,
    nonce      BLOB NOT NULL,
    sealed     BLOB NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

-- Secrets sealed for a shared database (`--secret-store database`): the XSalsa20-Poly1305
-- box of one secret under a key that lives in a file on each gateway, never here.
CREATE TABLE secret (
    name       TEXT PRIMARY KEY NOT NULL,
    nonce      BYTEA NOT NULL,
    sealed     BYTEA NOT NULL,
    updated_at BIGINT NOT NULL
);

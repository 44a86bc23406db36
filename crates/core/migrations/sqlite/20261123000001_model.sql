-- Lanyard's model (DESIGN §2). Secrets are never stored here: refresh tokens, access
-- tokens, URL token values, client secrets, PKCE verifiers and private keys live in the
-- secret store, addressed by the ids below. Times are Unix seconds (UTC).

-- Settings and facts about this installation (install id, thresholds, ...). JSON values.
CREATE TABLE setting (
    key        TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

-- An OAuth 2.0 / OpenID provider: a built-in template or one the user added.
CREATE TABLE provider (
    id                      TEXT PRIMARY KEY NOT NULL,
    kind                    TEXT NOT NULL
        CHECK (kind IN ('microsoft', 'google', 'dropbox', 'oidc', 'custom')),
    name                    TEXT NOT NULL,
    builtin                 INTEGER NOT NULL DEFAULT 0 CHECK (builtin IN (0, 1)),
    issuer                  TEXT,
    discovery_url           TEXT,
    authorization_endpoint  TEXT NOT NULL,
    token_endpoint          TEXT NOT NULL,
    revocation_endpoint     TEXT,
    userinfo_endpoint       TEXT,
    -- JSON array of scope strings.
    default_scopes          TEXT NOT NULL DEFAULT '[]',
    -- JSON object of extra authorization request parameters (e.g. access_type=offline).
    extra_auth_params       TEXT NOT NULL DEFAULT '{}',
    client_id               TEXT,
    -- Whether a client secret is kept in the secret store for this provider.
    has_client_secret       INTEGER NOT NULL DEFAULT 0 CHECK (has_client_secret IN (0, 1)),
    redirect_style          TEXT NOT NULL CHECK (redirect_style IN ('deep_link', 'loopback')),
    -- JSON array of API base URLs the provider's access tokens are for.
    api_base_urls           TEXT NOT NULL DEFAULT '[]',
    -- Forced re-authorization interval (e.g. 14 days for Microsoft with two-factor sign-in).
    forced_reauth_seconds   INTEGER CHECK (forced_reauth_seconds IS NULL OR forced_reauth_seconds > 0),
    -- RFC 9207: the provider announces the `iss` authorization response parameter.
    iss_parameter_supported INTEGER NOT NULL DEFAULT 0 CHECK (iss_parameter_supported IN (0, 1)),
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL
) STRICT;

-- A connected third-party account. Its refresh token ("master token") and current access
-- token are in the secret store under the channel id.
CREATE TABLE channel (
    id                       TEXT PRIMARY KEY NOT NULL,
    provider_id              TEXT NOT NULL REFERENCES provider (id) ON DELETE RESTRICT,
    account_subject          TEXT NOT NULL,
    account_label            TEXT NOT NULL,
    -- JSON array of granted scopes.
    scopes                   TEXT NOT NULL DEFAULT '[]',
    status                   TEXT NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'needs_reauth', 'revoked')),
    connected_at             INTEGER NOT NULL,
    last_refreshed_at        INTEGER,
    reauth_due_at            INTEGER,
    refresh_token_expires_at INTEGER,
    last_error               TEXT,
    -- Bumped whenever a rotated refresh token is written; an older generation never
    -- overwrites a newer one.
    token_generation         INTEGER NOT NULL DEFAULT 0 CHECK (token_generation >= 0),
    -- Expiry of the provider access token cached in the secret store (NULL: none cached).
    access_token_expires_at  INTEGER,
    -- Cross-process single-flight refresh lease.
    refresh_lease_owner      TEXT,
    refresh_lease_until      INTEGER,
    UNIQUE (provider_id, account_subject)
) STRICT;

-- Who may ask the broker for grants: the desktop license (exactly one) or a player.
CREATE TABLE principal (
    id           TEXT PRIMARY KEY NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('license', 'player')),
    name         TEXT NOT NULL,
    serial       TEXT UNIQUE,
    active       INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    -- argon2id hash of the player secret (never the secret itself).
    secret_hash  TEXT,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER,
    CHECK ((kind = 'license' AND serial IS NULL) OR (kind = 'player' AND serial IS NOT NULL))
) STRICT;
CREATE UNIQUE INDEX principal_one_license ON principal (kind) WHERE kind = 'license';

-- No link, no grant.
CREATE TABLE link (
    principal_id TEXT NOT NULL REFERENCES principal (id) ON DELETE CASCADE,
    channel_id   TEXT NOT NULL REFERENCES channel (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (principal_id, channel_id)
) STRICT;
CREATE INDEX link_by_channel ON link (channel_id);

-- An authorization started and not yet finished. Single use; expires after 10 minutes.
-- Only a hash of `state` is kept; the PKCE verifier is in the secret store.
CREATE TABLE pending_authorization (
    id           TEXT PRIMARY KEY NOT NULL,
    state_hash   TEXT NOT NULL UNIQUE,
    provider_id  TEXT NOT NULL REFERENCES provider (id) ON DELETE CASCADE,
    -- Set when re-authorizing an existing channel.
    channel_id   TEXT REFERENCES channel (id) ON DELETE CASCADE,
    nonce        TEXT,
    redirect_uri TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    consumed_at  INTEGER
) STRICT;

-- A contact: a name and public keys, exchanged as a lanyard://contact/… link.
CREATE TABLE contact (
    id             TEXT PRIMARY KEY NOT NULL,
    name           TEXT NOT NULL,
    sealing_key    BLOB NOT NULL,
    signing_key    BLOB NOT NULL UNIQUE,
    fingerprint    TEXT NOT NULL,
    created_at     INTEGER NOT NULL
) STRICT;

-- A per-URL-prefix credential. The value is in the secret store under the token id.
CREATE TABLE url_token (
    id                  TEXT PRIMARY KEY NOT NULL,
    prefix              TEXT NOT NULL,
    -- scheme://host:port of the prefix, normalized: the matcher's first index.
    prefix_origin       TEXT NOT NULL,
    key                 TEXT NOT NULL,
    placement           TEXT NOT NULL CHECK (placement IN ('form', 'header')),
    requires_permission INTEGER NOT NULL DEFAULT 0 CHECK (requires_permission IN (0, 1)),
    prompt              INTEGER NOT NULL DEFAULT 0 CHECK (prompt IN (0, 1)),
    origin              TEXT NOT NULL DEFAULT 'own' CHECK (origin IN ('own', 'received')),
    received_from       TEXT REFERENCES contact (id) ON DELETE SET NULL,
    viewable            INTEGER NOT NULL DEFAULT 1 CHECK (viewable IN (0, 1)),
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    CHECK (origin = 'own' OR viewable = 0)
) STRICT;
CREATE INDEX url_token_by_origin ON url_token (prefix_origin);

-- A user's answer to a permission prompt that outlives the request ("accept all").
CREATE TABLE permission_decision (
    id         TEXT PRIMARY KEY NOT NULL,
    token_id   TEXT NOT NULL REFERENCES url_token (id) ON DELETE CASCADE,
    scope      TEXT NOT NULL CHECK (scope IN ('once', 'always')),
    decision   TEXT NOT NULL CHECK (decision IN ('accept', 'deny')),
    url        TEXT,
    decided_at INTEGER NOT NULL
) STRICT;
CREATE INDEX permission_decision_by_token ON permission_decision (token_id);

-- A token offer sent to or received from a contact. Incoming offers keep the value sealed
-- to this installation's key until accepted; the plaintext is never stored here.
CREATE TABLE token_offer (
    id                  TEXT PRIMARY KEY NOT NULL,
    direction           TEXT NOT NULL CHECK (direction IN ('incoming', 'outgoing')),
    contact_id          TEXT REFERENCES contact (id) ON DELETE SET NULL,
    prefix              TEXT NOT NULL,
    key                 TEXT NOT NULL,
    placement           TEXT NOT NULL CHECK (placement IN ('form', 'header')),
    requires_permission INTEGER NOT NULL DEFAULT 0 CHECK (requires_permission IN (0, 1)),
    prompt              INTEGER NOT NULL DEFAULT 0 CHECK (prompt IN (0, 1)),
    sealed_value        BLOB,
    status              TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'accepted', 'rejected')),
    created_at          INTEGER NOT NULL,
    received_at         INTEGER,
    decided_at          INTEGER
) STRICT;

-- What happened, never a value.
CREATE TABLE audit_event (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           INTEGER NOT NULL,
    principal_id TEXT,
    action       TEXT NOT NULL CHECK (action IN (
        'grant', 'refresh', 'connect', 'reauth', 'disconnect', 'token_attached',
        'prompt_answered', 'link', 'unlink', 'player_added', 'player_removed')),
    subject_kind TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    detail       TEXT
) STRICT;
CREATE INDEX audit_event_by_time ON audit_event (at);

-- The desktop license principal exists from the first start.
INSERT INTO principal (id, kind, name, created_at)
VALUES ('license', 'license', 'This desktop', CAST(strftime('%s', 'now') AS INTEGER));

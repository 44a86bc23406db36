-- Lanyard's model (DESIGN §2) for PostgreSQL: the same tables, columns and constraints as
-- ../sqlite/20261123000001_model.sql, in PostgreSQL's types (flags are BOOLEAN, integers
-- BIGINT, blobs BYTEA). Secrets are never stored here. Times are Unix seconds (UTC).

CREATE TABLE setting (
    key        TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE provider (
    id                      TEXT PRIMARY KEY NOT NULL,
    kind                    TEXT NOT NULL
        CHECK (kind IN ('microsoft', 'google', 'dropbox', 'oidc', 'custom')),
    name                    TEXT NOT NULL,
    builtin                 BOOLEAN NOT NULL DEFAULT FALSE,
    issuer                  TEXT,
    discovery_url           TEXT,
    authorization_endpoint  TEXT NOT NULL,
    token_endpoint          TEXT NOT NULL,
    revocation_endpoint     TEXT,
    userinfo_endpoint       TEXT,
    default_scopes          TEXT NOT NULL DEFAULT '[]',
    extra_auth_params       TEXT NOT NULL DEFAULT '{}',
    client_id               TEXT,
    has_client_secret       BOOLEAN NOT NULL DEFAULT FALSE,
    redirect_style          TEXT NOT NULL CHECK (redirect_style IN ('deep_link', 'loopback')),
    api_base_urls           TEXT NOT NULL DEFAULT '[]',
    forced_reauth_seconds   BIGINT CHECK (forced_reauth_seconds IS NULL OR forced_reauth_seconds > 0),
    iss_parameter_supported BOOLEAN NOT NULL DEFAULT FALSE,
    created_at              BIGINT NOT NULL,
    updated_at              BIGINT NOT NULL
);

CREATE TABLE channel (
    id                       TEXT PRIMARY KEY NOT NULL,
    provider_id              TEXT NOT NULL REFERENCES provider (id) ON DELETE RESTRICT,
    account_subject          TEXT NOT NULL,
    account_label            TEXT NOT NULL,
    scopes                   TEXT NOT NULL DEFAULT '[]',
    status                   TEXT NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'needs_reauth', 'revoked')),
    connected_at             BIGINT NOT NULL,
    last_refreshed_at        BIGINT,
    reauth_due_at            BIGINT,
    refresh_token_expires_at BIGINT,
    last_error               TEXT,
    token_generation         BIGINT NOT NULL DEFAULT 0 CHECK (token_generation >= 0),
    access_token_expires_at  BIGINT,
    refresh_lease_owner      TEXT,
    refresh_lease_until      BIGINT,
    UNIQUE (provider_id, account_subject)
);

CREATE TABLE principal (
    id           TEXT PRIMARY KEY NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('license', 'player')),
    name         TEXT NOT NULL,
    serial       TEXT UNIQUE,
    active       BOOLEAN NOT NULL DEFAULT TRUE,
    secret_hash  TEXT,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT,
    CHECK ((kind = 'license' AND serial IS NULL) OR (kind = 'player' AND serial IS NOT NULL))
);
CREATE UNIQUE INDEX principal_one_license ON principal (kind) WHERE kind = 'license';

CREATE TABLE link (
    principal_id TEXT NOT NULL REFERENCES principal (id) ON DELETE CASCADE,
    channel_id   TEXT NOT NULL REFERENCES channel (id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (principal_id, channel_id)
);
CREATE INDEX link_by_channel ON link (channel_id);

CREATE TABLE pending_authorization (
    id           TEXT PRIMARY KEY NOT NULL,
    state_hash   TEXT NOT NULL UNIQUE,
    provider_id  TEXT NOT NULL REFERENCES provider (id) ON DELETE CASCADE,
    channel_id   TEXT REFERENCES channel (id) ON DELETE CASCADE,
    nonce        TEXT,
    redirect_uri TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    consumed_at  BIGINT
);

CREATE TABLE contact (
    id             TEXT PRIMARY KEY NOT NULL,
    name           TEXT NOT NULL,
    sealing_key    BYTEA NOT NULL,
    signing_key    BYTEA NOT NULL UNIQUE,
    fingerprint    TEXT NOT NULL,
    created_at     BIGINT NOT NULL
);

CREATE TABLE url_token (
    id                  TEXT PRIMARY KEY NOT NULL,
    prefix              TEXT NOT NULL,
    prefix_origin       TEXT NOT NULL,
    key                 TEXT NOT NULL,
    placement           TEXT NOT NULL CHECK (placement IN ('form', 'header')),
    requires_permission BOOLEAN NOT NULL DEFAULT FALSE,
    prompt              BOOLEAN NOT NULL DEFAULT FALSE,
    origin              TEXT NOT NULL DEFAULT 'own' CHECK (origin IN ('own', 'received')),
    received_from       TEXT REFERENCES contact (id) ON DELETE SET NULL,
    viewable            BOOLEAN NOT NULL DEFAULT TRUE,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    CHECK (origin = 'own' OR NOT viewable)
);
CREATE INDEX url_token_by_origin ON url_token (prefix_origin);

CREATE TABLE permission_decision (
    id         TEXT PRIMARY KEY NOT NULL,
    token_id   TEXT NOT NULL REFERENCES url_token (id) ON DELETE CASCADE,
    scope      TEXT NOT NULL CHECK (scope IN ('once', 'always')),
    decision   TEXT NOT NULL CHECK (decision IN ('accept', 'deny')),
    url        TEXT,
    decided_at BIGINT NOT NULL
);
CREATE INDEX permission_decision_by_token ON permission_decision (token_id);

CREATE TABLE token_offer (
    id                  TEXT PRIMARY KEY NOT NULL,
    direction           TEXT NOT NULL CHECK (direction IN ('incoming', 'outgoing')),
    contact_id          TEXT REFERENCES contact (id) ON DELETE SET NULL,
    prefix              TEXT NOT NULL,
    key                 TEXT NOT NULL,
    placement           TEXT NOT NULL CHECK (placement IN ('form', 'header')),
    requires_permission BOOLEAN NOT NULL DEFAULT FALSE,
    prompt              BOOLEAN NOT NULL DEFAULT FALSE,
    sealed_value        BYTEA,
    status              TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'accepted', 'rejected')),
    created_at          BIGINT NOT NULL,
    received_at         BIGINT,
    decided_at          BIGINT
);

CREATE TABLE audit_event (
    id           BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    at           BIGINT NOT NULL,
    principal_id TEXT,
    action       TEXT NOT NULL CHECK (action IN (
        'grant', 'refresh', 'connect', 'reauth', 'disconnect', 'token_attached',
        'prompt_answered', 'link', 'unlink', 'player_added', 'player_removed')),
    subject_kind TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    detail       TEXT
);
CREATE INDEX audit_event_by_time ON audit_event (at);

INSERT INTO principal (id, kind, name, created_at)
VALUES ('license', 'license', 'This desktop', CAST(EXTRACT(EPOCH FROM now()) AS BIGINT));

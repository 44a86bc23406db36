-- ../sqlite/20261206000700_client_secret_expiry.sql: when the provider's client secret
-- expires (Unix seconds; NULL: unknown or never).
ALTER TABLE provider ADD COLUMN client_secret_expires_at BIGINT;

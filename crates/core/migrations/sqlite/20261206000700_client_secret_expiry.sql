-- When the provider's client secret expires (Unix seconds; NULL: unknown or never), so
-- the health timeline can name the screens that stop with it.
ALTER TABLE provider ADD COLUMN client_secret_expires_at INTEGER;

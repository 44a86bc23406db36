-- Real providers (issue 15). A provider may have a fixed loopback port (Dropbox matches
-- the redirect URI exactly, port included) and a client authentication method at the
-- token endpoint (from `token_endpoint_auth_methods_supported`; NULL means HTTP Basic).
ALTER TABLE provider ADD COLUMN loopback_port INTEGER
    CHECK (loopback_port IS NULL OR (loopback_port BETWEEN 1024 AND 65535));
ALTER TABLE provider ADD COLUMN token_auth_method TEXT
    CHECK (token_auth_method IS NULL OR token_auth_method IN ('client_secret_basic', 'client_secret_post'));

-- Google does not advertise RFC 9207 and sends `iss` to some users only: a callback
-- without it is accepted (a wrong one is still refused).
UPDATE provider SET iss_parameter_supported = 0 WHERE kind = 'google';

-- Dropbox revokes with `POST /2/auth/token/revoke` and the access token as Bearer.
UPDATE provider SET revocation_endpoint = 'https://api.dropboxapi.com/2/auth/token/revoke'
    WHERE kind = 'dropbox' AND revocation_endpoint IS NULL
    AND token_endpoint = 'https://api.dropboxapi.com/oauth2/token';

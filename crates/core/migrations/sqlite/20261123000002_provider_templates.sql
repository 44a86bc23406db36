-- Built-in provider templates (DESIGN §2, issue "Channels"). They carry no client id:
-- Lanyard ships no client credentials. `lanyard provider add --template <id>` makes a
-- usable provider from one with the user's own client id.

INSERT INTO provider (id, kind, name, builtin, issuer, authorization_endpoint, token_endpoint,
    revocation_endpoint, userinfo_endpoint, default_scopes, extra_auth_params, redirect_style,
    api_base_urls, iss_parameter_supported, created_at, updated_at)
VALUES
('microsoft', 'microsoft', 'Microsoft 365', 1, NULL,
    'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
    'https://login.microsoftonline.com/common/oauth2/v2.0/token',
    NULL,
    'https://graph.microsoft.com/oidc/userinfo',
    '["openid","offline_access","email","profile","User.Read"]', '{}', 'deep_link',
    '["https://graph.microsoft.com/"]', 0,
    CAST(strftime('%s', 'now') AS INTEGER), CAST(strftime('%s', 'now') AS INTEGER)),
('google', 'google', 'Google', 1, 'https://accounts.google.com',
    'https://accounts.google.com/o/oauth2/v2/auth',
    'https://oauth2.googleapis.com/token',
    'https://oauth2.googleapis.com/revoke',
    'https://openidconnect.googleapis.com/v1/userinfo',
    '["openid","email","profile"]', '{"access_type":"offline","prompt":"consent"}', 'loopback',
    '["https://www.googleapis.com/"]', 1,
    CAST(strftime('%s', 'now') AS INTEGER), CAST(strftime('%s', 'now') AS INTEGER)),
('dropbox', 'dropbox', 'Dropbox', 1, 'https://www.dropbox.com',
    'https://www.dropbox.com/oauth2/authorize',
    'https://api.dropboxapi.com/oauth2/token',
    NULL,
    'https://api.dropboxapi.com/2/openid/userinfo',
    '["openid","email","account_info.read"]', '{"token_access_type":"offline"}', 'loopback',
    '["https://api.dropboxapi.com/","https://content.dropboxapi.com/"]', 0,
    CAST(strftime('%s', 'now') AS INTEGER), CAST(strftime('%s', 'now') AS INTEGER));

// Lanyard test authorization server (OAuth 2.0 + OpenID Connect), built on oidc-provider v9.
//
//   OIDC_TEST_CONFIG='{"port":0}' node tests/oauth-server/server.mjs
//
// Prints exactly one JSON line to stdout when listening:
//   {"issuer":"http://127.0.0.1:PORT","port":PORT}
// Everything else goes to stderr. Exits on SIGTERM/SIGINT and when stdin closes.
// See README.md in this directory for the contract and the scripted login.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';

// stdout is reserved for the single ready line. oidc-provider prints its
// "NOTICE" messages with console.info (stdout); send all console output to stderr.
// Its notices/warnings are silenced entirely unless OIDC_TEST_VERBOSE is set.
const verbose = !!process.env.OIDC_TEST_VERBOSE;
const toStderr = (...args) => {
  if (verbose) process.stderr.write(`${args.map(String).join(' ')}\n`);
};
console.log = toStderr;
console.info = toStderr;
console.debug = toStderr;
console.warn = toStderr;
const writeReady = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);

// Lifeline: exit when stdin closes (the harness keeps it open), or on signals.
let shuttingDown = false;
let server;
function shutdown(code = 0) {
  if (shuttingDown) return;
  shuttingDown = true;
  if (server) {
    server.close();
    server.closeAllConnections?.();
  }
  // Do not wait for keep-alive sockets; this is a throwaway test server.
  setImmediate(() => process.exit(code));
}
process.on('SIGTERM', () => shutdown(0));
process.on('SIGINT', () => shutdown(0));
process.stdin.on('end', () => shutdown(0));
process.stdin.on('close', () => shutdown(0));
process.stdin.on('error', () => shutdown(0));
process.stdin.resume();

function fail(msg) {
  process.stderr.write(`oauth-server: ${msg}\n`);
  process.exit(2);
}

let config = {};
if (process.env.OIDC_TEST_CONFIG) {
  try {
    config = JSON.parse(process.env.OIDC_TEST_CONFIG);
  } catch (e) {
    fail(`OIDC_TEST_CONFIG is not valid JSON: ${e.message}`);
  }
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    fail('OIDC_TEST_CONFIG must be a JSON object');
  }
}

const port = config.port ?? 0;
const accessTokenTtl = config.accessTokenTtl ?? 3600;
const refreshTokenTtl = config.refreshTokenTtl ?? 14 * 24 * 60 * 60;
const defaultClient = {
  client_id: 'lanyard-test',
  redirect_uris: ['app.lanyard.desktop:/oauth/callback', 'http://127.0.0.1/callback'],
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  application_type: 'native',
};
const clients = (config.clients ?? [defaultClient]).filter((c) => c.client_id !== 'introspector');
clients.push({
  client_id: 'introspector',
  client_secret: 'introspector-secret',
  token_endpoint_auth_method: 'client_secret_basic',
  // Only calls introspection (and revocation); needs no grant of its own.
  grant_types: [],
  response_types: [],
  redirect_uris: [],
});

const accounts = {
  alice: { sub: 'alice', email: 'alice@example.com', email_verified: true, name: 'Alice Example' },
  bob: { sub: 'bob', email: 'bob@example.com', email_verified: true, name: 'Bob Example' },
};

// Fresh signing keys per start (no dev-keys warning). Generated in the thread pool
// while oidc-provider is being imported (RSA keygen alone takes ~200 ms).
async function genJwk(type, opts, alg) {
  const { privateKey } = await new Promise((resolve, reject) => {
    crypto.generateKeyPair(type, opts, (err, publicKey, privKey) => (err ? reject(err) : resolve({ publicKey, privateKey: privKey })));
  });
  return { ...privateKey.export({ format: 'jwk' }), alg, use: 'sig', kid: `${alg.toLowerCase()}-${crypto.randomUUID().slice(0, 8)}` };
}
const keysPromise = Promise.all([
  genJwk('rsa', { modulusLength: 2048 }, 'RS256'),
  genJwk('ec', { namedCurve: 'P-256' }, 'ES256'),
]);

const { default: Provider } = await import('oidc-provider');
const jwks = { keys: await keysPromise };

let tlsOptions;
if (config.https) {
  try {
    tlsOptions = { cert: fs.readFileSync(config.https.cert), key: fs.readFileSync(config.https.key) };
  } catch (e) {
    fail(`cannot read https cert/key: ${e.message}`);
  }
}

// Bind first so the issuer can contain the real (possibly ephemeral) port.
server = tlsOptions ? https.createServer(tlsOptions) : http.createServer();
server.on('error', (e) => fail(`server error: ${e.message}`));
await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
const actualPort = server.address().port;
const issuer = `${tlsOptions ? 'https' : 'http'}://127.0.0.1:${actualPort}`;

const ttl = (v) => () => v;
const provider = new Provider(issuer, {
  clients,
  jwks,
  cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
  pkce: { required: () => true }, // v9 accepts only S256
  clockTolerance: 0,
  rotateRefreshToken: true,
  issueRefreshToken: async (_ctx, client, code) => (
    client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access')
  ),
  scopes: ['openid', 'offline_access', 'email', 'profile'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  features: {
    devInteractions: { enabled: true },
    revocation: { enabled: true, allowedPolicy: revocationAllowed },
    introspection: { enabled: true, allowedPolicy: async () => true },
    userinfo: { enabled: true },
  },
  ttl: {
    AccessToken: ttl(accessTokenTtl),
    AuthorizationCode: ttl(60),
    IdToken: ttl(3600),
    RefreshToken: ttl(refreshTokenTtl),
    Interaction: ttl(3600),
    Session: ttl(14 * 24 * 60 * 60),
    // The grant must outlive the refresh token, or refresh fails when the grant expires.
    Grant: ttl(Math.max(14 * 24 * 60 * 60, refreshTokenTtl)),
  },
  clientBasedCORS: () => true,
  async findAccount(_ctx, id) {
    const account = Object.hasOwn(accounts, id) ? accounts[id] : undefined;
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return { ...account };
      },
    };
  },
  renderError(ctx, out) {
    ctx.type = 'json';
    ctx.body = out;
  },
});

// Like the default policy (a client may revoke its own tokens; a public client's attempt on
// someone else's token is silently ignored), minus the "you SHOULD change it" notice, plus:
// the confidential `introspector` test client may revoke any token.
async function revocationAllowed(_ctx, client, token) {
  if (token.clientId !== client.clientId) {
    if (client.clientAuthMethod === 'none') return false;
    if (client.clientId === 'introspector') return true;
    return false;
  }
  return true;
}

// Unexpected failures always go to stderr.
provider.on('server_error', (_ctx, err) => process.stderr.write(`oauth-server server_error: ${err.stack}\n`));

// Test controls (this is a test peer, never a real provider):
// GET  /test/counts  → {"refresh_token": n, "authorization_code": n, "errors": n}
//                      successful token grants by type, and failed token requests
// POST /test/down    → the token endpoint answers 503 until POST /test/up
// POST /test/revocation-down → the revocation endpoint answers 503 until .../revocation-up
// POST /test/slow?ms=N → each token request is held N ms before it is handled (0: off)
// counts.token_calls counts every request to the token endpoint, answered or not.
const counts = { refresh_token: 0, authorization_code: 0, errors: 0, token_calls: 0 };
let tokenDown = false;
let tokenDelayMs = 0;
let revocationDown = false;
provider.on('grant.success', (ctx) => {
  const type = ctx.oidc.params.grant_type;
  counts[type] = (counts[type] || 0) + 1;
});
provider.on('grant.error', () => { counts.errors += 1; });
const handle = provider.callback();
server.on('request', (req, res) => {
  const path = req.url.split('?')[0];
  if (path === '/test/counts' && req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(counts));
    return;
  }
  if ((path === '/test/down' || path === '/test/up') && req.method === 'POST') {
    tokenDown = path === '/test/down';
    res.writeHead(204);
    res.end();
    return;
  }
  if ((path === '/test/revocation-down' || path === '/test/revocation-up') && req.method === 'POST') {
    revocationDown = path === '/test/revocation-down';
    res.writeHead(204);
    res.end();
    return;
  }
  if (path === '/test/slow' && req.method === 'POST') {
    tokenDelayMs = Number(new URL(req.url, 'http://x').searchParams.get('ms') ?? 0);
    res.writeHead(204);
    res.end();
    return;
  }
  if (path === '/token') counts.token_calls += 1;
  if (revocationDown && path === '/token/revocation') {
    res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '120' });
    res.end('revocation unavailable for the test');
    return;
  }
  if (tokenDown && path === '/token') {
    res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '1' });
    res.end('down for the test');
    return;
  }
  if (tokenDelayMs > 0 && path === '/token') {
    setTimeout(() => handle(req, res), tokenDelayMs);
    return;
  }
  handle(req, res);
});
writeReady({ issuer, port: actualPort });

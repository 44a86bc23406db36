// End-to-end smoke test of server.mjs: starts it as a child process and drives it with fetch.
//   cd tests/oauth-server && npm ci && node smoke.mjs
// Prints "N passed, 0 failed" and exits 0 on success; non-zero otherwise.
// SMOKE_TRACE=1 prints every hop of the scripted login.

import { spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const serverPath = path.join(here, 'server.mjs');
const trace = !!process.env.SMOKE_TRACE;
const CLIENT_ID = 'lanyard-test';
const SCOPE = 'openid offline_access email profile';
const CUSTOM_REDIRECT = 'app.lanyard.desktop:/oauth/callback';

let passed = 0;
let failed = 0;
const children = new Set();

function check(name, cond, detail) {
  if (cond) {
    passed += 1;
    console.log(`ok   ${name}`);
  } else {
    failed += 1;
    console.log(`FAIL ${name}${detail !== undefined ? ` -- ${typeof detail === 'string' ? detail : JSON.stringify(detail)}` : ''}`);
  }
}

// ---------------------------------------------------------------- server process
async function startServer(config = {}, env = {}) {
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, [serverPath], {
    env: { ...process.env, OIDC_TEST_CONFIG: JSON.stringify(config), ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => { children.delete(child); resolve({ code, signal }); }));
  const ready = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server not ready in 15s; stderr: ${stderr}`)), 15000);
    child.stdout.on('data', (d) => {
      stdout += d;
      const nl = stdout.indexOf('\n');
      if (nl !== -1) {
        clearTimeout(timer);
        resolve(JSON.parse(stdout.slice(0, nl)));
      }
    });
    exited.then(({ code }) => { clearTimeout(timer); reject(new Error(`server exited (${code}) before ready; stderr: ${stderr}`)); });
  });
  const startupMs = Number(process.hrtime.bigint() - t0) / 1e6;
  return {
    child, ready, exited, startupMs,
    get stdout() { return stdout; },
    get stderr() { return stderr; },
    stop() { child.kill('SIGTERM'); return exited; },
  };
}

// ---------------------------------------------------------------- HTTP helpers
// Minimal cookie jar: remembers name/value/path, sends cookies whose path prefixes the request path.
class CookieJar {
  constructor() { this.cookies = new Map(); }

  store(res) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let cpath = '/';
      let expired = false;
      for (const a of attrs) {
        const [k, v] = a.split('=');
        if (k.toLowerCase() === 'path') cpath = v;
        if (k.toLowerCase() === 'expires' && new Date(v) < new Date()) expired = true;
        if (k.toLowerCase() === 'max-age' && Number(v) <= 0) expired = true;
      }
      const key = `${name};${cpath}`;
      if (expired || value === '') this.cookies.delete(key); else this.cookies.set(key, { name, value, path: cpath });
    }
  }

  header(url) {
    const p = new URL(url).pathname;
    const list = [...this.cookies.values()].filter((c) => p === c.path || p.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`) || c.path === '/');
    return list.map((c) => `${c.name}=${c.value}`).join('; ');
  }
}

async function hop(jar, method, url, form) {
  const headers = {};
  const cookie = jar?.header(url);
  if (cookie) headers.cookie = cookie;
  let body;
  if (form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(form).toString();
  }
  const res = await fetch(url, { method, headers, body, redirect: 'manual' });
  jar?.store(res);
  const location = res.headers.get('location');
  const step = {
    method, path: new URL(url).pathname, form, status: res.status, location, cookiesSent: cookie ? cookie.split('; ').map((c) => c.split('=')[0]) : [],
  };
  if (trace) console.log('  hop', JSON.stringify(step));
  await res.arrayBuffer();
  return step;
}

async function postForm(url, form, { basic } = {}) {
  const headers = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (basic) headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(basic[0])}:${encodeURIComponent(basic[1])}`).toString('base64')}`;
  const res = await fetch(url, { method: 'POST', headers, body: new URLSearchParams(form).toString() });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, json, text };
}

function pkce() {
  const verifier = crypto.randomBytes(32).toString('base64url');
  const challenge = crypto.hash('sha256', verifier, 'base64url');
  return { verifier, challenge };
}

// The scripted login (see README.md). Returns { code, state, iss, location, steps }.
async function scriptedLogin(issuer, {
  redirectUri, login = 'alice', challenge, method = 'S256', prompt = 'consent',
}) {
  const jar = new CookieJar();
  const state = crypto.randomBytes(8).toString('hex');
  const nonce = crypto.randomBytes(8).toString('hex');
  const steps = [];
  const params = new URLSearchParams({
    client_id: CLIENT_ID,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: SCOPE,
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: method,
  });
  if (prompt) params.set('prompt', prompt);
  let step = await hop(jar, 'GET', `${issuer}/auth?${params}`);
  steps.push(step);
  const maxHops = 10;
  for (let i = 0; i < maxHops; i += 1) {
    const loc = step.location;
    if (![302, 303].includes(step.status) || !loc) throw new Error(`unexpected hop ${JSON.stringify(step)}`);
    if (loc.startsWith(redirectUri)) {
      const u = new URL(loc);
      return {
        code: u.searchParams.get('code'),
        state: u.searchParams.get('state'),
        iss: u.searchParams.get('iss'),
        error: u.searchParams.get('error'),
        location: loc,
        expectedState: state,
        steps,
      };
    }
    const next = new URL(loc, issuer).toString();
    if (new URL(next).pathname.startsWith('/interaction/')) {
      // GET /interaction/<uid> would render HTML with the prompt name; we know the order: login, then consent.
      const seenLogin = steps.some((s) => s.form?.prompt === 'login');
      const form = seenLogin ? { prompt: 'consent' } : { prompt: 'login', login, password: 'x' };
      step = await hop(jar, 'POST', next, form);
    } else {
      step = await hop(jar, 'GET', next);
    }
    steps.push(step);
  }
  throw new Error('too many hops');
}

// ---------------------------------------------------------------- HTTPS child mode
// Re-executed with NODE_EXTRA_CA_CERTS so fetch trusts the throwaway cert.
if (process.env.SMOKE_HTTPS_CHILD) {
  const issuer = process.env.SMOKE_HTTPS_CHILD;
  const out = {};
  try {
    const disc = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
    out.issuer = disc.issuer;
    const { verifier, challenge } = pkce();
    const redirectUri = 'http://127.0.0.1:53123/callback';
    const r = await scriptedLogin(issuer, { redirectUri, challenge });
    out.iss = r.iss;
    const tok = await postForm(disc.token_endpoint, {
      grant_type: 'authorization_code', code: r.code, redirect_uri: redirectUri, client_id: CLIENT_ID, code_verifier: verifier,
    });
    out.tokenStatus = tok.status;
    out.hasRefresh = !!tok.json?.refresh_token;
  } catch (e) {
    out.error = String(e.stack || e);
  }
  process.stdout.write(JSON.stringify(out));
  process.exit(0);
}

// ---------------------------------------------------------------- main
async function main() {
  const srv = await startServer();
  const { issuer, port } = srv.ready;
  console.log(`server ready in ${srv.startupMs.toFixed(0)} ms: ${JSON.stringify(srv.ready)}`);
  check('ready line issuer/port', issuer === `http://127.0.0.1:${port}` && Number.isInteger(port) && port > 0, srv.ready);

  // --- discovery
  const disc = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
  check('discovery issuer', disc.issuer === issuer, disc.issuer);
  check('discovery authorization_endpoint', disc.authorization_endpoint === `${issuer}/auth`, disc.authorization_endpoint);
  check('discovery token_endpoint', disc.token_endpoint === `${issuer}/token`, disc.token_endpoint);
  check('discovery revocation_endpoint', disc.revocation_endpoint === `${issuer}/token/revocation`, disc.revocation_endpoint);
  check('discovery introspection_endpoint', disc.introspection_endpoint === `${issuer}/token/introspection`, disc.introspection_endpoint);
  check('discovery userinfo_endpoint', disc.userinfo_endpoint === `${issuer}/me`, disc.userinfo_endpoint);
  check('discovery code_challenge_methods_supported == ["S256"]', JSON.stringify(disc.code_challenge_methods_supported) === '["S256"]', disc.code_challenge_methods_supported);
  check('discovery authorization_response_iss_parameter_supported', disc.authorization_response_iss_parameter_supported === true);
  check('discovery scopes', ['openid', 'offline_access', 'email', 'profile'].every((s) => disc.scopes_supported.includes(s)), disc.scopes_supported);

  // --- scripted login, loopback redirect with a random port (registered without port)
  const loopPort = 20000 + crypto.randomInt(40000);
  const loopRedirect = `http://127.0.0.1:${loopPort}/callback`;
  const p1 = pkce();
  const r1 = await scriptedLogin(issuer, { redirectUri: loopRedirect, challenge: p1.challenge });
  console.log('observed scripted login (loopback):');
  for (const s of r1.steps) console.log(`  ${s.method} ${s.path}${s.form ? ` ${new URLSearchParams(s.form)}` : ''} -> ${s.status} ${s.location} [cookies sent: ${s.cookiesSent.join(',') || '-'}]`);
  check('loopback: redirected to the any-port loopback uri', r1.location.startsWith(`${loopRedirect}?`), r1.location);
  check('loopback: code present', !!r1.code);
  check('loopback: state echoed', r1.state === r1.expectedState);
  check('loopback: iss param == issuer (RFC 9207)', r1.iss === issuer, r1.iss);
  check('loopback: 5 hops (auth, login, resume, consent, resume)', r1.steps.length === 5, r1.steps.length);

  // --- code exchange (public client: client_id in body, no secret)
  const t1 = await postForm(disc.token_endpoint, {
    grant_type: 'authorization_code', code: r1.code, redirect_uri: loopRedirect, client_id: CLIENT_ID, code_verifier: p1.verifier,
  });
  check('token: 200', t1.status === 200, t1.text);
  const tj = t1.json ?? {};
  check('token: access_token, refresh_token, id_token', !!tj.access_token && !!tj.refresh_token && !!tj.id_token, Object.keys(tj));
  check('token: token_type Bearer', tj.token_type === 'Bearer', tj.token_type);
  check('token: expires_in == 3600', tj.expires_in === 3600, tj.expires_in);
  check('token: scope', typeof tj.scope === 'string' && SCOPE.split(' ').every((s) => tj.scope.split(' ').includes(s)), tj.scope);
  const idPayload = tj.id_token ? JSON.parse(Buffer.from(tj.id_token.split('.')[1], 'base64url')) : {};
  check('id_token: sub alice, iss, aud', idPayload.sub === 'alice' && idPayload.iss === issuer && idPayload.aud === CLIENT_ID, idPayload);

  // --- userinfo
  const ui = await fetch(disc.userinfo_endpoint, { headers: { authorization: `Bearer ${tj.access_token}` } });
  const uij = await ui.json();
  check('userinfo: sub/email/name', ui.status === 200 && uij.sub === 'alice' && uij.email === 'alice@example.com' && uij.email_verified === true && uij.name === 'Alice Example', uij);

  // --- introspection (introspector client, basic auth)
  const introspect = (token, hint) => postForm(disc.introspection_endpoint, { token, ...(hint ? { token_type_hint: hint } : {}) }, { basic: ['introspector', 'introspector-secret'] });
  const i1 = await introspect(tj.refresh_token, 'refresh_token');
  check('introspect: refresh token active before rotation', i1.json?.active === true && i1.json?.sub === 'alice' && i1.json?.client_id === CLIENT_ID, i1.text);
  const iWrong = await postForm(disc.introspection_endpoint, { token: tj.refresh_token }, { basic: ['introspector', 'wrong'] });
  check('introspect: wrong introspector secret -> 401 invalid_client', iWrong.status === 401 && iWrong.json?.error === 'invalid_client', iWrong.text);

  // --- refresh with rotation
  const rf = await postForm(disc.token_endpoint, { grant_type: 'refresh_token', refresh_token: tj.refresh_token, client_id: CLIENT_ID });
  check('refresh: 200', rf.status === 200, rf.text);
  const rfj = rf.json ?? {};
  check('refresh: rotated (new refresh_token differs)', !!rfj.refresh_token && rfj.refresh_token !== tj.refresh_token);
  check('refresh: new access_token, id_token, expires_in, scope', !!rfj.access_token && rfj.access_token !== tj.access_token && !!rfj.id_token && rfj.expires_in === 3600 && typeof rfj.scope === 'string', Object.keys(rfj));
  const i2 = await introspect(tj.refresh_token, 'refresh_token');
  check('introspect: old refresh token inactive after rotation', i2.json?.active === false, i2.text);
  const i3 = await introspect(rfj.refresh_token, 'refresh_token');
  check('introspect: new refresh token active', i3.json?.active === true, i3.text);

  // --- reuse of the rotated-out refresh token: invalid_grant, and the whole grant is revoked
  const reuse = await postForm(disc.token_endpoint, { grant_type: 'refresh_token', refresh_token: tj.refresh_token, client_id: CLIENT_ID });
  check('refresh reuse: invalid_grant', reuse.status === 400 && reuse.json?.error === 'invalid_grant', reuse.text);
  const i4 = await introspect(rfj.refresh_token, 'refresh_token');
  check('refresh reuse: grant revoked (new refresh token now inactive)', i4.json?.active === false, i4.text);
  const rf2 = await postForm(disc.token_endpoint, { grant_type: 'refresh_token', refresh_token: rfj.refresh_token, client_id: CLIENT_ID });
  check('refresh reuse: new refresh token refused too', rf2.status === 400 && rf2.json?.error === 'invalid_grant', rf2.text);

  // --- scripted login with the custom scheme redirect, for bob
  const p2 = pkce();
  const r2 = await scriptedLogin(issuer, { redirectUri: CUSTOM_REDIRECT, challenge: p2.challenge, login: 'bob' });
  console.log('observed scripted login (custom scheme): final Location', r2.location);
  check('custom scheme: redirected', r2.location.startsWith(`${CUSTOM_REDIRECT}?`) && !!r2.code && r2.state === r2.expectedState && r2.iss === issuer, r2.location);
  const t2 = await postForm(disc.token_endpoint, {
    grant_type: 'authorization_code', code: r2.code, redirect_uri: CUSTOM_REDIRECT, client_id: CLIENT_ID, code_verifier: p2.verifier,
  });
  check('custom scheme: token exchange 200 with refresh_token', t2.status === 200 && !!t2.json?.refresh_token, t2.text);
  const ui2 = await (await fetch(disc.userinfo_endpoint, { headers: { authorization: `Bearer ${t2.json?.access_token}` } })).json();
  check('userinfo: bob', ui2.sub === 'bob' && ui2.email === 'bob@example.com' && ui2.name === 'Bob Example', ui2);

  // --- revocation (RFC 7009, public client authenticates with client_id in the body)
  const rt2 = t2.json?.refresh_token;
  const i5 = await introspect(rt2, 'refresh_token');
  check('introspect: active before revocation', i5.json?.active === true, i5.text);
  const rv = await postForm(disc.revocation_endpoint, { token: rt2, token_type_hint: 'refresh_token', client_id: CLIENT_ID });
  check('revocation: 200', rv.status === 200, `${rv.status} ${rv.text}`);
  const i6 = await introspect(rt2, 'refresh_token');
  check('introspect: inactive after revocation', i6.json?.active === false, i6.text);
  const i7 = await introspect(t2.json?.access_token);
  check('introspect: access token of the revoked grant inactive', i7.json?.active === false, i7.text);
  const rv2 = await postForm(disc.revocation_endpoint, { token: 'not-a-token', client_id: CLIENT_ID });
  check('revocation: unknown token still 200 (RFC 7009)', rv2.status === 200, `${rv2.status} ${rv2.text}`);

  // --- wrong code_verifier
  const p3 = pkce();
  const r3 = await scriptedLogin(issuer, { redirectUri: loopRedirect, challenge: p3.challenge });
  const t3 = await postForm(disc.token_endpoint, {
    grant_type: 'authorization_code', code: r3.code, redirect_uri: loopRedirect, client_id: CLIENT_ID, code_verifier: pkce().verifier,
  });
  check('wrong code_verifier -> invalid_grant', t3.status === 400 && t3.json?.error === 'invalid_grant', t3.text);
  const t3b = await postForm(disc.token_endpoint, {
    grant_type: 'authorization_code', code: r3.code, redirect_uri: loopRedirect, client_id: CLIENT_ID,
  });
  check('missing code_verifier -> invalid_grant', t3b.status === 400 && t3b.json?.error === 'invalid_grant', t3b.text);

  // --- authorization code replay: invalid_grant, and the tokens already issued from that code are revoked
  {
    const p = pkce();
    const r = await scriptedLogin(issuer, { redirectUri: loopRedirect, challenge: p.challenge });
    const form = {
      grant_type: 'authorization_code', code: r.code, redirect_uri: loopRedirect, client_id: CLIENT_ID, code_verifier: p.verifier,
    };
    const first = await postForm(disc.token_endpoint, form);
    const again = await postForm(disc.token_endpoint, form);
    check('code replay -> invalid_grant', first.status === 200 && again.status === 400 && again.json?.error === 'invalid_grant', again.text);
    const ia = await introspect(first.json?.refresh_token, 'refresh_token');
    check('code replay: refresh token from the first exchange revoked', ia.json?.active === false, ia.text);
  }

  // --- without prompt=consent, oidc-provider silently drops offline_access: no refresh token
  {
    const p = pkce();
    const r = await scriptedLogin(issuer, { redirectUri: loopRedirect, challenge: p.challenge, prompt: null });
    const t = await postForm(disc.token_endpoint, {
      grant_type: 'authorization_code', code: r.code, redirect_uri: loopRedirect, client_id: CLIENT_ID, code_verifier: p.verifier,
    });
    check('no prompt=consent: 200 but no refresh_token, scope without offline_access', t.status === 200 && !t.json?.refresh_token && !t.json?.scope.split(' ').includes('offline_access') && r.steps.length === 5, t.text);
    // the introspector client may revoke any token (server-side revocation for tests)
    const before = await introspect(t.json?.access_token);
    const rv3 = await postForm(disc.revocation_endpoint, { token: t.json?.access_token }, { basic: ['introspector', 'introspector-secret'] });
    const after = await introspect(t.json?.access_token);
    check('introspector can revoke another client\'s access token', before.json?.active === true && rv3.status === 200 && after.json?.active === false, [before.text, rv3.text, after.text]);
  }

  // --- PKCE method plain refused; PKCE missing refused
  const plainVerifier = crypto.randomBytes(32).toString('base64url');
  const authBase = {
    client_id: CLIENT_ID, response_type: 'code', redirect_uri: loopRedirect, scope: SCOPE, state: 's', nonce: 'n', prompt: 'consent',
  };
  const plain = await hop(null, 'GET', `${disc.authorization_endpoint}?${new URLSearchParams({ ...authBase, code_challenge: plainVerifier, code_challenge_method: 'plain' })}`);
  const plainLoc = plain.location ? new URL(plain.location) : undefined;
  check('code_challenge_method=plain refused (error redirect invalid_request)', plain.status === 303 && plainLoc?.origin === `http://127.0.0.1:${loopPort}` && plainLoc.searchParams.get('error') === 'invalid_request', plain);
  console.log(`  plain -> ${plain.status} ${plain.location}`);
  const nopkce = await hop(null, 'GET', `${disc.authorization_endpoint}?${new URLSearchParams(authBase)}`);
  check('missing code_challenge refused', nopkce.status === 303 && new URL(nopkce.location).searchParams.get('error') === 'invalid_request', nopkce);

  // --- unregistered redirect uris refused (no redirect; error page)
  for (const bad of ['http://127.0.0.1:5000/other', 'http://localhost:5000/callback', 'app.lanyard.desktop:/other']) {
    const { challenge } = pkce();
    const h = await hop(null, 'GET', `${disc.authorization_endpoint}?${new URLSearchParams({ ...authBase, redirect_uri: bad, code_challenge: challenge, code_challenge_method: 'S256' })}`);
    check(`unregistered redirect_uri ${bad} refused (400, no redirect)`, h.status === 400 && !h.location, h);
  }

  // --- SIGTERM exits cleanly; stdout has only the ready line
  check('stdout holds only the ready line', srv.stdout.trim().split('\n').length === 1, srv.stdout);
  const ex = await withTimeout(srv.stop(), 5000);
  check('SIGTERM: clean exit', ex && (ex.code === 0 || ex.signal === 'SIGTERM'), ex);

  // --- exits when stdin closes
  const srv2 = await startServer({ accessTokenTtl: 120 });
  const disc2 = await (await fetch(`${srv2.ready.issuer}/.well-known/openid-configuration`)).json();
  check('second server: ephemeral port differs / discovery ok', disc2.issuer === srv2.ready.issuer);
  {
    const p = pkce();
    const r = await scriptedLogin(srv2.ready.issuer, { redirectUri: loopRedirect, challenge: p.challenge });
    const t = await postForm(disc2.token_endpoint, {
      grant_type: 'authorization_code', code: r.code, redirect_uri: loopRedirect, client_id: CLIENT_ID, code_verifier: p.verifier,
    });
    check('config accessTokenTtl=120 -> expires_in 120', t.json?.expires_in === 120, t.text);
  }
  srv2.child.stdin.end();
  const ex2 = await withTimeout(srv2.exited, 5000);
  check('stdin close: server exits with 0', ex2 && ex2.code === 0, ex2 ?? 'timeout');

  // --- config: fixed port, custom client list
  const srv3 = await startServer({
    clients: [{
      client_id: 'other', redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none', grant_types: ['authorization_code'], response_types: ['code'], application_type: 'native',
    }],
  });
  const d3 = await (await fetch(`${srv3.ready.issuer}/.well-known/openid-configuration`)).json();
  const i8 = await postForm(d3.introspection_endpoint, { token: 'x' }, { basic: ['introspector', 'introspector-secret'] });
  check('custom clients: introspector still registered', i8.status === 200 && i8.json?.active === false, i8.text);
  await srv3.stop();

  // --- HTTPS mode
  const ossl = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  if (ossl.status !== 0) {
    console.log('skip HTTPS: openssl CLI not found');
  } else {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-oidc-'));
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    const gen = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', key, '-out', cert, '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1'], { encoding: 'utf8' });
    check('https: openssl generated cert', gen.status === 0, gen.stderr);
    const srv4 = await startServer({ https: { cert, key } });
    check('https: issuer is https', srv4.ready.issuer === `https://127.0.0.1:${srv4.ready.port}`, srv4.ready);
    const res = spawnSync(process.execPath, [fileURLToPath(import.meta.url)], {
      env: { ...process.env, SMOKE_HTTPS_CHILD: srv4.ready.issuer, NODE_EXTRA_CA_CERTS: cert, SMOKE_TRACE: '' }, encoding: 'utf8', timeout: 30000,
    });
    let out = {};
    try { out = JSON.parse(res.stdout); } catch { out = { error: `${res.stdout} ${res.stderr}` }; }
    check('https: discovery + scripted login + code exchange', !out.error && out.issuer === srv4.ready.issuer && out.iss === srv4.ready.issuer && out.tokenStatus === 200 && out.hasRefresh, out);
    // Without trusting the cert, fetch must fail (sanity check that TLS is real).
    let tlsRejected = false;
    try { await fetch(`${srv4.ready.issuer}/.well-known/openid-configuration`); } catch { tlsRejected = true; }
    check('https: untrusted cert rejected by default', tlsRejected);
    await srv4.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }

  // --- bad config fails fast with non-zero exit
  const bad = spawnSync(process.execPath, [serverPath], { env: { ...process.env, OIDC_TEST_CONFIG: '{not json' }, encoding: 'utf8', timeout: 10000 });
  check('invalid OIDC_TEST_CONFIG: non-zero exit, empty stdout', bad.status !== 0 && bad.stdout === '', { status: bad.status, stdout: bad.stdout });
}

function withTimeout(p, ms) {
  return Promise.race([p, new Promise((resolve) => setTimeout(() => resolve(undefined), ms))]);
}

try {
  await main();
} catch (e) {
  failed += 1;
  console.log(`FAIL uncaught: ${e.stack || e}`);
} finally {
  for (const c of children) c.kill('SIGKILL');
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

// The peers the app talks to in the end-to-end tests, all on 127.0.0.1: the real
// `oidc-provider` authorization server (tests/oauth-server) with a scripted sign-in, and a
// data endpoint that records what each request carried.

import { spawn } from 'node:child_process';
import * as http from 'node:http';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Starts tests/oauth-server/server.mjs; resolves to `{ issuer, stop() }`. */
export async function startOauthServer(log) {
  const child = spawn(process.execPath, [path.join(here, '../oauth-server/server.mjs')], {
    env: { ...process.env, OIDC_TEST_CONFIG: JSON.stringify({ port: 0 }) },
    stdio: ['pipe', 'pipe', log],
  });
  const line = await new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the OAuth server exited with ${code}`)));
  });
  const { issuer } = JSON.parse(line);
  return {
    issuer,
    async stop() {
      child.stdin.end();
      child.kill('SIGTERM');
    },
  };
}

/**
 * Signs `user` in at `authorizationUrl` the way a browser would (the devInteractions login
 * and consent forms, a cookie jar, redirects followed by hand) and returns the raw
 * `Location` the provider finally sent the browser to: the app's redirect URI with `code`,
 * `state` and `iss`.
 */
export async function signIn(authorizationUrl, user) {
  const start = new URL(authorizationUrl);
  const jar = new Map();
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  let next = start;
  let loggedIn = false;
  for (let i = 0; i < 10; i++) {
    const init = { redirect: 'manual', headers: { cookie: cookieHeader() } };
    if (next.pathname.startsWith('/interaction/')) {
      const form = loggedIn
        ? { prompt: 'consent' }
        : { prompt: 'login', login: user, password: 'x' };
      loggedIn = true;
      init.method = 'POST';
      init.headers['content-type'] = 'application/x-www-form-urlencoded';
      init.body = new URLSearchParams(form).toString();
    }
    const res = await fetch(next, init);
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair.indexOf('=');
      jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    if (res.status < 300 || res.status >= 400) {
      throw new Error(`the provider answered ${res.status} at ${next.pathname}`);
    }
    const location = res.headers.get('location');
    if (!location.startsWith('/') && !location.startsWith(start.origin)) return location;
    next = new URL(location, start);
  }
  throw new Error('the sign-in did not finish');
}

/**
 * A data endpoint: answers every request with a small JSON body and remembers, per path,
 * the request's method, query and body — the test compares them with the token value; the
 * answer never echoes them, so no secret reaches the app's report or a screenshot.
 */
export async function startDataServer() {
  const seen = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url, 'http://127.0.0.1');
      seen.push({
        method: req.method,
        path: url.pathname,
        query: url.search,
        body: Buffer.concat(chunks).toString(),
        authorization: req.headers.authorization ?? null,
        apiKey: req.headers['x-api-key'] ?? null,
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ screen: 'lobby', temperature: 21.5, items: [{ id: 1, title: 'Welcome' }] }));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    seen,
    stop() {
      server.closeAllConnections?.();
      server.close();
    },
  };
}

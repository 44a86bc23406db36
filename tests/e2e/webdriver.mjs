// A small W3C WebDriver client over Node's built-in fetch: just what the end-to-end tests
// need to drive the real Lanyard window through Debian's WebKitWebDriver.

import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import * as net from 'node:net';

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

/** A free TCP port on 127.0.0.1. */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `WebKitWebDriver` on a free port. The driver needs TAURI_WEBVIEW_AUTOMATION=true
 * (without it session creation hangs); the app it launches inherits `env`.
 */
export async function startDriver({ env, log }) {
  const port = await freePort();
  const child = spawn('WebKitWebDriver', [`--port=${port}`, '--host=127.0.0.1'], {
    env: { ...env, TAURI_WEBVIEW_AUTOMATION: 'true' },
    stdio: ['ignore', log, log],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`WebKitWebDriver exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/status`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('WebKitWebDriver did not start in 10 s');
    await sleep(50);
  }
  return {
    url,
    child,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
      }
    },
  };
}

/** No WebDriver command may take longer: a stuck one fails the scenario instead of the run. */
const COMMAND_TIMEOUT_MS = 60_000;

async function request(method, url, body) {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(COMMAND_TIMEOUT_MS),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`WebDriver ${method} ${url}: ${res.status} ${text.slice(0, 200)}`);
  }
  if (!res.ok) {
    const v = json.value ?? {};
    throw new WebDriverError(`${method} ${new URL(url).pathname}: ${v.error}: ${v.message}`, v.error);
  }
  return json.value;
}

export class WebDriverError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

/** One WebDriver session: the app launched by the driver, with its main window. */
export class Session {
  static async create(driverUrl, binary, args = []) {
    const value = await request('POST', `${driverUrl}/session`, {
      capabilities: {
        alwaysMatch: {
          browserName: 'wry',
          'webkitgtk:browserOptions': { binary, args },
        },
      },
    });
    return new Session(driverUrl, value.sessionId);
  }

  constructor(driverUrl, id) {
    this.base = `${driverUrl}/session/${id}`;
  }

  cmd(method, path, body) {
    return request(method, `${this.base}${path}`, body);
  }

  async delete() {
    await request('DELETE', this.base).catch(() => {});
  }

  /** Runs `script` (a function body) in the page and returns its value. */
  execute(script, args = []) {
    return this.cmd('POST', '/execute/sync', { script, args });
  }

  /** Runs an async function body; it gets a `done` callback as its last argument. */
  executeAsync(script, args = []) {
    return this.cmd('POST', '/execute/async', { script, args });
  }

  async screenshot() {
    return Buffer.from(await this.cmd('GET', '/screenshot'), 'base64');
  }

  async find(css) {
    const value = await this.cmd('POST', '/element', { using: 'css selector', value: css });
    return new Element(this, value[ELEMENT]);
  }

  async findAll(css) {
    const value = await this.cmd('POST', '/elements', { using: 'css selector', value: css });
    return value.map((v) => new Element(this, v[ELEMENT]));
  }

  /**
   * Waits until `css` matches an element whose text contains `text` (if given) and returns
   * it. Fails with what the page showed instead.
   */
  async waitFor(css, { text, timeout = 15_000 } = {}) {
    const deadline = Date.now() + timeout;
    let last = '';
    for (;;) {
      try {
        for (const el of await this.findAll(css)) {
          const t = await el.text();
          if (text === undefined || t.includes(text)) return el;
          last = t;
        }
      } catch (err) {
        if (!(err instanceof WebDriverError) || err.code !== 'stale element reference') throw err;
      }
      if (Date.now() > deadline) {
        const what = text === undefined ? css : `${css} containing ${JSON.stringify(text)}`;
        throw new Error(`timed out waiting for ${what}${last ? ` (last seen: ${JSON.stringify(last.slice(0, 300))})` : ''}`);
      }
      await sleep(100);
    }
  }

  /** The element whose visible text is `text` among those matching `css`. */
  async byText(css, text, opts = {}) {
    const deadline = Date.now() + (opts.timeout ?? 15_000);
    for (;;) {
      for (const el of await this.findAll(css)) {
        if ((await el.text()).trim() === text) return el;
      }
      if (Date.now() > deadline) throw new Error(`no ${css} with the text ${JSON.stringify(text)}`);
      await sleep(100);
    }
  }

  /** Navigates inside the single-page app the way the sidebar does. */
  async go(label) {
    await (await this.byText('aside a', label)).click();
    await this.waitFor('h1#page-title', { text: label });
  }
}

export class Element {
  constructor(session, id) {
    this.session = session;
    this.id = id;
  }

  cmd(method, path, body) {
    return this.session.cmd(method, `/element/${this.id}${path}`, body);
  }

  click() {
    return this.cmd('POST', '/click', {});
  }

  async type(text) {
    await this.cmd('POST', '/clear', {});
    await this.cmd('POST', '/value', { text });
  }

  text() {
    return this.cmd('GET', '/text');
  }

  attribute(name) {
    return this.cmd('GET', `/attribute/${name}`);
  }

  selected() {
    return this.cmd('GET', '/selected');
  }
}

// Lanyard end to end: the release app in a real window (WebKitGTK under Xvfb), driven over
// WebDriver, against the real `oidc-provider` and a local data endpoint.
//
// Run it through `tests/e2e/run` (it provides the display, the D-Bus session, the unlocked
// GNOME Keyring and a throwaway HOME). Environment:
//   LANYARD_E2E_APP          the app binary (default $CARGO_TARGET_DIR/release/lanyard-app)
//   LANYARD_E2E_ARTIFACTS    where failure screenshots and logs go (default .artifacts/e2e)
//   LANYARD_E2E_SCREENSHOTS  if set, a folder for the README's page screenshots
//   LANYARD_THEME            dark: the app follows a dark desktop; screenshots get "-dark"
//
// Scenarios (one app session, in order; each saves a screenshot when it fails):
//   channel      add the test provider in Settings, connect a channel: the harness signs in
//                at the provider and delivers app.lanyard.desktop:/oauth/callback?… by
//                launching a second instance with the URL (single-instance forwarding);
//                the Channels page shows the account. Then `gio open lanyard://channel/…`
//                reaches the running app through the handler it registered at start.
//   url-token    add a URL token that requires permission, preview a local URL, accept
//                the permission dialog, see the credential in the report.
//   player       add a player, link it to the channel, see it on the Players page.
//   sharing      a second installation (the CLI, its own data directory) adds the app's
//                contact card and sends it a token; the sender's card arrives as a
//                .lanyard-contact file and the offer as a lanyard://offer/… link, each
//                through a second launch; the user confirms the card on Contacts, accepts
//                the offer on Token requests, and a preview carries the received token.

import { spawn, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Session, startDriver } from './webdriver.mjs';
import { signIn, startDataServer, startOauthServer } from './peers.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(process.env.REAL_HOME ?? process.env.HOME, '.cache/lanyard-target');
const app = path.resolve(process.env.LANYARD_E2E_APP ?? path.join(targetDir, 'release/lanyard-app'));
// The command line, for the sender's installation in the sharing scenario.
const cli = path.resolve(
  process.env.LANYARD_E2E_CLI ??
    ['debug', 'release'].map((p) => path.join(targetDir, p, 'lanyard')).find((f) => fs.existsSync(f)) ??
    path.join(targetDir, 'debug/lanyard'),
);
const artifacts = path.resolve(root, process.env.LANYARD_E2E_ARTIFACTS ?? '.artifacts/e2e');
const shots = process.env.LANYARD_E2E_SCREENSHOTS ? path.resolve(root, process.env.LANYARD_E2E_SCREENSHOTS) : null;
const home = process.env.HOME;

for (const need of ['DISPLAY', 'DBUS_SESSION_BUS_ADDRESS', 'LANYARD_E2E_HOME']) {
  if (!process.env[need]) {
    console.error(`error: ${need} is not set; run tests/e2e/run, not this file`);
    process.exit(2);
  }
}
if (!fs.existsSync(app)) {
  console.error(`error: no app binary at ${app}; build it with \`npx tauri build --bundles deb\` or set LANYARD_E2E_APP`);
  process.exit(2);
}
fs.mkdirSync(artifacts, { recursive: true });
if (shots) fs.mkdirSync(shots, { recursive: true });

// The "browser": the app opens sign-in pages with xdg-open; this one writes the URL down.
const opened = path.join(home, 'opened-urls');
const fakeBin = path.join(home, 'bin');
fs.mkdirSync(fakeBin, { recursive: true });
fs.writeFileSync(path.join(fakeBin, 'xdg-open'), `#!/bin/sh\nprintf '%s\\n' "$1" >> '${opened}'\n`, { mode: 0o755 });

const dataDir = path.join(home, 'data');
const appEnv = {
  ...process.env,
  PATH: `${fakeBin}:${process.env.PATH}`,
  LANYARD_DATA_DIR: dataDir,
  LANYARD_LOG: 'info',
  // Lanyard turns WebKit's accelerated compositing off by default (memory); with it off,
  // WebKitWebDriver's screenshot command hung now and then here, and these tests take
  // screenshots (README, failures). The scenarios therefore run with compositing on; the
  // shipped default is exercised by deb.mjs (launch) and measure.mjs (10 previews).
  WEBKIT_DISABLE_COMPOSITING_MODE: process.env.WEBKIT_DISABLE_COMPOSITING_MODE ?? '0',
};
// The token value: a canary that must never show up in a log, the database or a screenshot.
const canary = `CANARY-${randomUUID()}`;
// The API key sent in a header of its own ("API key in a header").
const headerCanary = `CANARY-${randomUUID()}`;
// The value of the token a contact shares: it must not show up at the recipient either.
const sharedCanary = `CANARY-${randomUUID()}`;
// The authorization code the provider sent back: logged only as `[redacted]`.
let oauthCode = null;
// The player's gateway secret, shown once when the player is added.
let playerSecret = null;

const appLog = path.join(artifacts, 'app.log');
const logFd = fs.openSync(appLog, 'w');
const peerLog = fs.openSync(path.join(artifacts, 'peers.log'), 'w');

const results = [];
let session;

async function scenario(name, body) {
  const started = Date.now();
  try {
    await body();
    results.push({ name, ok: true, ms: Date.now() - started });
    console.log(`ok   ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (err) {
    results.push({ name, ok: false, ms: Date.now() - started });
    console.log(`FAIL ${name}: ${err.stack ?? err}`);
    if (session) {
      try {
        const file = path.join(artifacts, `${name}-failure.png`);
        fs.writeFileSync(file, await session.screenshot());
        console.log(`     screenshot: ${path.relative(root, file)}`);
      } catch (shotErr) {
        console.log(`     no screenshot: ${shotErr.message}`);
      }
    }
  }
}

/**
 * Saves a page screenshot for the README (when asked to), after the UI has settled; the page
 * is scrolled to the top, or `selector`'s element into view.
 */
async function pageShot(name, selector = null) {
  if (!shots) return;
  await session.execute('document.activeElement && document.activeElement.blur && document.activeElement.blur();');
  if (selector) await session.execute('document.querySelector(arguments[0]).scrollIntoView({ block: "end" });', [selector]);
  else await session.execute('document.querySelector("main").scrollTo(0, 0);');
  await sleep(1000);
  // LANYARD_THEME=dark (scripts/screenshots' second run) makes the app follow a dark desktop.
  const suffix = process.env.LANYARD_THEME === 'dark' ? '-dark' : '';
  fs.writeFileSync(path.join(shots, `${name}${suffix}.png`), await session.screenshot());
}

/**
 * Waits until Preview's report is the one for a request to `path`: its first hop names it.
 * A report already on the page (from an earlier send) carries the same status and
 * credential rows, so waiting on those alone can pass before the new request went out.
 */
async function waitForReportOf(path) {
  await session.waitFor('[data-testid=hops] > li:first-child .hop-url', { text: `${data.origin}${path}` });
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

/** Runs the app binary a second time, as the OS does for a URL, and waits for it to hand over. */
async function launchWithUrl(url) {
  const child = spawn(app, [url], { env: appEnv, stdio: ['ignore', logFd, logFd] });
  const code = await Promise.race([
    new Promise((resolve) => child.once('exit', resolve)),
    sleep(10_000).then(() => 'timeout'),
  ]);
  if (code === 'timeout') {
    child.kill('SIGKILL');
    throw new Error('the second instance did not hand the URL over and exit within 10 s');
  }
  assert(code === 0, `the second instance exited with ${code}`);
}

async function waitForOpenedUrl(timeout = 10_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (fs.existsSync(opened)) {
      const lines = fs.readFileSync(opened, 'utf8').trim().split('\n').filter(Boolean);
      if (lines.length) {
        fs.rmSync(opened);
        return lines.at(-1);
      }
    }
    if (Date.now() > deadline) throw new Error('the app did not open a sign-in page in the browser');
    await sleep(100);
  }
}

const oauth = await startOauthServer(peerLog);
const data = await startDataServer();
const driver = await startDriver({ env: appEnv, log: logFd });
let firstPaintMs = null;
try {
  const launched = Date.now();
  session = await Session.create(driver.url, app);
  // First contentful paint, from the launch request (includes the driver starting the app).
  const paint = await session.executeAsync(`
    const done = arguments[arguments.length - 1];
    const look = () => {
      const p = performance.getEntriesByType('paint').find((e) => e.name === 'first-contentful-paint');
      if (p) done(performance.timeOrigin + p.startTime); else setTimeout(look, 50);
    };
    look();`);
  firstPaintMs = Math.round(paint - launched);
  console.log(`first contentful paint ${firstPaintMs} ms after the launch request`);

  const accountLabel = 'alice@example.com';

  await scenario('channel', async () => {
    await session.waitFor('h1#page-title', { text: 'Accounts' });
    // An empty installation: the first-run checklist, nothing ticked but (maybe) the name.
    await session.waitFor('[data-testid=checklist] [data-testid=step-connect][data-done=false]');
    // IT prepared the sign-in once, with the CLI on its own installation, and handed over
    // a provider file; the designer double-clicks it (a second launch with the path).
    assert(fs.existsSync(cli), `no lanyard CLI at ${cli} (cargo build -p lanyard-cli)`);
    const itDir = path.join(home, 'it');
    const it = (args) =>
      execFileSync(cli, ['--data-dir', itDir, '--secret-store', 'file', ...args], {
        env: { ...appEnv, LANYARD_DATA_DIR: itDir },
      }).toString();
    it(['provider', 'add', '--discovery', oauth.issuer, '--client-id', 'lanyard-test', '--name', 'Test IdP',
      '--id', 'test-idp', '--redirect', 'deep-link']);
    const providerFile = path.join(home, 'contoso.lanyard-provider');
    fs.writeFileSync(providerFile, it(['provider', 'export', 'test-idp']));
    await launchWithUrl(providerFile);
    await session.waitFor('[data-testid=provider-file-dialog]', { text: 'Test IdP' });
    await pageShot('provider-file');
    await (await session.find('[data-testid=provider-file-add]')).click();
    // Straight to the sign-in choice on Accounts.
    await session.waitFor('h1#page-title', { text: 'Accounts' });
    await (await session.byText('.provider-list button', 'Test IdP')).click();
    await session.waitFor('[data-testid=sign-in-waiting]');
    const authorization = new URL(await waitForOpenedUrl());
    assert(authorization.origin === oauth.issuer, `the browser was sent to ${authorization.origin}`);
    assert(
      authorization.searchParams.get('redirect_uri') === 'app.lanyard.desktop:/oauth/callback',
      `redirect_uri ${authorization.searchParams.get('redirect_uri')}`,
    );
    const callback = await signIn(authorization.href, 'alice');
    assert(callback.startsWith('app.lanyard.desktop:/oauth/callback?code='), 'the provider did not redirect to the app');
    oauthCode = new URL(callback).searchParams.get('code');
    await launchWithUrl(callback);
    await session.waitFor('[data-testid=channels-notice]', { text: `Connected ${accountLabel}` });
    await session.waitFor('[data-testid=channel]', { text: accountLabel });
    await session.waitFor('[data-testid=channel-status]', { text: 'Active' });

    // The app registered itself for both schemes at start (in this throwaway HOME); a
    // browser redirect — here `gio open`, which launches the default handler — reaches it.
    for (const scheme of ['lanyard', 'app.lanyard.desktop']) {
      const handler = execFileSync('xdg-mime', ['query', 'default', `x-scheme-handler/${scheme}`], { env: appEnv })
        .toString()
        .trim();
      assert(handler.endsWith('.desktop'), `no handler for ${scheme}: (${handler})`);
      const file = path.join(home, '.local/share/applications', handler);
      assert(fs.existsSync(file), `${handler} is not in ~/.local/share/applications`);
      const exec = fs.readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith('Exec='));
      assert(exec.includes(app) && exec.endsWith('%u'), `the handler runs ${exec}`);
    }
    await session.go('Players');
    execFileSync('gio', ['open', `lanyard://channel/${randomUUID()}`], { env: appEnv, stdio: 'ignore', timeout: 10_000 });
    await session.waitFor('[data-testid=link-notice]', { text: 'Opened from a link to an account.' });
    await session.waitFor('h1#page-title', { text: 'Accounts' });
    await (await session.byText('.ly-notice button', 'Dismiss')).click();
    await pageShot('channels');
    await session.go('Settings');
    await session.waitFor('[data-testid=provider]', { text: 'Test IdP' });
    await (await session.find('#provider-setup-open')).click();
    await session.waitFor('[data-testid=template-redirect-uri]');
    await pageShot('settings');
  });

  await scenario('url-token', async () => {
    await session.go('URL tokens');
    await (await session.find('#token-prefix')).type(`${data.origin}/feeds`);
    await (await session.find('#token-key')).type('apikey');
    // A half-filled form survives a trip to another page.
    await session.go('Preview');
    await session.go('URL tokens');
    const kept = await session.execute('return document.querySelector("#token-key").value;');
    assert(kept === 'apikey', `the token form forgot what was typed: ${JSON.stringify(kept)}`);
    const permission = await session.byText('[data-testid=token-form] label', 'Ask me before sending it');
    await (await session.find('[data-testid=token-form] input[type=checkbox][aria-describedby=permission-help]')).click();
    assert(await (await session.find('input[aria-describedby=permission-help]')).selected(), `not checked: ${await permission.text()}`);
    await (await session.find('#token-value')).type(canary);
    await (await session.byText('[data-testid=token-form] button[type=submit]', 'Add token')).click();
    await session.waitFor('[data-testid=tokens-notice]', { text: 'apikey' });
    await session.waitFor('[data-testid=token]', { text: 'apikey' });
    await pageShot('url-tokens');

    await session.go('Preview');
    await (await session.find('#preview-url')).type(`${data.origin}/feeds/lobby?lang=en`);
    await (await session.byText('button[type=submit]', 'Send')).click();
    await session.waitFor('[data-testid=permission-dialog]', { text: 'apikey' });
    await pageShot('permission');
    assert(data.seen.length === 0, 'the request went out before the permission was answered');
    await (await session.byText('[data-testid=permission-dialog] button', 'Accept this time')).click();
    await session.waitFor('[data-testid=preview-status]', { text: '200' });
    await session.waitFor('[data-testid=credential]', { text: 'apikey' });
    const report = await (await session.find('[data-testid=preview-report]')).text();
    assert(!report.includes(canary), 'the report shows the token value');
    const got = data.seen.at(-1);
    assert(got && got.method === 'GET' && got.path === '/feeds/lobby', `the endpoint saw ${JSON.stringify(got?.path)}`);
    assert(new URLSearchParams(got.query).get('apikey') === canary, 'the token did not reach the endpoint in the query');
    await pageShot('preview', '[data-testid=hops]');
    // The request and its response survive a trip to another page.
    await session.go('Players');
    await session.go('Preview');
    await session.waitFor('[data-testid=preview-status]', { text: '200' });
    const url = await session.execute('return document.querySelector("#preview-url").value;');
    assert(url === `${data.origin}/feeds/lobby?lang=en`, `Preview forgot its URL: ${JSON.stringify(url)}`);

    // "API key in a header": the preset, then Preview from the token's row.
    await session.go('URL tokens');
    await (await session.find('input[name=token-preset][value=named_header]')).click();
    await (await session.find('#token-prefix')).type(`${data.origin}/menus`);
    await (await session.find('#token-key')).type('X-API-Key');
    await (await session.find('#token-value')).type(headerCanary);
    await (await session.byText('[data-testid=token-form] button[type=submit]', 'Add token')).click();
    await session.waitFor('[data-testid=token]', { text: 'X-API-Key' });
    await (await session.find(`button[aria-label="Preview ${data.origin}/menus with X-API-Key"]`)).click();
    await session.waitFor('h1#page-title', { text: 'Preview' });
    await session.waitFor('[data-testid=preview-live-line]', { text: 'X-API-Key' });
    await (await session.find('#preview-url')).type(`${data.origin}/menus/today`);
    await (await session.byText('button[type=submit]', 'Send')).click();
    await waitForReportOf('/menus/today');
    await session.waitFor('[data-testid=credential]', { text: 'X-API-Key' });
    const menus = data.seen.at(-1);
    assert(menus?.path === '/menus/today', `the endpoint saw ${menus?.path}`);
    assert(menus.apiKey === headerCanary, 'the API key did not reach the endpoint in its header');
    assert(!(await (await session.find('[data-testid=preview-report]')).text()).includes(headerCanary), 'the report shows the API key');
  });

  await scenario('player', async () => {
    await session.go('Players');
    await (await session.find('#player-name')).type('Lobby screen');
    await (await session.find('#player-serial')).type('SN-001');
    await (await session.byText('button[type=submit]', 'Add player')).click();
    await session.waitFor('[data-testid=players-notice]', { text: 'Added Lobby screen' });
    // The player's gateway secret is shown once; it must not reach the log either.
    await session.waitFor('[data-testid=secret-dialog]', { text: 'Secret for Lobby screen' });
    playerSecret = (await (await session.find('[data-testid=player-secret]')).text()).trim();
    assert(playerSecret.length >= 20, 'no player secret shown');
    await (await session.byText('[data-testid=secret-dialog] button', 'Done')).click();
    const box = await session.waitFor(`input[aria-label="Allow Lobby screen to use ${accountLabel}"]`);
    assert(!(await box.selected()), 'a new player is already linked');
    await box.click();
    // Come back to the page: the link was stored, not just ticked.
    await session.go('Accounts');
    await session.waitFor('[data-testid=channel-linked]', { text: 'Lobby screen' });
    await session.go('Players');
    await session.waitFor('[data-testid=principal-row]', { text: 'SN-001' });
    const again = await session.waitFor(`input[aria-label="Allow Lobby screen to use ${accountLabel}"]`);
    assert(await again.selected(), 'the link is not shown after coming back');
    await pageShot('players');
    // The checklist ticked itself from what was done: an account, an allowed player, a preview.
    await (await session.find('#nav-start')).click();
    await session.waitFor('h1#page-title', { text: 'Get started' });
    for (const step of ['connect', 'player', 'preview']) {
      await session.waitFor(`[data-testid=step-${step}][data-done=true]`);
    }
    await pageShot('get-started');
  });
  await scenario('sharing', async () => {
    // The sender: another installation, driven by the CLI.
    assert(fs.existsSync(cli), `no lanyard CLI at ${cli} (cargo build -p lanyard-cli)`);
    const senderDir = path.join(home, 'sender');
    const sender = (args, input) =>
      JSON.parse(
        execFileSync(cli, ['--data-dir', senderDir, '--secret-store', 'file', '--json', ...args], {
          env: { ...appEnv, LANYARD_DATA_DIR: senderDir },
          input: input ?? '',
        }).toString(),
      );

    await session.go('Contacts');
    await session.waitFor('[data-testid=qr-code]');
    const myCard = await session.execute('return document.querySelector("[data-testid=my-card-text]").value;');
    assert(myCard.startsWith('lanyard://contact/'), `the app shows no card: ${myCard}`);
    sender(['identity', 'rename', 'Grace Hopper']);
    const me = sender(['contact', 'add', myCard]);
    const cardFile = path.join(home, 'grace.lanyard-contact');
    sender(['identity', 'export', '--out', cardFile]);
    const token = sender(['token', 'add', '--url', `${data.origin}/shared`, '--key', 'token', '--header'], sharedCanary)
      .token.id;
    const sent = sender(['token', 'send', token, '--to', me.id]);
    assert(sent.link && !sent.link.includes(sharedCanary), 'the offer link is missing or carries the value');

    // The card file, opened with Lanyard: it waits on Contacts for confirmation.
    await session.go('Accounts');
    await launchWithUrl(cardFile);
    await session.waitFor('h1#page-title', { text: 'Contacts' });
    await session.waitFor('[data-testid=card-preview]', { text: 'Grace Hopper' });
    await (await session.byText('[data-testid=card-preview] button', 'Add contact')).click();
    await session.waitFor('[data-testid=contact]', { text: 'Grace Hopper' });
    await pageShot('contacts', '[data-testid=contact]');

    // The offer link, as a browser hands it over: verified, queued, a badge in the nav.
    await launchWithUrl(sent.link);
    await session.waitFor('h1#page-title', { text: 'Shared with me' });
    await session.waitFor('[data-testid=offer]', { text: 'Grace Hopper' });
    await session.waitFor('[data-testid=requests-badge]', { text: '1' });
    const row = await (await session.find('[data-testid=offer]')).text();
    assert(row.includes(`${data.origin}/shared`) && row.includes('Authorization: Bearer'), `offer row: ${row}`);
    assert(!row.includes(sharedCanary), 'the offer shows the value');
    await pageShot('token-requests');
    await (await session.byText('[data-testid=offer] button', 'Accept')).click();
    await session.waitFor('[data-testid=requests-notice]', { text: 'its value stays hidden' });

    await session.go('URL tokens');
    await session.waitFor('[data-testid=token]', { text: 'Received from Grace Hopper' });

    await session.go('Preview');
    await (await session.find('#preview-url')).type(`${data.origin}/shared/menu`);
    await (await session.byText('button[type=submit]', 'Send')).click();
    // The report of the url-token scenario's last preview is still on the page (status 200,
    // a "URL token" credential) until this one answers: wait for this request's own hop.
    await waitForReportOf('/shared/menu');
    await session.waitFor('[data-testid=preview-status]', { text: '200' });
    await session.waitFor('[data-testid=credential]', { text: 'token' });
    const report = await (await session.find('[data-testid=preview-report]')).text();
    assert(!report.includes(sharedCanary), 'the report shows the received value');
    const got = data.seen.at(-1);
    assert(got?.path === '/shared/menu', `the endpoint saw ${got?.path}`);
    assert(got.authorization === `Bearer ${sharedCanary}`, 'the received token did not reach the endpoint');
  });
} finally {
  if (session) await session.delete();
  await driver.stop();
  await oauth.stop();
  data.stop();
}

/**
 * Every secret Lanyard keeps in the session's keyring (service "lanyard"), read with
 * `secret-tool` (libsecret-tools): `{ name, value }`, the name being the entry's user name
 * (`<install id>/channel/<id>/refresh`, …) as its label carries it.
 */
function keyringSecrets() {
  const out = execFileSync('secret-tool', ['search', '--all', '--unlock', 'service', 'lanyard'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const items = [];
  let item = null;
  for (const line of out.split('\n')) {
    if (line.startsWith('[')) {
      item = { name: null, value: null };
      items.push(item);
    } else if (item && line.startsWith('secret = ')) {
      item.value = line.slice('secret = '.length);
    } else if (item && line.startsWith('label = keyring:') && line.endsWith('@lanyard')) {
      // keyring-core labels an entry `keyring:<user>@<service>` (secret-tool prints the
      // attributes on stderr, apart from their items).
      item.name = line.slice('label = keyring:'.length, -'@lanyard'.length);
    }
  }
  return items.filter((i) => i.name && i.value);
}

// No secret in what the run left behind: the app's log and the data directory.
await scenario('secrets-sweep', async () => {
  // Everything in the keyring: the channel's refresh and access tokens, the URL token's
  // value, the received token's value, the identity's private keys.
  const stored = keyringSecrets();
  const names = stored.map((s) => s.name).join(', ');
  assert(stored.some((s) => s.name.endsWith('/refresh')), `no channel refresh token in the keyring: ${names}`);
  assert(stored.some((s) => s.name.endsWith('/access')), `no channel access token in the keyring: ${names}`);
  assert(stored.some((s) => s.value === canary), `the URL token's value is not in the keyring: ${names}`);
  const log = fs.readFileSync(appLog, 'utf8');
  assert(log.includes('link received'), "the app's log was not captured");
  assert(oauthCode && !log.includes(oauthCode), 'the authorization code is in the log');
  assert(playerSecret && !log.includes(playerSecret), "the player's secret is in the log");
  const haystacks = [appLog];
  for (const f of fs.readdirSync(dataDir)) haystacks.push(path.join(dataDir, f));
  for (const file of haystacks) {
    if (!fs.statSync(file).isFile()) continue;
    const bytes = fs.readFileSync(file);
    assert(!bytes.includes(canary), `the token value is in ${path.basename(file)}`);
    assert(!bytes.includes(headerCanary), `the header API key is in ${path.basename(file)}`);
    assert(!bytes.includes(sharedCanary), `the received token value is in ${path.basename(file)}`);
    assert(!playerSecret || !bytes.includes(playerSecret), `the player's secret is in ${path.basename(file)}`);
    for (const secret of stored.filter((s) => s.value.length >= 8)) {
      assert(!bytes.includes(secret.value), `the keyring's ${secret.name.split('/').slice(1).join('/')} is in ${path.basename(file)}`);
    }
  }
  assert(!fs.existsSync(path.join(dataDir, 'secrets')), 'secrets went to the file store, not the keyring');
});

fs.writeFileSync(path.join(artifacts, 'results.json'), JSON.stringify({ firstPaintMs, results }, null, 2));
const failed = results.filter((r) => !r.ok);
console.log(failed.length ? `${failed.length} of ${results.length} scenarios failed (log: ${path.relative(root, appLog)})` : `all ${results.length} scenarios passed`);
process.exit(failed.length ? 1 : 0);

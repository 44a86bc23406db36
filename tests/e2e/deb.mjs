// Checks the .deb that `npx tauri build --bundles deb` wrote, in the setting of
// `tests/e2e/run` (a display and a D-Bus session):
//   - its size (≤ 30 MiB: it carries the app and the `lanyard` CLI, two ~23 MB binaries);
//   - the `lanyard` CLI is in it (/usr/bin/lanyard) and runs (`--version`, `--help`), with
//     lanyard-gateway.service in /usr/lib/systemd/system passing `systemd-analyze verify`
//     (scripts/verify-systemd-unit) and the example environment file;
//   - its desktop entry passes the URL (`Exec=… %u`), declares both URL schemes and
//     validates (desktop-file-validate); its icons are there in every size;
//   - its declared dependencies are right: every shared library the binary loads belongs
//     to a package in the closure of `Depends` (so `dpkg -i` on a clean machine pulls in
//     all of them);
//   - the binary it contains starts and shows the main window (WebDriver).
// With `--install` (changes this machine: run it on a scratch machine or CI runner), it also
// installs the package with `dpkg -i` (apt resolves the dependencies), checks that the
// system's default handler for both schemes is Lanyard's desktop entry, launches
// /usr/bin/lanyard-app, and removes the package again.
//
//   tests/e2e/run deb.mjs [--install]
//   LANYARD_DEB=path/to/file.deb tests/e2e/run deb.mjs

import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Session, startDriver } from './webdriver.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(process.env.REAL_HOME ?? process.env.HOME, '.cache/lanyard-target');
const install = process.argv.includes('--install');
const MAX_BYTES = 30 * 1024 * 1024;
const SCHEMES = ['lanyard', 'app.lanyard.desktop'];

function findDeb() {
  if (process.env.LANYARD_DEB) return path.resolve(root, process.env.LANYARD_DEB);
  const dir = path.join(targetDir, 'release/bundle/deb');
  const debs = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.deb')) : [];
  if (debs.length !== 1) {
    console.error(`error: expected one .deb in ${dir}, found ${debs.length}; run \`npx tauri build --bundles deb\``);
    process.exit(2);
  }
  return path.join(dir, debs[0]);
}

const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { encoding: 'utf8', ...opts });
let failures = 0;
function check(name, fn) {
  try {
    const note = fn();
    console.log(`ok   ${name}${note ? ` — ${note}` : ''}`);
  } catch (err) {
    failures += 1;
    console.log(`FAIL ${name}: ${err.message}`);
  }
}
function assert(cond, message) {
  if (!cond) throw new Error(message);
}

const deb = findDeb();
const scratch = fs.mkdtempSync(path.join(process.env.HOME, 'deb-'));
run('dpkg-deb', ['-x', deb, scratch]);
const field = (name) => run('dpkg-deb', ['-f', deb, name]).trim();
const pkg = field('Package');
const binary = path.join(scratch, 'usr/bin/lanyard-app');
const cli = path.join(scratch, 'usr/bin/lanyard');

check('the lanyard CLI', () => {
  assert(fs.existsSync(cli), 'the .deb has no /usr/bin/lanyard');
  assert((fs.statSync(cli).mode & 0o111) !== 0, '/usr/bin/lanyard is not executable');
  const version = run(cli, ['--version']).trim();
  assert(version.includes(field('Version')), `lanyard --version says ${JSON.stringify(version)}, the package is ${field('Version')}`);
  const help = run(cli, ['--help']);
  assert(help.includes('gateway'), 'lanyard --help lists no gateway command');
  const serve = run(cli, ['gateway', 'serve', '--help']);
  assert(serve.includes('--cache-size') && serve.includes('--tls-cert'), 'gateway serve --help lacks its options');
  return version;
});

check('lanyard-gateway.service', () => {
  const unit = path.join(scratch, 'usr/lib/systemd/system/lanyard-gateway.service');
  assert(fs.existsSync(unit), 'the .deb has no /usr/lib/systemd/system/lanyard-gateway.service');
  assert(fs.existsSync(path.join(scratch, 'usr/share/lanyard/gateway.env.example')), 'the .deb has no gateway.env.example');
  return run(path.join(root, 'scripts/verify-systemd-unit'), [unit, cli]).trim();
});

check('size', () => {
  const size = fs.statSync(deb).size;
  assert(size <= MAX_BYTES, `${(size / 1048576).toFixed(1)} MiB > 30 MiB`);
  return `${path.basename(deb)}: ${(size / 1048576).toFixed(2)} MiB (${size} bytes), installed ${field('Installed-Size')} KiB`;
});

check('desktop entry', () => {
  const apps = path.join(scratch, 'usr/share/applications');
  const files = fs.readdirSync(apps).filter((f) => f.endsWith('.desktop'));
  assert(files.length === 1, `desktop files: ${files.join(', ')}`);
  const text = fs.readFileSync(path.join(apps, files[0]), 'utf8');
  const line = (key) => text.split('\n').find((l) => l.startsWith(`${key}=`));
  assert(line('Exec') === 'Exec=lanyard-app %u', `${line('Exec')} (the URL must be passed as %u)`);
  const mimes = (line('MimeType') ?? '').slice('MimeType='.length).split(';').filter(Boolean);
  for (const scheme of SCHEMES) {
    assert(mimes.includes(`x-scheme-handler/${scheme}`), `MimeType lacks x-scheme-handler/${scheme}: ${line('MimeType')}`);
  }
  // Offer, contact and provider files open with Lanyard: declared here, their globs in the mime XML.
  for (const type of ['application/x-lanyard-offer', 'application/x-lanyard-contact', 'application/x-lanyard-provider']) {
    assert(mimes.includes(type), `MimeType lacks ${type}: ${line('MimeType')}`);
  }
  const mimeXml = path.join(scratch, 'usr/share/mime/packages/lanyard.xml');
  assert(fs.existsSync(mimeXml), 'the .deb has no /usr/share/mime/packages/lanyard.xml');
  const xml = fs.readFileSync(mimeXml, 'utf8');
  for (const glob of ['*.lanyard-offer', '*.lanyard-contact', '*.lanyard-provider']) {
    assert(xml.includes(glob), `the mime XML lacks the glob ${glob}`);
  }
  run('desktop-file-validate', [path.join(apps, files[0])]);
  return `${files[0]}: ${line('Exec')}; ${line('MimeType')}`;
});

check('icons', () => {
  const sizes = ['32x32', '64x64', '128x128', '256x256@2', '512x512'];
  const hicolor = path.join(scratch, 'usr/share/icons/hicolor');
  const found = fs.existsSync(hicolor) ? fs.readdirSync(hicolor) : [];
  const missing = sizes.filter((s) => !fs.existsSync(path.join(hicolor, s, 'apps/lanyard-app.png')));
  assert(missing.length === 0, `missing ${missing.join(', ')} (found ${found.join(', ')})`);
  return found.join(', ');
});

check('declared dependencies cover every shared library', () => {
  const depends = field('Depends');
  const names = depends.split(',').map((d) => d.trim().split(/[\s(|]/)[0]);
  const closure = new Set(
    run('apt-cache', ['depends', '--recurse', '--no-recommends', '--no-suggests', '--no-conflicts', '--no-breaks', '--no-replaces', '--no-enhances', ...names])
      .split('\n')
      .filter((l) => /^[a-z0-9]/.test(l))
      .map((l) => l.trim().replace(/:.*$/, '')),
  );
  const libs = [...new Set([binary, cli].flatMap((b) => run('ldd', [b])
    .split('\n')
    .map((l) => /=> (\/\S+)/.exec(l)?.[1])
    .filter(Boolean)))];
  assert(libs.length > 10, `ldd found only ${libs.length} libraries`);
  // Libraries loaded with dlopen (the tray's libayatana-appindicator3) are not in ldd's
  // list: take the sonames the binary names, and check those this machine has.
  const cache = run(fs.existsSync('/sbin/ldconfig') ? '/sbin/ldconfig' : 'ldconfig', ['-p']);
  const named = new Set(fs.readFileSync(binary).toString('latin1').match(/lib[A-Za-z0-9_+-]+\.so\.\d+/g) ?? []);
  const dlopened = [];
  for (const soname of named) {
    const m = new RegExp(`^\\s+${soname.replace(/[.+]/g, '\\$&')} \\(libc6,x86-64\\) => (\\S+)$`, 'm').exec(cache);
    if (m && !libs.some((l) => path.basename(l) === soname)) dlopened.push(m[1]);
  }
  const all = [...libs, ...dlopened];
  // dpkg knows a file by the path its package installed (/lib or /usr/lib, usrmerge):
  // ask for both the path ldd printed and the real one; a miss is not an error here.
  const asked = [...new Set(all.flatMap((l) => [l, fs.realpathSync(l)]))];
  const found = spawnSync('dpkg', ['-S', ...asked], { encoding: 'utf8' }).stdout;
  const ownerOf = new Map();
  for (const line of found.split('\n')) {
    const at = line.lastIndexOf(': ');
    if (at > 0) ownerOf.set(line.slice(at + 2), line.slice(0, at).split(',').map((o) => o.trim().replace(/:.*$/, '')));
  }
  const uncovered = [];
  for (const lib of all) {
    const pkgs = ownerOf.get(lib) ?? ownerOf.get(fs.realpathSync(lib)) ?? ['no package'];
    if (!pkgs.some((o) => closure.has(o))) uncovered.push(`${path.basename(lib)} (${pkgs.join(', ')})`);
  }
  assert(uncovered.length === 0, `not pulled in by Depends: ${uncovered.join('; ')}`);
  return `Depends: ${depends}; ${libs.length} linked and ${dlopened.length} dlopen()ed libraries covered (${dlopened.map((l) => path.basename(l)).join(', ')})`;
});

/** The environment of a user who has never run Lanyard: a fresh HOME and XDG dirs. */
function freshUser() {
  const home = fs.mkdtempSync(path.join(process.env.HOME, 'user-'));
  return {
    ...process.env,
    HOME: home,
    XDG_DATA_HOME: path.join(home, '.local/share'),
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    LANYARD_DATA_DIR: path.join(home, 'data'),
  };
}

async function launches(bin) {
  const driver = await startDriver({ env: freshUser(), log: 'ignore' });
  try {
    const session = await Session.create(driver.url, bin);
    try {
      // The first page (Accounts); the sidebar's footer is silent when the secret store
      // works, so its health is read where it is always shown: Settings.
      await session.waitFor('h1#page-title', { text: 'Accounts' });
      await session.go('Settings');
      await session.waitFor('[data-testid=secret-store-health]', { text: 'Ready' });
    } finally {
      await session.delete();
    }
  } finally {
    await driver.stop();
  }
}

try {
  await launches(binary);
  console.log('ok   the packaged binary starts, shows the Accounts page and a ready secret store');
} catch (err) {
  failures += 1;
  console.log(`FAIL the packaged binary does not start: ${err.message}`);
}

if (install) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', deb], { env, stdio: 'inherit' });
    check('installed: default handler of both schemes', () => {
      // Before the app ever ran (it also registers a per-user handler at start).
      const user = freshUser();
      const handlers = SCHEMES.map((s) => run('xdg-mime', ['query', 'default', `x-scheme-handler/${s}`], { env: user }).trim());
      for (const h of handlers) assert(h === 'Lanyard.desktop', `handler ${JSON.stringify(h)}`);
      return handlers.join(', ');
    });
    try {
      await launches('/usr/bin/lanyard-app');
      console.log('ok   installed: /usr/bin/lanyard-app starts, shows the Accounts page and a ready secret store');
    } catch (err) {
      failures += 1;
      console.log(`FAIL installed: /usr/bin/lanyard-app does not start: ${err.message}`);
    }
  } finally {
    run('dpkg', ['-r', pkg], { env, stdio: 'inherit' });
  }
}

fs.rmSync(scratch, { recursive: true, force: true });
console.log(failures ? `${failures} .deb checks failed` : 'the .deb checks passed');
process.exit(failures ? 1 : 0);

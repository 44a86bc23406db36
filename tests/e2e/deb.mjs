// Checks the two Debian packages tests/e2e/build writes (scripts/package-debs), in the
// setting of `tests/e2e/run` (a display and a D-Bus session). The desktop package, lanyard:
//   - its size (≤ 15 MiB) and one copy of the code: lanyard-app is its only executable, and
//     /usr/bin/lanyard is a symlink to it that runs as the CLI (`--version`, `--help`);
//   - lanyard-gateway.service in /usr/lib/systemd/system passing `systemd-analyze verify`
//     (scripts/verify-systemd-unit) through that symlink, and the example environment file;
//   - its desktop entry passes the URL (`Exec=… %u`), declares both URL schemes and
//     validates (desktop-file-validate); its icons are there in every size;
//   - its declared dependencies are right: every shared library the binary loads belongs
//     to a package in the closure of `Depends` (so `dpkg -i` on a clean machine pulls in
//     all of them);
//   - the binary it contains starts and shows the main window (WebDriver).
// The server package, lanyard-server:
//   - its size (≤ 10 MiB); /usr/bin/lanyard runs, the unit verifies with it;
//   - no window: neither the libraries it links (ldd, NEEDED) nor Depends name GTK, WebKit
//     or their kin; Depends covers every library it links and names only packages that
//     own one of them;
// and both: they declare Conflicts and Replaces on each other, and installed one after the
// other into a throwaway dpkg root (`dpkg --root`), each replaces the other cleanly, with a
// working `lanyard` and the unit left behind.
// With `--install` (changes this machine: run it on a scratch machine or CI runner), it also
// installs the desktop package with `apt-get install` (apt resolves the dependencies),
// checks that the system's default handler for both schemes is Lanyard's desktop entry,
// launches /usr/bin/lanyard-app, then installs the server package over it, runs its
// `lanyard --version`, and removes it again.
//
//   tests/e2e/run deb.mjs [--install]
//   LANYARD_DEB=path/to/lanyard.deb LANYARD_SERVER_DEB=path/to/lanyard-server.deb tests/e2e/run deb.mjs

import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Session, startDriver } from './webdriver.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(process.env.REAL_HOME ?? process.env.HOME, '.cache/lanyard-target');
const install = process.argv.includes('--install');
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

function findServerDeb() {
  if (process.env.LANYARD_SERVER_DEB) return path.resolve(root, process.env.LANYARD_SERVER_DEB);
  const dir = path.join(targetDir, 'release/bundle/server');
  const debs = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /^lanyard-server_.*\.deb$/.test(f)) : [];
  if (debs.length !== 1) {
    console.error(`error: expected one lanyard-server_*.deb in ${dir}, found ${debs.length}; run tests/e2e/build`);
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

const MiB = 1048576;
const deb = findDeb();
const serverDeb = findServerDeb();
const scratch = fs.mkdtempSync(path.join(process.env.HOME, 'deb-'));
const serverScratch = fs.mkdtempSync(path.join(process.env.HOME, 'deb-server-'));
run('dpkg-deb', ['-x', deb, scratch]);
run('dpkg-deb', ['-x', serverDeb, serverScratch]);
const fieldOf = (file, name) => spawnSync('dpkg-deb', ['-f', file, name], { encoding: 'utf8' }).stdout.trim();
const field = (name) => fieldOf(deb, name);
const pkg = field('Package');
const serverPkg = fieldOf(serverDeb, 'Package');
const binary = path.join(scratch, 'usr/bin/lanyard-app');
const cli = path.join(scratch, 'usr/bin/lanyard');
const serverCli = path.join(serverScratch, 'usr/bin/lanyard');
/** The libraries of the window (what a server must not need). */
const WINDOW_LIBS = /gtk|gdk|webkit|javascriptcore|soup|appindicator|cairo|pango|atk|x11|xcb|wayland/i;

/** Every regular file under `dir` that is an ELF object, relative to `dir`. */
function elfFiles(dir) {
  const found = [];
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const file = path.join(entry.parentPath ?? entry.path, entry.name);
    if (!entry.isFile()) continue;
    const fd = fs.openSync(file, 'r');
    const magic = Buffer.alloc(4);
    fs.readSync(fd, magic, 0, 4, 0);
    fs.closeSync(fd);
    if (magic.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) found.push(path.relative(dir, file));
  }
  return found;
}

/** `lanyard --version`, `--help` and `gateway serve --help` of `bin`, as the package's version. */
function cliRuns(bin, version) {
  const out = run(bin, ['--version']).trim();
  assert(out.includes(version), `lanyard --version says ${JSON.stringify(out)}, the package is ${version}`);
  const help = run(bin, ['--help']);
  assert(help.includes('gateway'), 'lanyard --help lists no gateway command');
  const serve = run(bin, ['gateway', 'serve', '--help']);
  assert(serve.includes('--cache-size') && serve.includes('--tls-cert'), 'gateway serve --help lacks its options');
  return out;
}

/** The unit and the example environment file in an unpacked package, verified with `bin`. */
function unitVerifies(dir, bin) {
  const unit = path.join(dir, 'usr/lib/systemd/system/lanyard-gateway.service');
  assert(fs.existsSync(unit), 'no /usr/lib/systemd/system/lanyard-gateway.service');
  assert(fs.existsSync(path.join(dir, 'usr/share/lanyard/gateway.env.example')), 'no /usr/share/lanyard/gateway.env.example');
  return run(path.join(root, 'scripts/verify-systemd-unit'), [unit, bin]).trim();
}

function sizeAtMost(file, maxMiB) {
  const size = fs.statSync(file).size;
  assert(size <= maxMiB * MiB, `${(size / MiB).toFixed(2)} MiB > ${maxMiB} MiB`);
  return `${path.basename(file)}: ${(size / MiB).toFixed(2)} MiB (${size} bytes), installed ${fieldOf(file, 'Installed-Size')} KiB`;
}

/** The packages of a Depends field and everything they pull in. */
function dependsClosure(depends) {
  const names = depends.split(',').map((d) => d.trim().split(/[\s(|]/)[0]);
  const closure = new Set(
    run('apt-cache', ['depends', '--recurse', '--no-recommends', '--no-suggests', '--no-conflicts', '--no-breaks', '--no-replaces', '--no-enhances', ...names])
      .split('\n')
      .filter((l) => /^[a-z0-9]/.test(l))
      .map((l) => l.trim().replace(/:.*$/, '')),
  );
  return { names, closure };
}

/** The shared libraries `bins` load: what ldd resolves, plus sonames named in the binary
 * (dlopen) that this machine has. */
function loadedLibraries(bins) {
  const libs = [...new Set(bins.flatMap((b) => run('ldd', [b])
    .split('\n')
    .map((l) => /=> (\/\S+)/.exec(l)?.[1])
    .filter(Boolean)))];
  // Libraries loaded with dlopen (the tray's libayatana-appindicator3) are not in ldd's
  // list: take the sonames the binary names, and check those this machine has.
  const cache = run(fs.existsSync('/sbin/ldconfig') ? '/sbin/ldconfig' : 'ldconfig', ['-p']);
  const named = new Set(bins.flatMap((b) => fs.readFileSync(b).toString('latin1').match(/lib[A-Za-z0-9_+-]+\.so\.\d+/g) ?? []));
  const dlopened = [];
  for (const soname of named) {
    const m = new RegExp(`^\\s+${soname.replace(/[.+]/g, '\\$&')} \\(libc6,x86-64\\) => (\\S+)$`, 'm').exec(cache);
    if (m && !libs.some((l) => path.basename(l) === soname)) dlopened.push(m[1]);
  }
  return { libs, dlopened };
}

/** The packages that own each library (dpkg knows a file by the path its package
 * installed, /lib or /usr/lib under usrmerge: ask for both). */
function owners(libs) {
  const asked = [...new Set(libs.flatMap((l) => [l, fs.realpathSync(l)]))];
  const found = spawnSync('dpkg', ['-S', ...asked], { encoding: 'utf8' }).stdout;
  const ownerOf = new Map();
  for (const line of found.split('\n')) {
    const at = line.lastIndexOf(': ');
    if (at > 0) ownerOf.set(line.slice(at + 2), line.slice(0, at).split(',').map((o) => o.trim().replace(/:.*$/, '')));
  }
  return (lib) => ownerOf.get(lib) ?? ownerOf.get(fs.realpathSync(lib)) ?? ['no package'];
}

/** Every library `bins` load is in a package Depends pulls in. */
function dependsCover(depends, bins) {
  const { closure } = dependsClosure(depends);
  const { libs, dlopened } = loadedLibraries(bins);
  assert(libs.length > 1, `ldd found only ${libs.length} libraries`);
  const ownerOf = owners([...libs, ...dlopened]);
  const uncovered = [...libs, ...dlopened]
    .filter((lib) => !ownerOf(lib).some((o) => closure.has(o)))
    .map((lib) => `${path.basename(lib)} (${ownerOf(lib).join(', ')})`);
  assert(uncovered.length === 0, `not pulled in by Depends: ${uncovered.join('; ')}`);
  return { libs, dlopened, ownerOf };
}

check('desktop: one copy of the code, /usr/bin/lanyard a symlink to it', () => {
  const elves = elfFiles(scratch);
  assert(elves.length === 1 && elves[0] === 'usr/bin/lanyard-app', `executables in the package: ${elves.join(', ')}`);
  assert(fs.lstatSync(cli).isSymbolicLink(), '/usr/bin/lanyard is not a symlink');
  const target = fs.readlinkSync(cli);
  assert(target === 'lanyard-app', `/usr/bin/lanyard -> ${target}, not lanyard-app`);
  return `${elves[0]}; /usr/bin/lanyard -> ${target}`;
});

check('desktop: the lanyard CLI through the symlink', () => cliRuns(cli, field('Version')));

check('desktop: lanyard-gateway.service', () => unitVerifies(scratch, cli));

check('desktop: size', () => sizeAtMost(deb, 15));
check('desktop: desktop entry', () => {
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

check('desktop: icons', () => {
  const sizes = ['32x32', '64x64', '128x128', '256x256@2', '512x512'];
  const hicolor = path.join(scratch, 'usr/share/icons/hicolor');
  const found = fs.existsSync(hicolor) ? fs.readdirSync(hicolor) : [];
  const missing = sizes.filter((s) => !fs.existsSync(path.join(hicolor, s, 'apps/lanyard-app.png')));
  assert(missing.length === 0, `missing ${missing.join(', ')} (found ${found.join(', ')})`);
  return found.join(', ');
});

check('desktop: declared dependencies cover every shared library', () => {
  const depends = field('Depends');
  const { libs, dlopened } = dependsCover(depends, [binary]);
  assert(libs.length > 10, `ldd found only ${libs.length} libraries`);
  return `Depends: ${depends}; ${libs.length} linked and ${dlopened.length} dlopen()ed libraries covered (${dlopened.map((l) => path.basename(l)).join(', ')})`;
});

check('server: the lanyard CLI', () => {
  assert(serverPkg === 'lanyard-server', `the server package is called ${serverPkg}`);
  assert(fs.lstatSync(serverCli).isFile(), '/usr/bin/lanyard is not a regular file');
  assert((fs.statSync(serverCli).mode & 0o111) !== 0, '/usr/bin/lanyard is not executable');
  const elves = elfFiles(serverScratch);
  assert(elves.length === 1, `executables in the package: ${elves.join(', ')}`);
  return cliRuns(serverCli, fieldOf(serverDeb, 'Version'));
});

check('server: lanyard-gateway.service', () => unitVerifies(serverScratch, serverCli));

check('server: size', () => sizeAtMost(serverDeb, 10));

check('server: no window libraries, Depends exactly the linked ones', () => {
  const depends = fieldOf(serverDeb, 'Depends');
  const needed = run('objdump', ['-p', serverCli]).split('\n').map((l) => /^\s+NEEDED\s+(\S+)/.exec(l)?.[1]).filter(Boolean);
  assert(needed.length > 0, 'objdump -p lists no NEEDED library');
  const windowNeeded = needed.filter((n) => WINDOW_LIBS.test(n));
  assert(windowNeeded.length === 0, `links window libraries: ${windowNeeded.join(', ')}`);
  const { libs, ownerOf } = dependsCover(depends, [serverCli]);
  const windowLoaded = libs.filter((l) => WINDOW_LIBS.test(path.basename(l)));
  assert(windowLoaded.length === 0, `loads window libraries: ${windowLoaded.join(', ')}`);
  const { names } = dependsClosure(depends);
  assert(!names.some((n) => WINDOW_LIBS.test(n)), `Depends names a window library: ${depends}`);
  // Each package named owns a library the binary itself names (NEEDED), so nothing extra
  // is pulled onto a server.
  const neededPaths = libs.filter((l) => needed.includes(path.basename(l)));
  const used = new Set(neededPaths.flatMap((l) => ownerOf(l)));
  const unused = names.filter((n) => !used.has(n));
  assert(unused.length === 0, `Depends names packages owning no linked library: ${unused.join(', ')}`);
  return `NEEDED: ${needed.join(', ')}; Depends: ${depends}`;
});

check('both: Conflicts and Replaces on each other', () => {
  for (const [file, other] of [[deb, serverPkg], [serverDeb, pkg]]) {
    for (const name of ['Conflicts', 'Replaces']) {
      const value = fieldOf(file, name).split(',').map((v) => v.trim().split(/[\s(]/)[0]);
      assert(value.includes(other), `${path.basename(file)}: ${name}: ${fieldOf(file, name)} lacks ${other}`);
    }
  }
  return `${pkg} and ${serverPkg}`;
});

check('both: installed in turn into a throwaway dpkg root, each replaces the other', () => {
  const dpkgRoot = fs.mkdtempSync(path.join(process.env.HOME, 'dpkg-root-'));
  fs.mkdirSync(path.join(dpkgRoot, 'var/lib/dpkg/info'), { recursive: true });
  fs.mkdirSync(path.join(dpkgRoot, 'var/lib/dpkg/updates'), { recursive: true });
  fs.writeFileSync(path.join(dpkgRoot, 'var/lib/dpkg/status'), '');
  const dpkg = (...args) => {
    const asRoot = process.getuid?.() === 0 ? [] : ['--force-not-root'];
    const r = spawnSync('dpkg', [`--root=${dpkgRoot}`, '--log=/dev/null', '--force-depends', '--force-script-chrootless', ...asRoot, ...args], { encoding: 'utf8' });
    assert(r.status === 0, `dpkg ${args.join(' ')}: ${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  const installed = () => dpkg('-l').split('\n').filter((l) => l.startsWith('ii ')).map((l) => l.split(/\s+/)[1]);
  const bin = path.join(dpkgRoot, 'usr/bin/lanyard');
  const unit = path.join(dpkgRoot, 'usr/lib/systemd/system/lanyard-gateway.service');
  try {
    dpkg('-i', deb);
    assert(installed().join() === pkg, `installed: ${installed().join(', ')}`);
    assert(fs.lstatSync(bin).isSymbolicLink() && fs.existsSync(unit), 'the desktop package left no lanyard symlink or unit');
    cliRuns(bin, field('Version'));
    dpkg('-i', serverDeb);
    assert(installed().join() === serverPkg, `after the server package, installed: ${installed().join(', ')}`);
    assert(fs.lstatSync(bin).isFile() && fs.existsSync(unit), 'the server package left no lanyard binary or unit');
    assert(!fs.existsSync(path.join(dpkgRoot, 'usr/bin/lanyard-app')), 'lanyard-app is still there');
    cliRuns(bin, fieldOf(serverDeb, 'Version'));
    dpkg('-i', deb);
    assert(installed().join() === pkg, `after the desktop package again, installed: ${installed().join(', ')}`);
    assert(fs.lstatSync(bin).isSymbolicLink() && fs.existsSync(unit), 'back to the desktop package: no lanyard symlink or unit');
    cliRuns(bin, field('Version'));
    dpkg('-r', pkg);
    const usrBin = path.join(dpkgRoot, 'usr/bin');
    const left = fs.existsSync(usrBin) ? fs.readdirSync(usrBin) : [];
    assert(left.length === 0, `left in /usr/bin after removing: ${left.join(', ')}`);
  } finally {
    fs.rmSync(dpkgRoot, { recursive: true, force: true });
  }
  return `${pkg} -> ${serverPkg} -> ${pkg} -> removed`;
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
  const apt = (file) => run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', file], { env, stdio: 'inherit' });
  const isInstalled = (name) => spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' }).stdout.includes('install ok installed');
  try {
    apt(deb);
    check('installed: default handler of both schemes', () => {
      // Before the app ever ran (it also registers a per-user handler at start).
      const user = freshUser();
      const handlers = SCHEMES.map((s) => run('xdg-mime', ['query', 'default', `x-scheme-handler/${s}`], { env: user }).trim());
      for (const h of handlers) assert(h === 'Lanyard.desktop', `handler ${JSON.stringify(h)}`);
      return handlers.join(', ');
    });
    check('installed: /usr/bin/lanyard runs as the CLI', () => cliRuns('/usr/bin/lanyard', field('Version')));
    try {
      await launches('/usr/bin/lanyard-app');
      console.log('ok   installed: /usr/bin/lanyard-app starts, shows the Accounts page and a ready secret store');
    } catch (err) {
      failures += 1;
      console.log(`FAIL installed: /usr/bin/lanyard-app does not start: ${err.message}`);
    }
    apt(serverDeb);
    check('installed: the server package replaces the desktop one', () => {
      assert(!isInstalled(pkg), `${pkg} is still installed`);
      return cliRuns('/usr/bin/lanyard', fieldOf(serverDeb, 'Version'));
    });
  } finally {
    for (const name of [pkg, serverPkg]) if (isInstalled(name)) run('dpkg', ['-r', name], { env, stdio: 'inherit' });
  }
}

fs.rmSync(scratch, { recursive: true, force: true });
fs.rmSync(serverScratch, { recursive: true, force: true });
console.log(failures ? `${failures} .deb checks failed` : 'the .deb checks passed');
process.exit(failures ? 1 : 0);

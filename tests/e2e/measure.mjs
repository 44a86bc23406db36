// Start-up time and memory of the real window, against an empty Tauri 2 window built the
// same way (benches/empty-window), measured in the same run. Run it through the same
// setting as the scenarios (a display, a D-Bus session, an unlocked keyring):
//
//   tests/e2e/run measure.mjs
//
// Environment: LANYARD_E2E_APP (default $CARGO_TARGET_DIR/release/lanyard-app),
// LANYARD_BASELINE_APP (default $CARGO_TARGET_DIR/release/empty-window), LANYARD_MEASURE_ROUNDS
// (default 3), LANYARD_COMPARE_APP (optional: another Lanyard build, e.g. the previous
// commit's, measured in the same rounds), LANYARD_MEASURE_LOGS (optional: a directory the
// apps' logs are copied to, one file per launch). Each round launches each binary fresh through WebKitWebDriver with a new HOME
// and data directory (the page cache stays warm) and reports:
//   first paint   the page's first-contentful-paint (Paint Timing, wall clock via
//                 performance.timeOrigin) minus the app process's start time (/proc, 10 ms
//                 resolution); the target is ≤ 1.3× the empty window's
//   page ready    (Lanyard) when the first page shows its data — "No accounts yet" on a
//                 fresh installation — rather than its loading state: the moment it
//                 enters the DOM (a MutationObserver installed with the first-paint script,
//                 so WebDriver's round trips are not counted), on the same clock; its
//                 ratio is to the empty window's first paint (target ≤ 1.2×)
//   start-up      where the time up to the first paint (and Lanyard's data) goes, for both
//                 windows, each step in ms after the process started, median over the
//                 rounds: the shell's and the installation's steps (the app's log with
//                 LANYARD_LOG=lanyard_app::startup=debug,lanyard_core::startup=debug, on
//                 the wall clock of its timestamps; the empty window writes the same marks),
//                 the page's loading (Navigation and Resource Timing), its first paint, and
//                 Lanyard's own marks and each IPC call's start and answer (User Timing marks
//                 of ui/src/main.ts and ui/src/lib/ipc.ts)
//   PSS           the sum of Pss in /proc/PID/smaps_rollup over the app and every process it
//                 started (WebKitWebProcess, WebKitNetworkProcess, …), 3 s after first
//                 paint, and for Lanyard again after 10 previews of a local JSON URL
// Prints a table and writes .artifacts/e2e/measure.json.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Session, startDriver } from './webdriver.mjs';
import { startDataServer } from './peers.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(process.env.REAL_HOME ?? process.env.HOME, '.cache/lanyard-target');
const app = path.resolve(process.env.LANYARD_E2E_APP ?? path.join(targetDir, 'release/lanyard-app'));
const baseline = path.resolve(process.env.LANYARD_BASELINE_APP ?? path.join(targetDir, 'release/empty-window'));
const compare = process.env.LANYARD_COMPARE_APP ? path.resolve(process.env.LANYARD_COMPARE_APP) : null;
const rounds = Number(process.env.LANYARD_MEASURE_ROUNDS ?? 3);
const artifacts = path.join(root, '.artifacts/e2e');
fs.mkdirSync(artifacts, { recursive: true });
const keepLogs = process.env.LANYARD_MEASURE_LOGS ? path.resolve(process.env.LANYARD_MEASURE_LOGS) : null;
if (keepLogs) fs.mkdirSync(keepLogs, { recursive: true });
for (const bin of [app, baseline, compare].filter(Boolean)) {
  if (!fs.existsSync(bin)) {
    console.error(`error: no binary at ${bin} (see docs/benchmarks.md for how to build it)`);
    process.exit(2);
  }
}

const HZ = 100; // USER_HZ on Linux

function stat(pid) {
  const raw = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(fields[1]), starttime: Number(fields[19]) };
}

/** Every live process below `pid` (not `pid` itself). */
function descendants(pid) {
  const parent = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      parent.set(Number(entry), stat(entry).ppid);
    } catch {
      // gone meanwhile
    }
  }
  const out = [];
  const walk = (p) => {
    for (const [child, pp] of parent) {
      if (pp === p) {
        out.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return out;
}

function pssKiB(pids) {
  let total = 0;
  for (const pid of pids) {
    try {
      const m = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
      if (m) total += Number(m[1]);
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/** PSS per process name (KiB), to see which process grew. */
function pssByProcess(pids) {
  const out = {};
  for (const pid of pids) out[comm(pid)] = (out[comm(pid)] ?? 0) + pssKiB([pid]);
  return out;
}

function comm(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

/** Wall-clock time (ms since the epoch) at which `pid` started. */
function startedAt(pid) {
  const uptime = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  const now = Date.now();
  return now - (uptime - stat(pid).starttime / HZ) * 1000;
}

/** `2026-12-06T22:40:01.123456Z` in ms since the epoch, with the microseconds. */
function wallMs(iso) {
  const [whole, fraction = '0'] = iso.replace('Z', '').split('.');
  return Date.parse(`${whole}Z`) + Number(`0.${fraction}`) * 1000;
}

/** The start-up log lines (`<RFC 3339 time> DEBUG <target>: <step> …`) as { at, name }. */
function startupSteps(logFile) {
  const out = [];
  // The log is colored when the subscriber decides so: strip the escapes first.
  for (const raw of fs.readFileSync(logFile, 'utf8').split('\n')) {
    const line = raw.replace(/\x1b\[[0-9;]*m/g, '');
    const m = /^(\d{4}-\d\d-\d\dT[\d:.]+Z)\s+DEBUG\s+lanyard_(app|core)::startup: (.*?)(?: ms=\d+)?$/.exec(line);
    if (m) out.push({ at: wallMs(m[1]), name: `${m[2] === 'app' ? 'shell' : 'core'}: ${m[3]}` });
  }
  return out;
}

/** The page's own start-up, on the wall clock: navigation, resources, paints, User Timing marks. */
const PAGE_TIMELINE = `
  const at = (t) => performance.timeOrigin + t;
  const out = [{ at: performance.timeOrigin, name: 'page: navigation starts' }];
  const nav = performance.getEntriesByType('navigation')[0];
  if (nav) {
    out.push({ at: at(nav.responseEnd), name: 'page: index.html received' });
    out.push({ at: at(nav.domInteractive), name: 'page: HTML parsed' });
    out.push({ at: at(nav.domContentLoadedEventStart), name: 'page: DOMContentLoaded' });
    if (nav.loadEventStart) out.push({ at: at(nav.loadEventStart), name: 'page: load' });
  }
  for (const r of performance.getEntriesByType('resource')) {
    if (!/\\.(js|css|svg)$/.test(r.name)) continue;
    const file = r.name.replace(/^.*\\//, '').replace(/-[\\w-]{8}\\./, '.');
    out.push({ at: at(r.responseEnd), name: 'page: ' + file + ' received (' + Math.round(r.responseEnd - r.startTime) + ' ms)' });
  }
  for (const p of performance.getEntriesByType('paint')) out.push({ at: at(p.startTime), name: 'page: ' + p.name });
  for (const m of performance.getEntriesByType('mark')) out.push({ at: at(m.startTime), name: 'page: ' + m.name.replace(/ #\\d+/, '') });
  return out;`;

async function launch(binary, dataServer) {
  const home = fs.mkdtempSync(path.join(process.env.HOME, 'measure-'));
  // A fresh HOME per launch: no WebKit cache or data from an earlier round.
  const env = {
    ...process.env,
    HOME: home,
    XDG_DATA_HOME: path.join(home, '.local/share'),
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    LANYARD_DATA_DIR: path.join(home, 'data'),
    LANYARD_LOG: 'info,lanyard_app::startup=debug,lanyard_core::startup=debug',
  };
  // The app's log (it inherits the driver's output): its start-up steps.
  const logFile = path.join(home, 'app.log');
  const log = fs.openSync(logFile, 'w');
  const driver = await startDriver({ env, log });
  fs.closeSync(log);
  const session = await Session.create(driver.url, binary);
  try {
    // Notes when the first page's data enters the DOM (a MutationObserver, installed as
    // early as WebDriver lets us run anything), so the harness's own round trips between
    // the two scripts below are not counted as the page's time.
    const paint = await session.executeAsync(`
      const done = arguments[arguments.length - 1];
      if (${dataServer ? 'true' : 'false'} && !window.__lanyardReadyAt) {
        const seen = () => document.querySelector('[data-testid=channels-empty]');
        window.__lanyardSeenAtInstall = !!seen();
        if (!window.__lanyardSeenAtInstall) {
          const observer = new MutationObserver(() => {
            if (seen()) {
              window.__lanyardReadyAt = performance.timeOrigin + performance.now();
              observer.disconnect();
            }
          });
          observer.observe(document, { childList: true, subtree: true });
        }
      }
      const look = () => {
        const p = performance.getEntriesByType('paint').find((e) => e.name === 'first-contentful-paint');
        if (p) done(performance.timeOrigin + p.startTime); else setTimeout(look, 20);
      };
      look();`);
    const [appPid] = descendants(driver.child.pid).filter((p) => stat(p).ppid === driver.child.pid);
    const started = startedAt(appPid);
    const firstPaint = paint - started;
    let readyMs = null;
    let ready = null;
    let readyLate = false;
    let seen = null;
    if (dataServer) {
      seen = await session.executeAsync(`
        const done = arguments[arguments.length - 1];
        const look = () => {
          if (window.__lanyardReadyAt) done({ at: window.__lanyardReadyAt, late: false });
          else if (document.querySelector('[data-testid=channels-empty]')) done({ at: performance.timeOrigin + performance.now(), late: true });
          else setTimeout(look, 5);
        };
        look();`);
    }
    const timeline = await session.execute(PAGE_TIMELINE);
    if (seen) {
      ready = seen.at;
      // The data was in the page before WebDriver let us watch for it (the window showed
      // and the app mounted before the session's first script): the app's own "mounted"
      // mark stands for it (the data follows it within a microtask, 1–2 ms in the rounds
      // watched from the start), rather than the moment the harness looked.
      const mounted = timeline.find((step) => step.name === 'page: mounted');
      if (seen.late && mounted && mounted.at < ready) {
        ready = mounted.at;
        readyLate = true;
      }
      readyMs = Math.round(ready - started);
    }
    const all = [...startupSteps(logFile), ...timeline];
    if (ready) all.push({ at: ready, name: 'page: shows its data (page ready)' });
    // The first time each step happened (a command called twice counts once), in ms.
    const steps = {};
    for (const { at, name } of all.sort((x, y) => x.at - y.at)) {
      if (!(name in steps)) steps[name] = Math.round(at - started);
    }
    await sleep(3000);
    const procs = descendants(driver.child.pid);
    const result = {
      firstPaintMs: Math.round(firstPaint),
      readyMs,
      readyLate,
      steps,
      pssStartKiB: pssKiB(procs),
      pssStartByProcess: pssByProcess(procs),
      processes: procs.map(comm),
    };
    if (dataServer) {
      await session.waitFor('h1#page-title', { text: 'Accounts' });
      await session.go('Preview');
      const before = dataServer.seen.length;
      for (let i = 1; i <= 10; i++) {
        await (await session.find('#preview-url')).type(`${dataServer.origin}/feeds/lobby?n=${i}`);
        await (await session.byText('button[type=submit]', 'Send')).click();
        await session.waitFor('[data-testid=preview-status]', { text: '200' });
        await session.byText('button[type=submit]', 'Send');
        const deadline = Date.now() + 15_000;
        while ((await session.findAll('[data-testid=history-entry]')).length < i) {
          if (Date.now() > deadline) throw new Error(`preview ${i} is not in the history`);
          await sleep(50);
        }
      }
      await sleep(3000);
      if (dataServer.seen.length - before !== 10) throw new Error(`the endpoint saw ${dataServer.seen.length - before} requests, not 10`);
      result.pssAfterPreviewsKiB = pssKiB(descendants(driver.child.pid));
      result.pssAfterPreviewsByProcess = pssByProcess(descendants(driver.child.pid));
    }
    return result;
  } finally {
    if (keepLogs) {
      try {
        fs.copyFileSync(logFile, path.join(keepLogs, `${path.basename(binary)}-${Date.now()}.log`));
      } catch (err) {
        console.error(`warning: could not keep the log of ${binary}: ${err.message}`);
      }
    }
    await session.delete();
    for (const pid of descendants(driver.child.pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await driver.stop();
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mib = (kib) => (kib / 1024).toFixed(0);
const fmt = (byProcess) => Object.entries(byProcess).map(([k, v]) => `${k} ${mib(v)}`).join(', ');

const data = await startDataServer();
const samples = { baseline: [], app: [], compare: [] };
try {
  for (let r = 1; r <= rounds; r++) {
    samples.baseline.push(await launch(baseline, null));
    samples.app.push(await launch(app, data));
    const [b, a] = [samples.baseline.at(-1), samples.app.at(-1)];
    let line =
      `round ${r}: baseline ${b.firstPaintMs} ms, ${mib(b.pssStartKiB)} MiB | ` +
      `lanyard ${a.firstPaintMs} ms (ready ${a.readyMs} ms${a.readyLate ? '*' : ''}), ${mib(a.pssStartKiB)} MiB, after 10 previews ${mib(a.pssAfterPreviewsKiB)} MiB`;
    if (compare) {
      samples.compare.push(await launch(compare, data));
      const c = samples.compare.at(-1);
      line += ` | compared build ${c.firstPaintMs} ms (ready ${c.readyMs} ms)`;
    }
    console.log(line);
  }
} finally {
  data.stop();
}

const b = {
  paint: median(samples.baseline.map((s) => s.firstPaintMs)),
  pss: median(samples.baseline.map((s) => s.pssStartKiB)),
};
const a = {
  paint: median(samples.app.map((s) => s.firstPaintMs)),
  pss: median(samples.app.map((s) => s.pssStartKiB)),
  pssPreviews: median(samples.app.map((s) => s.pssAfterPreviewsKiB)),
  ready: median(samples.app.map((s) => s.readyMs)),
};
const c = compare
  ? {
      paint: median(samples.compare.map((s) => s.firstPaintMs)),
      ready: median(samples.compare.map((s) => s.readyMs)),
    }
  : null;
const paintRatio = +(a.paint / b.paint).toFixed(2);
const readyRatio = +(a.ready / b.paint).toFixed(2);
// Each start-up step's median over the rounds it happened in, in the order of the medians.
const timeline = (launches) =>
  [...new Set(launches.flatMap((s) => Object.keys(s.steps ?? {})))]
    .map((name) => {
      const seen = launches.map((s) => s.steps?.[name]).filter((v) => v !== undefined);
      return { name, ms: median(seen), rounds: seen.length };
    })
    .sort((x, y) => x.ms - y.ms);
const steps = timeline(samples.app);
const baselineSteps = timeline(samples.baseline);
const listed = (list, n) =>
  list.map((s) => `${String(s.ms).padStart(6)}  ${s.name}${s.rounds < n ? ` (${s.rounds} of ${n} rounds)` : ''}`).join('\n');
const summary = {
  rounds,
  baseline: { binary: baseline, firstPaintMs: b.paint, pssStartKiB: b.pss, processes: samples.baseline[0].processes },
  app: {
    binary: app,
    firstPaintMs: a.paint,
    readyMs: a.ready,
    pssStartKiB: a.pss,
    pssAfterPreviewsKiB: a.pssPreviews,
    processes: samples.app[0].processes,
  },
  compare: c && { binary: compare, firstPaintMs: c.paint, readyMs: c.ready },
  ratioFirstPaint: paintRatio,
  ratioReady: readyRatio,
  startup: steps,
  baselineStartup: baselineSteps,
  ratioStart: +(a.pss / b.pss).toFixed(3),
  ratioAfterPreviews: +(a.pssPreviews / b.pss).toFixed(3),
  samples,
};
fs.writeFileSync(path.join(artifacts, 'measure.json'), JSON.stringify(summary, null, 2));
console.log(`
| measure (median of ${rounds}) | empty Tauri window | Lanyard | ratio | target |
|---|---|---|---|---|
| first paint after process start | ${b.paint} ms | ${a.paint} ms | ${paintRatio}× | ≤ 1.0× |
| first page showing its data (vs the empty window's first paint) | ${b.paint} ms | ${a.ready} ms | ${readyRatio}× | ≤ 1.2× |
| PSS, 3 s after first paint | ${mib(b.pss)} MiB | ${mib(a.pss)} MiB | ${summary.ratioStart}× | ≤ 1.25× |
| PSS after 10 previews | — | ${mib(a.pssPreviews)} MiB | ${summary.ratioAfterPreviews}× | ≤ 1.25× |

${samples.app.some((s) => s.readyLate) ? `* ${samples.app.filter((s) => s.readyLate).length} of ${samples.app.length} rounds: the data was in the page before the harness could watch for it; the app's "mounted" mark stands for it\n` : ''}${c ? `compared build (${compare}): first paint ${c.paint} ms, page ready ${c.ready} ms\n` : ''}processes counted: baseline ${summary.baseline.processes.join(', ')}; Lanyard ${summary.app.processes.join(', ')}
by process (MiB, last round): baseline ${fmt(samples.baseline.at(-1).pssStartByProcess)}; Lanyard at start ${fmt(samples.app.at(-1).pssStartByProcess)}, after 10 previews ${fmt(samples.app.at(-1).pssAfterPreviewsByProcess)}

The empty window's start-up, ms after the process started (median of the rounds):
${listed(baselineSteps, samples.baseline.length)}

Lanyard's start-up, ms after the process started (median of the rounds; the empty window paints at ${b.paint} ms):
${listed(steps, samples.app.length)}`);

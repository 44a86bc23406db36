// Simulated screens: each one is HTML5 content using clients/lanyard-player.js (the same
// endpoints as on a real screen: POST /v1/sessions, GET /v1/fetch), polling every feed
// every INTERVAL seconds for DURATION seconds (one request at a time per screen), starting
// at a random point of the first interval. Screens share the player secrets in SECRETS_FILE round-robin. Prints what came
// back (X-Lanyard-Cache outcomes, errors, latency) as one JSON document.
//
//   node benches/screens-sim.mjs GATEWAY SECRETS_FILE FEED_BASE [SCREENS] [FEEDS] [INTERVAL] [DURATION]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { createLanyard } = require('../clients/lanyard-player.js');

const [gateway, secretsFile, feedBase] = process.argv.slice(2, 5);
if (!gateway || !secretsFile || !feedBase) {
  console.error('usage: node benches/screens-sim.mjs GATEWAY SECRETS_FILE FEED_BASE [SCREENS] [FEEDS] [INTERVAL] [DURATION]');
  process.exit(2);
}
const screens = Number(process.argv[5] ?? 1000);
const feeds = Number(process.argv[6] ?? 10);
const interval = Number(process.argv[7] ?? 10) * 1000;
const duration = Number(process.argv[8] ?? 60) * 1000;
const secrets = readFileSync(secretsFile, 'utf8').split('\n').map((s) => s.trim()).filter(Boolean);

const outcomes = {};
const errors = {};
const latencies = [];
const firstRound = []; // each screen's first round includes getting its session

let sessions = 0;
let wrongFeed = 0;

async function poll(lanyard, feed, first) {
  const started = performance.now();
  try {
    const response = await lanyard.fetch(`${feedBase}/feed/${feed}`);
    const body = await response.json();
    (first ? firstRound : latencies).push(performance.now() - started);
    const outcome = `${response.status} ${response.headers.get('x-lanyard-cache')}`;
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    if (body.feed !== feed) wrongFeed += 1;
  } catch (e) {
    const key = e.code ?? e.name ?? 'error';
    errors[key] = (errors[key] ?? 0) + 1;
  }
}

const start = Date.now();
const end = start + duration;
const runs = [];
for (let s = 0; s < screens; s += 1) {
  const secret = secrets[s % secrets.length];
  const lanyard = createLanyard({
    gateway,
    // The production path: the player (here this script) trades its secret for sessions
    // and the content gets only those.
    getSession: async () => {
      const r = await fetch(`${gateway}/v1/sessions`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${secret}` },
      });
      if (!r.ok) throw Object.assign(new Error(`sessions answered ${r.status}`), { code: `sessions_${r.status}` });
      return r.json();
    },
    onSession: () => {
      sessions += 1;
    },
  });
  const offset = Math.random() * interval;
  runs.push(
    (async () => {
      await new Promise((ok) => setTimeout(ok, offset));
      for (let at = start + offset; at < end; at += interval) {
        const wait = at - Date.now();
        if (wait > 0) await new Promise((ok) => setTimeout(ok, wait));
        const first = at === start + offset;
        // One request at a time per screen (a browser would open at most 6 connections).
        for (let f = 0; f < feeds; f += 1) await poll(lanyard, `f${f}`, first);
      }
    })(),
  );
}
await Promise.all(runs);
latencies.sort((a, b) => a - b);
firstRound.sort((a, b) => a - b);
const pct = (p, v = latencies) => (v.length ? v[Math.min(v.length - 1, Math.floor(v.length * p))] : null);
console.log(
  JSON.stringify({
    screens,
    feeds,
    interval_s: interval / 1000,
    duration_s: duration / 1000,
    wall_s: (Date.now() - start) / 1000,
    requests: latencies.length + firstRound.length + Object.values(errors).reduce((a, b) => a + b, 0),
    outcomes,
    errors,
    wrong_feed: wrongFeed,
    sessions,
    latency_ms: { p50: pct(0.5), p99: pct(0.99), max: latencies.at(-1) ?? null },
    first_round_latency_ms: { p50: pct(0.5, firstRound), p99: pct(0.99, firstRound), max: firstRound.at(-1) ?? null },
  }),
);

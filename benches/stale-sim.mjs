// Screens while the upstream hangs: SCREENS screens (player secrets from SECRETS_FILE,
// round-robin; each gets a session as clients/lanyard-player.js would) fetch FEED once
// fresh through the gateway, then the upstream is told to hang (HANG_URL), then every
// screen asks again at once, ROUNDS times. Prints the latency of those answers (p50, p99,
// max), how many were stale, and the target p99 <= DEADLINE_MS + 10 ms, as one JSON
// document.
//
//   node benches/stale-sim.mjs GATEWAY SECRETS_FILE FEED HANG_URL DEADLINE_MS [SCREENS] [ROUNDS]
import { readFileSync } from 'node:fs';

const [gateway, secretsFile, feed, hangUrl, deadlineArg] = process.argv.slice(2, 7);
if (!gateway || !secretsFile || !feed || !hangUrl || !deadlineArg) {
  console.error('usage: node benches/stale-sim.mjs GATEWAY SECRETS_FILE FEED HANG_URL DEADLINE_MS [SCREENS] [ROUNDS]');
  process.exit(2);
}
const deadline = Number(deadlineArg);
const screens = Number(process.argv[7] ?? 100);
const rounds = Number(process.argv[8] ?? 5);
const secrets = readFileSync(secretsFile, 'utf8').split('\n').map((s) => s.trim()).filter(Boolean);
const target = `${gateway}/v1/fetch?url=${encodeURIComponent(feed)}`;

async function session(secret) {
  const r = await fetch(`${gateway}/v1/sessions`, { method: 'POST', headers: { Authorization: `Bearer ${secret}` } });
  if (!r.ok) throw new Error(`session: ${r.status}`);
  return (await r.json()).token;
}

async function ask(token) {
  const started = performance.now();
  const r = await fetch(target, { headers: { Authorization: `Bearer ${token}` } });
  await r.arrayBuffer();
  return { ms: performance.now() - started, status: r.status, cache: r.headers.get('x-lanyard-cache'), reason: r.headers.get('x-lanyard-stale-reason') };
}

const tokens = [];
for (let s = 0; s < screens; s += 1) tokens.push(await session(secrets[s % secrets.length]));
const warm = await Promise.all(tokens.map(ask));
const warmOk = warm.filter((a) => a.status === 200).length;
await fetch(`${hangUrl}?on=1`);
const latencies = [];
const outcomes = {};
for (let round = 0; round < rounds; round += 1) {
  const answers = await Promise.all(tokens.map(ask));
  for (const a of answers) {
    latencies.push(a.ms);
    const key = `${a.status} ${a.cache} ${a.reason ?? ''}`.trim();
    outcomes[key] = (outcomes[key] ?? 0) + 1;
  }
}
latencies.sort((a, b) => a - b);
const pick = (q) => latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)];
const p99 = pick(0.99);
console.log(JSON.stringify({
  screens,
  rounds,
  warm_ok: warmOk,
  outcomes,
  deadline_ms: deadline,
  p50_ms: Math.round(pick(0.5) * 10) / 10,
  p99_ms: Math.round(p99 * 10) / 10,
  max_ms: Math.round(latencies[latencies.length - 1] * 10) / 10,
  target: `p99 <= ${deadline + 10} ms`,
  met: p99 <= deadline + 10,
}, null, 2));
process.exit(0);

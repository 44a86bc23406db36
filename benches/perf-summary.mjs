#!/usr/bin/env node
// Where a gateway request's time goes, from a profile taken by benches/gateway-load.sh or
// benches/fetch-load.sh with PERF_DATA=FILE: each sample is put in the part of the request
// its innermost recognised frame belongs to (authentication cache, rate limits, epoch read,
// snapshot, grant cache, serialization, audit buffer, metrics, cache key and lookup, screen
// log, response build, HTTP and the runtime), printed as percentages of the gateway's
// samples. Relative figures hold even on a busy machine; absolute ones do not.
//
//   node benches/perf-summary.mjs FILE [--top N]
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

const file = process.argv[2];
if (!file) {
  console.error("usage: node benches/perf-summary.mjs PERF_DATA [--top N]");
  process.exit(2);
}
const topAt = process.argv.indexOf("--top");
const top = topAt > 0 ? Number(process.argv[topAt + 1]) : 15;

// Innermost match wins; the order only matters between patterns that can match one frame.
const PARTS = [
  ["epoch read", /store::epoch|access_epoch/],
  ["auth cache (HMAC, verified map)", /lanyard_gateway::auth::/],
  ["failed-attempt limits", /lanyard_gateway::limits::/],
  ["session verify", /lanyard_gateway::(sessions|data::Sessions)|broker::sessions::/],
  ["per-player quota", /lanyard_gateway::quota::/],
  ["screen log", /lanyard_core::screens::|data::seen/],
  ["metrics", /lanyard_gateway::metrics::/],
  ["audit buffer", /broker::Broker::record|PendingAudit/],
  ["snapshot", /lanyard_core::snapshot::|Lanyard::snapshot/],
  ["grant cache (access, token)", /broker::(grant|refresh|token_links)::|broker::Broker::(cached_access|cached)/],
  ["cache key (coverage, names)", /lanyard_gateway::cache::key|cache::keep_stale|fetch::credentials::|urltokens::index/],
  ["cache lookup (moka, answer copy)", /moka::|lanyard_gateway::cache::/],
  ["URL parsing", /url::parser|url::form_urlencoded|parse_request_url|url::Url::parse/],
  ["JSON (serde)", /serde_json::|serde::/],
  ["response build (headers)", /data::(respond|finish|cors|private_cache_control|vary|not_modified)|errors::error_response|api::error_response/],
  ["handler (own code)", /lanyard_gateway::/],
  ["axum routing and extractors", /axum::|tower::|matchit::/],
  ["HTTP (hyper)", /hyper::|httparse::|hyper_util::/],
  ["tokio runtime", /tokio::/],
];
const ALLOC = /^(malloc|free|cfree|realloc|calloc|_int_malloc|_int_free|_int_realloc|__libc_malloc|__libc_free|__libc_realloc|malloc_consolidate|tcache_|__rust_alloc|__rust_dealloc|__rdl_alloc|__rdl_dealloc)/;

const perf = spawn("perf", ["script", "-i", file, "-F", "comm,tid,ip,sym,dso"], {
  stdio: ["ignore", "pipe", "inherit"],
});
const counts = new Map();
const leafs = new Map();
let total = 0;
let alloc = 0;
let kernel = 0;
let block = [];
const sample = (lines) => {
  if (lines.length < 2) return;
  const frames = lines.slice(1).map((l) => {
    const m = l.trim().match(/^[0-9a-f]+\s+(.*?)\s+\(([^)]*)\)$/);
    return m ? { sym: m[1].replace(/\+0x[0-9a-f]+$/, ""), dso: m[2] } : { sym: l.trim(), dso: "" };
  });
  total += 1;
  const leaf = frames[0];
  if (leaf.dso.includes("kernel")) kernel += 1;
  if (frames.slice(0, 4).some((f) => ALLOC.test(f.sym))) alloc += 1;
  leafs.set(leaf.sym, (leafs.get(leaf.sym) ?? 0) + 1);
  let part = "other (kernel, libc, unknown)";
  search: for (const f of frames) {
    for (const [name, re] of PARTS) {
      if (re.test(f.sym)) {
        part = name;
        break search;
      }
    }
  }
  counts.set(part, (counts.get(part) ?? 0) + 1);
};
for await (const line of createInterface({ input: perf.stdout })) {
  if (line.trim()) block.push(line);
  else {
    sample(block);
    block = [];
  }
}
sample(block);
if (total === 0) {
  console.error("no samples");
  process.exit(1);
}
const pct = (n) => `${((100 * n) / total).toFixed(1).padStart(5)} %`;
console.log(`== where the gateway's time goes (${total} samples, ${file}) ==`);
for (const [name, n] of [...counts].sort((a, b) => b[1] - a[1])) console.log(`${pct(n)}  ${name}`);
console.log(`\nacross parts: allocator ${pct(alloc).trim()}, in the kernel ${pct(kernel).trim()}`);
console.log(`\ntop ${top} functions by own samples:`);
for (const [sym, n] of [...leafs].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${pct(n)}  ${sym.slice(0, 110)}`);
}

// Browser test of clients/lanyard-player.js: a page in Debian's Chromium (playwright-core)
// uses the player client against a REAL `lanyard gateway serve --sessions-only` (the debug
// binary) and a real local upstream, the production way: the page never holds the player
// secret; a local agent (here the page server, standing in for the player's firmware)
// trades it for sessions, which the client gets from `sessionUrl`. It checks that the data
// is shown, that the session is renewed before it expires (a 6-second session lifetime),
// that after an unlink the content gets a clear 401 error, and that `playerSecret` (for
// development) logs a warning and is refused by a sessions-only gateway. Run with `npm run test:browser`; needs `cargo build -p
// lanyard-cli` first (scripts/check does), or LANYARD_BIN pointing at a `lanyard` binary.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../../..");
const clientFile = join(repo, "clients", "lanyard-player.js");
const SESSION_SECONDS = 6;
const API_KEY = "CANARY-3f1e-feed-key";

function lanyardBin() {
    if (process.env.LANYARD_BIN) return process.env.LANYARD_BIN;
    const target = process.env.CARGO_TARGET_DIR || join(repo, "target");
    const bin = join(target, "debug", "lanyard");
    if (!existsSync(bin)) {
        throw new Error(`no lanyard binary at ${bin}: run \`cargo build -p lanyard-cli\` or set LANYARD_BIN`);
    }
    return bin;
}

function check(condition, message) {
    if (!condition) throw new Error(`assertion failed: ${message}`);
}

const dataDir = mkdtempSync(join(tmpdir(), "lanyard-player-client-"));
const bin = lanyardBin();

function cleanEnv() {
    const env = { ...process.env };
    for (const k of ["LANYARD_DATA_DIR", "LANYARD_DATABASE", "LANYARD_SECRET_STORE", "LANYARD_LOG"]) delete env[k];
    return env;
}

function cli(args, input = "") {
    const r = spawnSync(bin, ["--data-dir", dataDir, "--secret-store", "file", "--json", ...args], {
        input,
        encoding: "utf8",
        env: cleanEnv(),
    });
    if (r.status !== 0) throw new Error(`lanyard ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
    return JSON.parse(r.stdout);
}

function listen(server) {
    return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok(`http://127.0.0.1:${server.address().port}`)));
}

// The upstream: a feed that needs the API key (attached by the gateway) and counts.
let upstreamHits = 0;
const upstream = createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    if (url.pathname !== "/feed/items") {
        res.writeHead(404).end();
        return;
    }
    if (url.searchParams.get("apikey") !== API_KEY) {
        res.writeHead(401, { "content-type": "text/plain" }).end("no key");
        return;
    }
    upstreamHits += 1;
    res.writeHead(200, { "content-type": "application/json", "cache-control": "max-age=1" }).end(
        JSON.stringify({ value: upstreamHits }),
    );
});

// The content: a page that loads the client and shows the feed.
const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>Screen</title>
<p id="data">loading</p><p id="cache"></p><p id="error"></p>
<script src="/lanyard-player.js"></script>
<script>
  const params = new URLSearchParams(location.hash.slice(1));
  window.sessions = [];
  window.lanyard = LanyardPlayer.createLanyard({
    gateway: params.get("gateway"),
    ...(params.get("secret") ? { playerSecret: params.get("secret") } : { sessionUrl: "/lanyard-session" }),
    renewAt: 0.5, // half-way: a slow poll on a loaded machine still finds its session alive
    onSession: (s) => window.sessions.push({ ...s, at: Date.now() }),
  });
  window.show = async () => {
    try {
      const response = await window.lanyard.fetch(params.get("feed"));
      const v = await response.json();
      document.getElementById("data").textContent = "value " + v.value;
      document.getElementById("cache").textContent = response.headers.get("x-lanyard-cache");
      document.getElementById("error").textContent = "";
      return { ok: true, value: v.value };
    } catch (e) {
      document.getElementById("error").textContent = e.status + " " + e.code + ": " + e.message;
      return { ok: false, status: e.status, code: e.code, name: e.name };
    }
  };
</script>`;
// The player's local agent: it keeps the secret and hands the content sessions.
let agent = { gateway: "", secret: "", sessions: 0 };
const pages = createServer(async (req, res) => {
    if (req.url === "/lanyard-session") {
        const r = await fetch(`${agent.gateway}/v1/sessions`, {
            method: "POST",
            headers: { Authorization: `Bearer ${agent.secret}` },
        });
        agent.sessions += 1;
        res.writeHead(r.status, { "content-type": "application/json", "cache-control": "no-store" }).end(
            await r.text(),
        );
    } else if (req.url === "/lanyard-player.js") {
        res.writeHead(200, { "content-type": "text/javascript" }).end(readFileSync(clientFile));
    } else if (req.url === "/" || req.url.startsWith("/#")) {
        res.writeHead(200, { "content-type": "text/html" }).end(PAGE);
    } else {
        res.writeHead(404).end();
    }
});

let gateway;
let browser;
try {
    const upstreamBase = await listen(upstream);
    const pageOrigin = await listen(pages);

    const token = cli(["token", "add", "--url", `${upstreamBase}/feed`, "--key", "apikey"], API_KEY).token.id;
    const player = cli(["player", "add", "Lobby screen"]);
    cli(["link", "add", "--player", player.id, "--token", token]);

    gateway = spawn(
        bin,
        [
            "--data-dir",
            dataDir,
            "--secret-store",
            "file",
            "--json",
            "gateway",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--cors-origin",
            pageOrigin,
            "--session-lifetime",
            String(SESSION_SECONDS),
            "--sessions-only",
        ],
        { stdio: ["ignore", "pipe", "inherit"], env: cleanEnv() },
    );
    const gatewayUrl = await new Promise((ok, fail) => {
        const lines = createInterface({ input: gateway.stdout });
        lines.once("line", (line) => ok(JSON.parse(line).listening));
        gateway.once("exit", (code) => fail(new Error(`the gateway exited (${code})`)));
        setTimeout(() => fail(new Error("the gateway did not start in 20 s")), 20_000);
    });

    browser = await chromium.launch({
        executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
        args: [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    });
    agent = { gateway: gatewayUrl, secret: player.secret, sessions: 0 };
    const page = await browser.newPage();
    const warnings = [];
    page.on("console", (m) => {
        if (m.type() === "warning") warnings.push(m.text());
    });
    const seen = [];
    page.on("response", (r) => {
        const u = new URL(r.url());
        if (u.pathname.startsWith("/v1/"))
            seen.push({ path: u.pathname, status: r.status(), method: r.request().method() });
    });
    const hash = new URLSearchParams({ gateway: gatewayUrl, feed: `${upstreamBase}/feed/items` });
    await page.goto(`${pageOrigin}/#${hash}`);

    // 1. The data is shown.
    const first = await page.evaluate(() => window.show());
    check(first.ok, `the first fetch works: ${JSON.stringify(first)}`);
    check((await page.textContent("#data")).startsWith("value "), "the data is on the page");
    const second = await page.evaluate(() => window.show());
    check(second.ok && second.value === first.value, "the second fetch is served by the gateway's cache");
    check((await page.textContent("#cache")) === "hit", "X-Lanyard-Cache: hit is visible to the content");

    // 2. Over 1.5 lifetimes of polling, the session is renewed before it expires and no
    //    request is refused.
    const until = Date.now() + SESSION_SECONDS * 1500;
    while (Date.now() < until) {
        const r = await page.evaluate(() => window.show());
        check(r.ok, `polling works: ${JSON.stringify(r)}`);
        await new Promise((ok) => setTimeout(ok, 400));
    }
    const sessions = await page.evaluate(() => window.sessions);
    check(sessions.length >= 2, `the session was renewed: ${JSON.stringify(sessions)}`);
    for (let i = 1; i < sessions.length; i += 1) {
        check(sessions[i].reason === "renew", `renewal ${i} happened before expiry: ${JSON.stringify(sessions)}`);
        check(sessions[i].at < sessions[i - 1].expiresAt, `renewal ${i} came before the old session expired`);
    }
    check(!seen.some((s) => s.status === 401), `no request was refused while polling: ${JSON.stringify(seen)}`);
    check(
        agent.sessions === sessions.length,
        `every session came from the agent: ${agent.sessions} vs ${sessions.length}`,
    );
    check(!seen.some((s) => s.path === "/v1/sessions"), "the page itself never called /v1/sessions");
    check(warnings.length === 0, `no warning on the production path: ${warnings}`);

    // 3. Unlinked: the content gets a clear 401 (a fresh session, so it is not "expired").
    await page.evaluate(() => window.lanyard.reset());
    check((await page.evaluate(() => window.show())).ok, "a fresh session works");
    cli(["link", "remove", "--player", player.id, "--token", token]);
    const refused = await page.evaluate(() => window.show());
    check(
        !refused.ok && refused.status === 401 && refused.code === "unauthenticated" && refused.name === "LanyardError",
        `the unlink is surfaced as a 401: ${JSON.stringify(refused)}`,
    );
    check((await page.textContent("#error")).startsWith("401 unauthenticated"), "the error is on the page");
    // The next call starts a new session, which covers nothing any more.
    const after = await page.evaluate(() => window.show());
    check(
        !after.ok && after.status === 403 && after.code === "not_covered",
        `then 403 not_covered: ${JSON.stringify(after)}`,
    );
    const pageText = await page.content();
    check(!pageText.includes(API_KEY), "the API key never reached the page");
    check(!pageText.includes(player.secret), "the player secret never reached the page");

    // 4. playerSecret, for development: a console warning, and a sessions-only gateway
    //    refuses to trade a secret sent by web content.
    const dev = await browser.newPage();
    const devWarnings = [];
    dev.on("console", (m) => {
        if (m.type() === "warning") devWarnings.push(m.text());
    });
    const devHash = new URLSearchParams({
        gateway: gatewayUrl,
        secret: player.secret,
        feed: `${upstreamBase}/feed/items`,
    });
    await dev.goto(`${pageOrigin}/#${devHash}`);
    const devResult = await dev.evaluate(() => window.show());
    check(
        devWarnings.some((w) => w.includes("development only")),
        `playerSecret warns: ${JSON.stringify(devWarnings)}`,
    );
    check(
        !devResult.ok && devResult.status === 401 && devResult.code === "session_required",
        `a sessions-only gateway refuses the secret from a page: ${JSON.stringify(devResult)}`,
    );

    console.log(`player client browser test passed (${sessions.length} sessions, ${upstreamHits} upstream requests)`);
} finally {
    if (browser) await browser.close();
    if (gateway && gateway.exitCode === null) gateway.kill("SIGTERM");
    upstream.close();
    pages.close();
    rmSync(dataDir, { recursive: true, force: true });
}

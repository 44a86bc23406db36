// Browser test: serves the BUILT ui/dist under a strict CSP, mocks the Tauri
// IPC, and drives the app in Debian's Chromium through playwright-core.
// Run with `npm run test:browser` (which builds first).
import { createReadStream, existsSync, mkdirSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";
import { build } from "vite";

const here = dirname(fileURLToPath(import.meta.url));
const uiRoot = resolve(here, "../..");
const distDir = join(uiRoot, "dist");
const resultsDir = join(uiRoot, "test-results");
const TIMEOUT_MS = 15_000;
// axe-core, evaluated in the page over the DevTools protocol (the page's CSP allows no
// inline script, and the check must not loosen it).
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const PAGES = [
    "start",
    "channels",
    "players",
    "url-tokens",
    "preview",
    "health",
    "token-requests",
    "contacts",
    "settings",
];

// The Tauri CSP, with style-src tightened to 'self' to prove the UI needs no inline styles.
const CSP = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "connect-src ipc: http://ipc.localhost",
].join("; ");

const STATUS = {
    version: "0.1.0-test",
    dataDir: "/home/ada/.local/share/lanyard",
    databasePath: "/home/ada/.local/share/lanyard/lanyard.sqlite3",
    databaseBackend: "sqlite",
    schemaVersion: 7,
    secretStore: {
        backend: "file",
        usable: true,
        detail: "Encrypted file at /home/ada/.local/share/lanyard/secrets.bin",
        warning: "Secrets are stored in a file on this computer because no system keyring is available.",
    },
    environment: [
        {
            variable: "LANYARD_SECRET_STORE",
            value: "file",
            effect: "secrets are kept unencrypted in /home/ada/.local/share/lanyard/secrets instead of the OS keyring",
        },
    ],
    unsavedMasterTokens: [],
};

const NOW = Math.floor(Date.now() / 1000);

const CHANNELS = [
    {
        id: "ch-1",
        providerId: "prov-ms",
        providerName: "Contoso Microsoft 365",
        accountLabel: "alice@example.com",
        status: "needs_reauth",
        scopes: ["openid", "offline_access"],
        connectedAt: NOW - 30 * 86400,
        lastRefreshedAt: NOW - 3600,
        reauthDueAt: NOW + 5 * 86400 + 3600,
        lastError: "The refresh token expired; sign in again.",
    },
];

const PLAYERS = [
    {
        id: "license",
        kind: "license",
        name: "Desktop license",
        serial: null,
        createdAt: NOW - 60 * 86400,
        lastSeenAt: NOW - 300,
    },
    {
        id: "pl-1",
        kind: "player",
        name: "Lobby screen",
        serial: "LOBBY-0001",
        createdAt: NOW - 10 * 86400,
        lastSeenAt: null,
    },
];

const LINKS = [
    {
        principalId: "license",
        principalName: "Desktop license",
        channelId: "ch-1",
        channelLabel: "alice@example.com",
        createdAt: NOW - 86400,
    },
    {
        principalId: "pl-1",
        principalName: "Lobby screen",
        channelId: "ch-1",
        channelLabel: "alice@example.com",
        createdAt: NOW - 86400,
    },
];

const AUDIT = [
    {
        id: 2,
        at: NOW - 300,
        principalId: "license",
        action: "grant",
        subjectKind: "channel",
        subjectId: "ch-1",
        outcome: "ok",
        detail: null,
    },
    {
        id: 1,
        at: NOW - 600,
        principalId: "pl-9",
        action: "grant",
        subjectKind: "channel",
        subjectId: "ch-1",
        outcome: "denied",
        detail: "not linked to this channel",
    },
];

const template = (kind, name) => ({
    id: `builtin-${kind}`,
    kind,
    name,
    builtin: true,
    issuer: null,
    authorizationEndpoint: `https://${kind}.example/authorize`,
    clientId: null,
    hasClientSecret: false,
    redirectStyle: "deep_link",
    apiBaseUrls: [],
    reauthDays: null,
    loopbackPort: null,
    registration: {
        redirectUri: kind === "dropbox" ? "http://127.0.0.1:<port>/callback" : "app.lanyard.desktop://oauth/callback",
        registerAt: `the ${name} developer console`,
        notes: [],
    },
});

const PROVIDERS = [
    template("microsoft", "Microsoft 365"),
    template("google", "Google"),
    template("dropbox", "Dropbox"),
    {
        id: "prov-ms",
        kind: "microsoft",
        name: "Contoso Microsoft 365",
        builtin: false,
        issuer: "https://login.microsoftonline.com/contoso/v2.0",
        authorizationEndpoint: "https://login.microsoftonline.com/contoso/oauth2/v2.0/authorize",
        clientId: "11111111-2222-3333-4444-555555555555",
        hasClientSecret: false,
        redirectStyle: "loopback",
        apiBaseUrls: ["https://graph.microsoft.com"],
        reauthDays: 14,
        loopbackPort: null,
        registration: {
            redirectUri: "http://127.0.0.1/callback",
            registerAt: "Microsoft Entra admin center → Mobile and desktop applications",
            notes: ["No client secret: Lanyard is a public client with PKCE."],
        },
    },
];

const DAVINCI = "https://davinci.example.com/api/";
const REPORTS = "https://reports.example.org/";

const token = (id, prefix, key, placement, extra = {}) => ({
    id,
    prefix,
    key,
    placement,
    requiresPermission: false,
    prompt: false,
    origin: "own",
    viewable: true,
    warning: null,
    updatedAt: NOW - 3600,
    ...extra,
});

const TOKENS = [
    token("tok-u", DAVINCI, "username", "header", { requiresPermission: true }),
    token("tok-p", DAVINCI, "password", "header", { prompt: true }),
    token("tok-f", REPORTS, "apikey", "form"),
    token("tok-x", REPORTS, "X-Api-Key", "header", {
        warning: "Only username, password and token are used in a header: X-Api-Key is ignored.",
    }),
    token("tok-r", REPORTS, "session", "form", { origin: "received", viewable: false }),
];

const MATCH_REPORT = {
    url: "https://davinci.example.com/api/data",
    method: "POST",
    formInQuery: false,
    attached: [
        {
            tokenId: "tok-u",
            prefix: DAVINCI,
            key: "username",
            attached: "authorization_basic",
            reason: null,
            asksPermission: true,
            prompt: false,
        },
        {
            tokenId: "tok-p",
            prefix: DAVINCI,
            key: "password",
            attached: "authorization_basic",
            reason: null,
            asksPermission: false,
            prompt: true,
        },
    ],
    ignored: [
        {
            tokenId: "tok-x",
            prefix: DAVINCI,
            key: "X-Api-Key",
            attached: null,
            reason: "not a supported header key",
            asksPermission: false,
            prompt: false,
        },
    ],
};

const DECISIONS = [
    {
        id: "dec-1",
        tokenId: "tok-f",
        prefix: REPORTS,
        key: "apikey",
        url: "https://reports.example.org/q",
        decidedAt: NOW - 86400,
    },
];

const PREVIEW_URL = "https://graph.microsoft.com/v1.0/sites/menu";

const PREVIEW_REPORT = {
    status: 200,
    headers: [
        ["content-type", "application/json"],
        ["cache-control", "no-store"],
    ],
    body: {
        kind: "json",
        text: JSON.stringify({
            title: "Lobby menu",
            open: true,
            items: [
                { name: "Coffee", price: 2.5, note: null },
                { name: "Tea", price: 2, note: "green" },
            ],
        }),
    },
    size: 118,
    truncated: false,
    hops: [
        {
            method: "GET",
            url: `${PREVIEW_URL}?apikey=%E2%80%A2%E2%80%A2%E2%80%A2`,
            status: 302,
            credentials: [
                { source: "channel", id: "ch-1", key: null, placement: "authorization_bearer" },
                { source: "url_token", id: "tok-f", key: "apikey", placement: "query" },
            ],
            notSent: [
                {
                    source: "url_token",
                    id: "tok-u",
                    key: "username",
                    reason: "the channel's grant takes the Authorization header",
                },
            ],
        },
        {
            method: "GET",
            url: "https://cdn.example.net/menu.json",
            status: 200,
            credentials: [],
            notSent: [{ source: "channel", id: "ch-1", key: null, reason: "another origin" }],
        },
    ],
    channel: { channelId: "ch-1", accountLabel: "alice@example.com", grantExpiresAt: NOW + 900, error: null },
    timings: { connectMs: 18.2, ttfbMs: 96.5, totalMs: 141.3 },
    request: {
        method: "GET",
        url: `${PREVIEW_URL}?apikey=%E2%80%A2%E2%80%A2%E2%80%A2`,
        headers: [["authorization", "Bearer •••"]],
        body: null,
    },
    notes: ["form tokens were sent as query parameters because the request is a GET"],
};

const PREVIEW_HISTORY = [
    { id: 2, at: NOW - 120, method: "GET", url: PREVIEW_URL, status: 200, error: null, totalMs: 141.3 },
    {
        id: 1,
        at: NOW - 7200,
        method: "POST",
        url: "https://reports.example.org/q",
        status: null,
        error: "request_failed",
        totalMs: null,
    },
];

const MIME = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
    ".woff2": "font/woff2",
};

function startServer() {
    const server = createServer((req, res) => {
        const url = new URL(req.url ?? "/", "http://127.0.0.1");
        const relative = url.pathname === "/" ? "index.html" : decodeURIComponent(url.pathname).slice(1);
        const file = normalize(join(distDir, relative));
        if (!file.startsWith(distDir + sep) || !existsSync(file) || !statSync(file).isFile()) {
            res.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
            return;
        }
        res.writeHead(200, {
            "Content-Type": MIME[extname(file)] ?? "application/octet-stream",
            "Content-Security-Policy": CSP,
            "Cache-Control": "no-store",
        });
        createReadStream(file).pipe(res);
    });
    return new Promise((resolveServer, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolveServer(server));
    });
}

const IDENTITY = {
    name: "Ada",
    fingerprint: "3F2A-91C0-7B44-0E1D-C6A8",
    card: "lanyard://contact/eyJ2IjoxLCJuYW1lIjoiQWRhIn0.c2lnbmF0dXJl",
};
// A real 21×21 QR-sized SVG stands in for the backend's drawing.
const QR_SVG =
    '<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="210" height="210" viewBox="0 0 21 21">' +
    '<rect width="21" height="21" fill="#fff"/><path d="M0 0h7v7H0zM14 0h7v7h-7zM0 14h7v7H0z" fill="#000"/></svg>';
const OFFERS = [
    {
        id: "offer-1",
        direction: "incoming",
        contactName: "Grace",
        contactFingerprint: "0439-8999-C59F-41E3-931C",
        prefix: "https://feeds.example.com/v2/",
        key: "token",
        placement: "header",
        requiresPermission: true,
        status: "pending",
        createdAt: 1700000000,
        receivedAt: 1700000060,
        decidedAt: null,
    },
];

async function buildMockBundle() {
    const output = await build({
        configFile: false,
        logLevel: "warn",
        root: uiRoot,
        build: {
            write: false,
            minify: false,
            target: "es2021",
            lib: {
                entry: join(here, "mock-ipc.entry.js"),
                formats: ["iife"],
                name: "LanyardIpcMocks",
            },
        },
    });
    const result = Array.isArray(output) ? output[0] : output;
    if (!result || !("output" in result)) throw new Error("unexpected vite build output");
    const chunk = result.output.find((item) => item.type === "chunk");
    if (!chunk) throw new Error("mock bundle produced no chunk");
    return chunk.code;
}

const results = [];
async function check(name, fn) {
    try {
        await fn();
        results.push({ name, ok: true });
        console.log(`ok   - ${name}`);
    } catch (error) {
        results.push({ name, ok: false });
        console.log(
            `FAIL - ${name}\n       ${String(error?.stack ?? error)
                .split("\n")
                .join("\n       ")}`,
        );
    }
}

function assert(condition, message) {
    if (!condition) throw new Error(message);
}

function assertEqual(actual, expected, what) {
    if (actual !== expected) {
        throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
    }
}

async function main() {
    if (!existsSync(join(distDir, "index.html"))) {
        throw new Error(`${distDir}/index.html is missing: run \`npm run build\` first`);
    }
    mkdirSync(resultsDir, { recursive: true });

    const mockBundle = await buildMockBundle();
    const server = await startServer();
    const address = server.address();
    const origin = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;

    let browser;
    try {
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

        const context = await browser.newContext({
            viewport: { width: 1000, height: 680 },
            colorScheme: "light",
        });
        context.setDefaultTimeout(TIMEOUT_MS);

        const consoleErrors = [];
        const pageErrors = [];
        const failedRequests = [];
        const page = await context.newPage();
        page.on("console", (msg) => {
            if (msg.type() === "error" || msg.type() === "warning") {
                consoleErrors.push(`${msg.type()}: ${msg.text()}`);
            }
        });
        page.on("pageerror", (error) => pageErrors.push(String(error)));
        page.on("requestfailed", (req) => failedRequests.push(`${req.url()} ${req.failure()?.errorText}`));
        page.on("response", (res) => {
            if (res.status() >= 400) failedRequests.push(`${res.url()} HTTP ${res.status()}`);
        });

        // Record CSP violations, then install the IPC fixture and the mocks, in this order.
        await page.addInitScript({
            content: `
        window.__cspViolations = [];
        document.addEventListener("securitypolicyviolation", (e) => {
          window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
        });
        window.__LANYARD_TEST_IPC__ = ${JSON.stringify({
            status: STATUS,
            channels_list: CHANNELS,
            providers_list: PROVIDERS,
            players_list: PLAYERS,
            links_list: LINKS,
            audit_list: AUDIT,
            tokens_list: TOKENS,
            token_links_list: [{ principalId: "license", tokenId: "tok-f", createdAt: 1700000000 }],
            decisions_list: DECISIONS,
            token_match: MATCH_REPORT,
            prompt_answer: null,
            preview_send: PREVIEW_REPORT,
            preview_history: PREVIEW_HISTORY,
            preview_history_clear: null,
            reminders_get: { reminders: [], nextCheckAt: null, soonDays: 3, imminentDays: 1, pausedUntil: null },
            autostart_get: false,
            gateway_get: { enabled: false, listen: "127.0.0.1:7443", corsOrigins: [], url: null, error: null },
            identity_show: IDENTITY,
            qr_code: QR_SVG,
            contacts_list: [],
            offers_list: OFFERS,
            offers_pending: 1,
            incoming_take: { card: null, error: null, providerFile: null },
        })};
      `,
        });
        await page.addInitScript({ content: mockBundle });

        await check("Settings page loads and shows the data directory", async () => {
            await page.goto(`${origin}/#/settings`);
            await page.getByText(STATUS.dataDir, { exact: true }).waitFor();
            assertEqual(await page.locator("h1").textContent(), "Settings", "page heading");
            assertEqual(await page.title(), "Settings · Lanyard", "document title");
        });

        await check("Settings shows backend, health, schema version and database file", async () => {
            assertEqual(await page.getByTestId("secret-store-backend").textContent(), "File", "backend");
            assertEqual(await page.getByTestId("secret-store-health").textContent(), "Ready", "health badge");
            assertEqual(await page.getByTestId("schema-version").textContent(), "7", "schema version");
            assertEqual(await page.getByTestId("database-path").textContent(), STATUS.databasePath, "database");
            assertEqual(await page.getByTestId("app-version").textContent(), "0.1.0-test", "version");
        });

        await check("Settings shows the secret store warning", async () => {
            const warning = page.getByTestId("secret-store-warning");
            assert(await warning.isVisible(), "warning is not visible");
            const text = (await warning.textContent()) ?? "";
            assert(text.includes(STATUS.secretStore.warning), `warning text was ${JSON.stringify(text)}`);
        });

        await check(
            "Sidebar footer speaks only when the secret store needs attention (a file store warns)",
            async () => {
                const footer = page.getByTestId("secrets-status");
                await footer.waitFor();
                assertEqual((await footer.textContent())?.trim(), "Passwords and keys: File (see Settings)", "footer");
            },
        );

        await check("Settings shows the providers section", async () => {
            const section = page.getByTestId("providers");
            await section.getByText("Contoso Microsoft 365", { exact: true }).waitFor();
            assertEqual(
                await section.getByTestId("provider").count(),
                PROVIDERS.filter((p) => !p.builtin).length,
                "provider rows (yours only)",
            );
            const text = (await section.textContent()) ?? "";
            assert(text.includes(PROVIDERS[3].clientId), "the user provider's client id is not shown");
            assert(text.includes("Loopback"), "the user provider's redirect style is not shown");
            assert(
                await page.getByRole("button", { name: "Remove Contoso Microsoft 365" }).isVisible(),
                "no Remove button for the user provider",
            );
            await page.getByRole("button", { name: "Set up a service" }).click();
            assert(await page.getByRole("button", { name: "Add provider" }).isVisible(), "no Add provider button");
            assert(await page.getByTestId("template-redirect-uri").isVisible(), "no redirect address to register");
            await section.screenshot({ path: join(resultsDir, "providers.png") });
        });

        await check("Styles are applied from the built stylesheet", async () => {
            const sidebarWidth = await page.locator("aside").evaluate((el) => getComputedStyle(el).width);
            assertEqual(sidebarWidth, "220px", "sidebar width");
        });

        await check("Navigating to Accounts and back to Settings", async () => {
            await page.getByRole("link", { name: /^Accounts/ }).click();
            await page.locator("h1", { hasText: "Accounts" }).waitFor();
            assertEqual(await page.getByTestId("reauth-badge").textContent(), "1", "re-authorization badge");
            assert(page.url().endsWith("#/channels"), `url was ${page.url()}`);
            const channel = page.getByTestId("channel");
            await channel.waitFor();
            assertEqual(await channel.count(), 1, "channel rows");
            const text = (await channel.textContent()) ?? "";
            assert(text.includes("alice@example.com"), `channel text was ${JSON.stringify(text)}`);
            assert(text.includes("Contoso Microsoft 365"), "provider name missing");
            assert(text.includes("in 5 days"), `due date missing: ${JSON.stringify(text)}`);
            assert(text.includes(CHANNELS[0].lastError), "last error missing");
            assertEqual(await channel.getByTestId("channel-status").textContent(), "Sign in again", "status badge");
            assertEqual(await page.getByText("Not available in this build yet.").count(), 0, "coming-soon note");
            await channel.getByTestId("channel-linked").waitFor();
            assertEqual(
                (await channel.getByTestId("channel-linked").textContent())?.replace(/\s+/g, " ").trim(),
                "Used by: This desktop, Lobby screen",
                "linked principals",
            );
            assert(await page.getByRole("button", { name: "Connect account" }).isVisible(), "no Connect button");

            await page.getByRole("button", { name: "Connect account" }).click();
            await page.getByRole("heading", { name: "Connect an account" }).waitFor();
            assert(
                await page.getByRole("button", { name: "Contoso Microsoft 365" }).isVisible(),
                "the usable provider is not offered",
            );
            await page.getByRole("button", { name: "Close" }).click();

            await page.getByRole("button", { name: "Disconnect alice@example.com" }).click();
            const dialog = page.getByRole("dialog");
            await dialog.waitFor();
            const warning = (await dialog.textContent()) ?? "";
            assert(warning.includes("loses access to its data at once"), "dialog text");
            await page.screenshot({ path: join(resultsDir, "channels.png"), fullPage: true });
            await dialog.getByRole("button", { name: "Keep account" }).click();
            await dialog.waitFor({ state: "detached" });

            await page.getByRole("link", { name: "Settings", exact: true }).click();
            await page.locator("h1", { hasText: "Settings" }).waitFor();
            await page.getByText(STATUS.dataDir, { exact: true }).waitFor();
            assert(page.url().endsWith("#/settings"), `url was ${page.url()}`);
        });

        await check("Players page shows the link matrix and the audit", async () => {
            await page.getByRole("link", { name: "Players" }).click();
            await page.locator("h1", { hasText: "Players" }).waitFor();
            assertEqual(await page.title(), "Players · Lanyard", "document title");
            const matrix = page.getByTestId("link-matrix");
            await matrix.waitFor();
            assertEqual(await page.getByTestId("principal-row").count(), 2, "principal rows");
            const rows = page.getByTestId("principal-row");
            assert(((await rows.nth(0).textContent()) ?? "").includes("This desktop"), "license row");
            assert(((await rows.nth(0).textContent()) ?? "").includes("last used 5 minutes ago"), "last used");
            assert(((await rows.nth(1).textContent()) ?? "").includes("LOBBY-0001"), "player serial");
            assertEqual(await matrix.getByRole("checkbox", { name: /^Allow / }).count(), 2, "channel checkboxes");
            // URL tokens as columns: one checkbox per principal and token.
            assertEqual(await page.getByTestId("token-column").count(), TOKENS.length, "token columns");
            assert(
                await page
                    .getByRole("checkbox", { name: "Let This desktop use URL token apikey for " + REPORTS })
                    .isChecked(),
                "the license's token link is not shown",
            );
            assert(
                await page
                    .getByRole("checkbox", { name: "Let Lobby screen use URL token password for " + DAVINCI })
                    .isDisabled(),
                "a prompt token is offered to a player",
            );
            assert(
                await page.getByRole("checkbox", { name: "Allow This desktop to use alice@example.com" }).isChecked(),
                "the license is not shown as linked",
            );
            assert(
                await page.getByRole("checkbox", { name: "Allow Lobby screen to use alice@example.com" }).isChecked(),
                "the player is not shown as linked",
            );
            assertEqual(await rows.nth(0).getByRole("button").count(), 0, "license Remove button");
            assert(
                await page.getByRole("button", { name: "Remove Lobby screen" }).isVisible(),
                "no Remove button for the player",
            );

            const audit = page.getByTestId("audit-table");
            await audit.waitFor();
            assertEqual(await page.getByTestId("audit-row").count(), 2, "audit rows");
            const first = (await page.getByTestId("audit-row").nth(0).textContent()) ?? "";
            assert(first.includes("This desktop") && first.includes("alice@example.com"), `row: ${first}`);
            const second = (await page.getByTestId("audit-row").nth(1).textContent()) ?? "";
            assert(second.includes("Denied") && second.includes("pl-9"), `row: ${second}`);
            assert(second.includes("not linked to this channel"), "detail missing");

            await page.getByTestId("audit").getByLabel("Period").selectOption("hour");
            await page.waitForFunction(
                () => window.__LANYARD_TEST_CALLS__.filter((c) => c.cmd === "audit_list").length >= 2,
            );
            const audits = await page.evaluate(() =>
                window.__LANYARD_TEST_CALLS__.filter((c) => c.cmd === "audit_list").map((c) => c.args),
            );
            const last = audits[audits.length - 1];
            assertEqual(last.channelId, null, "audit channel filter");
            assert(Math.abs(last.since - (Math.floor(Date.now() / 1000) - 3600)) < 60, `since was ${last.since}`);

            // The content pane scrolls by itself: make the window tall enough to show the audit too.
            await page.setViewportSize({ width: 1000, height: 1200 });
            await page.screenshot({ path: join(resultsDir, "players.png"), fullPage: true });
            await page.setViewportSize({ width: 1000, height: 680 });
            assert(statSync(join(resultsDir, "players.png")).size > 1000, "players screenshot is suspiciously small");
            await page.getByRole("link", { name: "Settings", exact: true }).click();
            await page.getByText(STATUS.dataDir, { exact: true }).waitFor();
        });

        await check("URL tokens page shows groups, tests a URL and answers a permission question", async () => {
            await page.getByRole("link", { name: "URL tokens" }).click();
            await page.locator("h1", { hasText: "URL tokens" }).waitFor();
            assertEqual(await page.title(), "URL tokens · Lanyard", "document title");
            await page.getByTestId("token-group").first().waitFor();
            assertEqual(await page.getByTestId("token-group").count(), 2, "prefix groups");
            assertEqual(await page.getByTestId("token").count(), TOKENS.length, "token rows");
            const headings = await page.getByTestId("token-group").locator("h3").allTextContents();
            assertEqual(JSON.stringify(headings), JSON.stringify([DAVINCI, REPORTS]), "group headings");
            const listText = (await page.getByTestId("token-group").nth(1).textContent()) ?? "";
            assert(listText.includes("Received"), "received badge missing");
            assert(listText.includes("X-Api-Key is ignored"), "warning missing");
            assertEqual(await page.getByTestId("decision").count(), 1, "decisions");

            await page.getByLabel("URL to test").fill(MATCH_REPORT.url);
            await page.getByLabel("Method").selectOption("POST");
            await page.getByRole("button", { name: "Test", exact: true }).click();
            await page.getByTestId("match-report").waitFor();
            assertEqual(await page.getByTestId("match-attached").count(), 2, "attached lines");
            const attached = (await page.getByTestId("match-attached").nth(0).textContent()) ?? "";
            assert(attached.includes("Authorization: Basic (user name, with password)"), `attached: ${attached}`);
            const ignored = (await page.getByTestId("match-ignored").nth(0).textContent()) ?? "";
            assert(ignored.includes("not a supported header key"), `ignored: ${ignored}`);
            const match = await page.evaluate(() =>
                window.__LANYARD_TEST_CALLS__.filter((c) => c.cmd === "token_match").map((c) => c.args),
            );
            assertEqual(
                JSON.stringify(match),
                JSON.stringify([{ url: MATCH_REPORT.url, method: "POST" }]),
                "token_match",
            );

            await page.setViewportSize({ width: 1000, height: 1600 });
            await page.screenshot({ path: join(resultsDir, "url-tokens.png"), fullPage: true });
            await page.setViewportSize({ width: 1000, height: 680 });
            assert(
                statSync(join(resultsDir, "url-tokens.png")).size > 1000,
                "url-tokens screenshot is suspiciously small",
            );

            await page.evaluate(() =>
                window.__LANYARD_TEST_EMIT__("prompt-request", {
                    kind: "permission",
                    id: "q-1",
                    origin: "davinci.example.com",
                    url: "https://davinci.example.com/api/data",
                    method: "GET",
                    tokens: [{ tokenId: "tok-u", prefix: "https://davinci.example.com/api/", key: "username" }],
                }),
            );
            const dialog = page.getByRole("dialog");
            await dialog.waitFor();
            const question = (await dialog.textContent()) ?? "";
            assert(question.includes("Send your tokens to davinci.example.com?"), `dialog: ${question}`);
            assert(question.includes("username"), "token key missing from the question");
            await page.screenshot({ path: join(resultsDir, "permission-dialog.png") });
            await dialog.getByRole("button", { name: "Accept all" }).click();
            await dialog.waitFor({ state: "detached" });
            const answers = await page.evaluate(() =>
                window.__LANYARD_TEST_CALLS__.filter((c) => c.cmd === "prompt_answer").map((c) => c.args),
            );
            assertEqual(
                JSON.stringify(answers),
                JSON.stringify([{ id: "q-1", reply: { kind: "permission", answer: "accept_all" } }]),
                "prompt_answer",
            );

            await page.getByRole("link", { name: "Settings", exact: true }).click();
            await page.getByText(STATUS.dataDir, { exact: true }).waitFor();
        });

        await check("Preview sends on Enter and shows status, JSON tree and credentials", async () => {
            await page.getByRole("link", { name: "Preview" }).click();
            await page.locator("h1", { hasText: "Preview" }).waitFor();
            assertEqual(await page.title(), "Preview · Lanyard", "document title");
            await page.getByTestId("history-entry").first().waitFor();
            assertEqual(await page.getByTestId("history-entry").count(), 2, "history entries");

            const url = page.getByLabel("URL", { exact: true });
            await url.fill(PREVIEW_URL);
            await url.press("Enter");
            await page.getByTestId("preview-status").waitFor();
            assertEqual(await page.getByTestId("preview-status").textContent(), "200", "status");
            const sends = await page.evaluate(() =>
                window.__LANYARD_TEST_CALLS__.filter((c) => c.cmd === "preview_send").map((c) => c.args),
            );
            assertEqual(
                JSON.stringify(sends),
                JSON.stringify([
                    {
                        input: {
                            url: PREVIEW_URL,
                            method: "GET",
                            headers: [],
                            body: null,
                            channelId: null,
                            asPrincipal: "license",
                        },
                    },
                ]),
                "preview_send",
            );

            const tree = page.getByTestId("json-tree");
            await tree.waitFor();
            const treeText = (await tree.textContent()) ?? "";
            assert(treeText.includes('"Lobby menu"') && treeText.includes("2 items"), `tree: ${treeText}`);
            await tree.getByRole("button", { name: "Collapse items" }).click();
            assert(!((await tree.textContent()) ?? "").includes('"Coffee"'), "items did not collapse");
            await tree.getByRole("button", { name: "Expand items" }).click();

            assertEqual(await page.getByTestId("hop").count(), 2, "hops");
            const creds = (await page.getByTestId("credential").allTextContents()).map((t) =>
                t.replace(/\s+/g, " ").trim(),
            );
            assertEqual(
                JSON.stringify(creds),
                JSON.stringify([
                    "Account alice@example.com → Authorization: Bearer",
                    "URL token apikey → query parameter",
                ]),
                "credentials",
            );
            assertEqual(await page.getByTestId("not-sent").count(), 2, "not-sent lines");
            const bars = await page.getByTestId("timings").locator("rect.fill").count();
            assertEqual(bars, 3, "timing bars");

            await page.setViewportSize({ width: 1000, height: 1700 });
            await page.screenshot({ path: join(resultsDir, "preview.png"), fullPage: true });
            await page.setViewportSize({ width: 1000, height: 680 });
            assert(statSync(join(resultsDir, "preview.png")).size > 1000, "preview screenshot is suspiciously small");

            await page.getByRole("link", { name: "Settings", exact: true }).click();
            await page.getByText(STATUS.dataDir, { exact: true }).waitFor();
        });

        await check("Shared with me shows the badge and the waiting offer; Contacts draws the QR code", async () => {
            await page.goto(`${origin}/#/token-requests`);
            assertEqual(await page.getByTestId("requests-badge").textContent(), "1", "badge");
            const offer = page.getByTestId("offer");
            await offer.waitFor();
            const text = await offer.textContent();
            assert(text.includes("Grace") && text.includes("Authorization: Bearer"), `offer row: ${text}`);
            await page.getByRole("link", { name: "Contacts" }).click();
            const qr = page.getByTestId("qr-code");
            await qr.waitFor();
            const size = await qr.evaluate((img) => ({ w: img.naturalWidth, done: img.complete }));
            assert(size.done && size.w > 0, `the QR image did not load: ${JSON.stringify(size)}`);
            assertEqual(await page.getByTestId("my-fingerprint").textContent(), IDENTITY.fingerprint, "fingerprint");
            await page.screenshot({ path: join(resultsDir, "contacts.png"), fullPage: true });
        });

        await check("Screenshot saved", async () => {
            const path = join(resultsDir, "settings.png");
            await page.screenshot({ path, fullPage: true });
            assert(statSync(path).size > 1000, "screenshot is suspiciously small");
        });

        for (const theme of ["light", "dark"]) {
            await check(
                `Accessibility (axe-core): no serious or critical violation on any page, ${theme} theme`,
                async () => {
                    await page.emulateMedia({ colorScheme: theme });
                    const found = [];
                    for (const id of PAGES) {
                        await page.goto(`${origin}/#/${id}`);
                        await page.locator("h1").waitFor();
                        // Let the page's data arrive (the mocks answer at once) and transitions end.
                        await page.waitForTimeout(300);
                        if (!(await page.evaluate(() => typeof window.axe === "object")))
                            await page.evaluate(AXE_SOURCE);
                        const violations = await page.evaluate(async () => {
                            const result = await window.axe.run(document, { resultTypes: ["violations"] });
                            return result.violations
                                .filter((v) => v.impact === "serious" || v.impact === "critical")
                                .map(
                                    (v) =>
                                        `${v.id} (${v.impact}): ${v.nodes
                                            .slice(0, 3)
                                            .map((n) => n.target.join(" "))
                                            .join(" | ")}`,
                                );
                        });
                        found.push(...violations.map((v) => `#/${id}: ${v}`));
                        if (theme === "dark" && id === "channels") {
                            await page.screenshot({ path: join(resultsDir, "channels-dark.png"), fullPage: true });
                        }
                    }
                    await page.emulateMedia({ colorScheme: "light" });
                    assert(found.length === 0, `violations:\n  ${found.join("\n  ")}`);
                },
            );
        }

        await check("No console errors, page errors, failed requests or CSP violations", async () => {
            const violations = await page.evaluate(() => window.__cspViolations);
            const problems = [
                ...consoleErrors,
                ...pageErrors.map((e) => `pageerror: ${e}`),
                ...failedRequests.map((r) => `request: ${r}`),
                ...violations.map((v) => `csp: ${v}`),
            ];
            assert(problems.length === 0, `problems:\n  ${problems.join("\n  ")}`);
        });

        await check("CSP is really enforced (canary inline style is blocked)", async () => {
            const canary = await context.newPage();
            await canary.goto(`${origin}/#/channels`);
            await canary.locator("h1").waitFor();
            const blocked = await canary.evaluate(
                () =>
                    new Promise((resolveCanary) => {
                        document.addEventListener("securitypolicyviolation", () => resolveCanary(true), { once: true });
                        const style = document.createElement("style");
                        style.textContent = "body { color: red; }";
                        document.head.append(style);
                        setTimeout(() => resolveCanary(false), 2000);
                    }),
            );
            await canary.close();
            assert(blocked === true, "an inline <style> was not reported as a CSP violation");
        });

        await check(
            "The start-up skeleton: painted without any script (sidebar shape, both themes), gone once the app renders",
            async () => {
                // What the window shows before the app's script has run (the first paint, issue #18).
                for (const colorScheme of ["light", "dark"]) {
                    const bare = await browser.newContext({
                        viewport: { width: 1000, height: 680 },
                        colorScheme,
                        javaScriptEnabled: false,
                    });
                    const before = await bare.newPage();
                    await before.goto(`${origin}/#/channels`);
                    const boot = before.locator("#boot");
                    await boot.waitFor({ state: "visible" });
                    assert((await boot.textContent()).includes("Opening Lanyard"), "the skeleton says nothing");
                    const shape = await before.evaluate(() => {
                        const side = document.querySelector(".boot-sidebar");
                        // Inline SVG (an <img> would hold the load event, and the window's showing).
                        const logo = document.querySelector(".boot-brand svg");
                        return {
                            width: side ? side.getBoundingClientRect().width : 0,
                            background: side ? getComputedStyle(side).backgroundColor : "",
                            body: getComputedStyle(document.body).backgroundColor,
                            logo: logo
                                ? logo.getBoundingClientRect().width === 28 &&
                                  logo.querySelectorAll("path, rect").length > 0
                                : false,
                        };
                    });
                    assertEqual(shape.width, 220, `skeleton sidebar width (${colorScheme})`);
                    assert(shape.logo, `the skeleton's logo is not drawn (${colorScheme})`);
                    assert(
                        shape.background !== shape.body,
                        `the skeleton sidebar has no colour of its own (${colorScheme}): ${shape.background}`,
                    );
                    await bare.close();
                }
                // With the script, the app replaces it: one sidebar, no skeleton left behind.
                assertEqual(await page.locator("#boot").count(), 0, "skeleton elements left after the app rendered");
                assertEqual(await page.locator("aside.sidebar").count(), 1, "sidebars");
            },
        );

        await context.close();
    } finally {
        await browser?.close();
        server.closeAllConnections();
        await new Promise((done) => server.close(() => done()));
    }
}

setTimeout(() => {
    console.log("FAIL - browser test timed out after 120 s");
    console.log(`${results.filter((r) => r.ok).length} passed, ${results.filter((r) => !r.ok).length + 1} failed`);
    process.exit(1);
}, 120_000);

try {
    await main();
} catch (error) {
    results.push({ name: "setup", ok: false });
    console.log(`FAIL - setup\n       ${String(error?.stack ?? error)}`);
}

const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);

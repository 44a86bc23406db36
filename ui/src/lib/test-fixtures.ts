import { mockIPC } from "@tauri-apps/api/mocks";
import type { AuditEventDto } from "./bindings/AuditEventDto";
import type { ChannelDto } from "./bindings/ChannelDto";
import type { LinkDto } from "./bindings/LinkDto";
import type { PrincipalDto } from "./bindings/PrincipalDto";
import type { GatewayDto } from "./bindings/GatewayDto";
import type { ProviderDto } from "./bindings/ProviderDto";
import type { StatusDto } from "./bindings/StatusDto";
import type { DecisionDto } from "./bindings/DecisionDto";
import type { MatchLineDto } from "./bindings/MatchLineDto";
import type { UrlTokenDto } from "./bindings/UrlTokenDto";
import type { HistoryEntryDto } from "./bindings/HistoryEntryDto";
import type { PreviewReportDto } from "./bindings/PreviewReportDto";
import type { RemindersDto } from "./bindings/RemindersDto";
import type { ContactDto } from "./bindings/ContactDto";
import type { IdentityDto } from "./bindings/IdentityDto";
import type { OfferDto } from "./bindings/OfferDto";

export function makeStatus(overrides: Partial<StatusDto> = {}): StatusDto {
  return {
    version: "0.1.0",
    dataDir: "/home/ada/.local/share/lanyard",
    databasePath: "/home/ada/.local/share/lanyard/lanyard.sqlite3",
    databaseBackend: "sqlite",
    schemaVersion: 3,
    secretStore: {
      backend: "keyring",
      usable: true,
      detail: "Secret Service (GNOME Keyring)",
      warning: null,
    },
    environment: [],
    unsavedMasterTokens: [],
    ...overrides,
  };
}

export function makeChannel(overrides: Partial<ChannelDto> = {}): ChannelDto {
  return {
    id: "ch-1",
    providerId: "prov-ms",
    providerName: "Contoso Microsoft 365",
    accountLabel: "alice@example.com",
    status: "active",
    scopes: ["openid", "offline_access"],
    connectedAt: 1_700_000_000,
    lastRefreshedAt: null,
    reauthDueAt: null,
    lastError: null,
    handout: "proxy",
    accessTokenExpiresAt: null,
    ...overrides,
  };
}

export function makeProvider(overrides: Partial<ProviderDto> = {}): ProviderDto {
  return {
    id: "prov-ms",
    kind: "microsoft",
    name: "Contoso Microsoft 365",
    builtin: false,
    issuer: "https://login.microsoftonline.com/contoso/v2.0",
    authorizationEndpoint: "https://login.microsoftonline.com/contoso/oauth2/v2.0/authorize",
    clientId: "11111111-2222-3333-4444-555555555555",
    hasClientSecret: false,
    redirectStyle: "deep_link",
    apiBaseUrls: ["https://graph.microsoft.com"],
    reauthDays: 14,
    loopbackPort: null,
    registration: {
      redirectUri: "app.lanyard.desktop://oauth/callback",
      registerAt: "Microsoft Entra admin center → App registrations → Mobile and desktop applications",
      notes: ["No client secret: Lanyard is a public client with PKCE."],
    },
    ...overrides,
  };
}

/** The built-in templates, as `providers_list` returns them (no client id). */
export function makeTemplates(): ProviderDto[] {
  return (["microsoft", "google", "dropbox"] as const).map((kind) =>
    makeProvider({
      id: `builtin-${kind}`,
      kind,
      name: { microsoft: "Microsoft 365", google: "Google", dropbox: "Dropbox" }[kind],
      builtin: true,
      clientId: null,
      apiBaseUrls: [],
      reauthDays: null,
      redirectStyle: kind === "dropbox" ? "loopback" : "deep_link",
      registration: {
        redirectUri: {
          microsoft: "app.lanyard.desktop://oauth/callback",
          google: "http://127.0.0.1/callback",
          dropbox: "http://127.0.0.1:<port>/callback",
        }[kind],
        registerAt: `the ${kind} console`,
        notes: [],
      },
    }),
  );
}

/** The desktop license, as `players_list` returns it first. */
export function makeLicense(overrides: Partial<PrincipalDto> = {}): PrincipalDto {
  return {
    id: "license",
    kind: "license",
    name: "Desktop license",
    serial: null,
    createdAt: 1_700_000_000,
    lastSeenAt: null,
    ...overrides,
  };
}

export function makePlayer(overrides: Partial<PrincipalDto> = {}): PrincipalDto {
  return {
    id: "pl-1",
    kind: "player",
    name: "Lobby screen",
    serial: "LOBBY-0001",
    createdAt: 1_700_000_100,
    lastSeenAt: null,
    ...overrides,
  };
}

export function makeLink(overrides: Partial<LinkDto> = {}): LinkDto {
  return {
    principalId: "pl-1",
    principalName: "Lobby screen",
    channelId: "ch-1",
    channelLabel: "alice@example.com",
    createdAt: 1_700_000_200,
    ...overrides,
  };
}

export function makeAuditEvent(overrides: Partial<AuditEventDto> = {}): AuditEventDto {
  return {
    id: 1,
    at: 1_700_000_300,
    principalId: "pl-1",
    action: "grant",
    subjectKind: "channel",
    subjectId: "ch-1",
    outcome: "ok",
    detail: null,
    ...overrides,
  };
}

export function makeToken(overrides: Partial<UrlTokenDto> = {}): UrlTokenDto {
  return {
    id: "tok-1",
    prefix: "https://davinci.example.com/api/",
    key: "token",
    placement: "header",
    requiresPermission: false,
    prompt: false,
    origin: "own",
    viewable: true,
    receivedFrom: null,
    warning: null,
    updatedAt: 1_700_000_400,
    ...overrides,
  };
}

export function makeDecision(overrides: Partial<DecisionDto> = {}): DecisionDto {
  return {
    id: "dec-1",
    tokenId: "tok-1",
    prefix: "https://davinci.example.com/api/",
    key: "token",
    url: "https://davinci.example.com/api/data",
    decidedAt: 1_700_000_500,
    ...overrides,
  };
}

export function makeMatchLine(overrides: Partial<MatchLineDto> = {}): MatchLineDto {
  return {
    tokenId: "tok-1",
    prefix: "https://davinci.example.com/api/",
    key: "token",
    attached: "authorization_bearer",
    reason: null,
    asksPermission: false,
    prompt: false,
    ...overrides,
  };
}

export const PREVIEW_JSON = JSON.stringify({
  title: "Lobby menu",
  open: true,
  items: [
    { name: "Coffee", price: 2.5, note: null },
    { name: "Tea", price: 2, note: "green" },
  ],
});

/**
 * A preview of a Graph URL that redirects to a CDN: hop 1 carries the channel grant and a
 * query token (a Basic token is not sent), hop 2 is on another origin and carries nothing.
 */
export function makePreviewReport(overrides: Partial<PreviewReportDto> = {}): PreviewReportDto {
  return {
    status: 200,
    headers: [
      ["content-type", "application/json"],
      ["content-length", "140"],
    ],
    body: { kind: "json", text: PREVIEW_JSON },
    size: 140,
    truncated: false,
    hops: [
      {
        method: "GET",
        url: "https://graph.microsoft.com/v1.0/sites/menu?apikey=%E2%80%A2%E2%80%A2%E2%80%A2",
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
    channel: { channelId: "ch-1", accountLabel: "alice@example.com", grantExpiresAt: 1_700_000_900, error: null },
    timings: { connectMs: 12.4, ttfbMs: 80.2, totalMs: 120.7 },
    request: {
      method: "GET",
      url: "https://graph.microsoft.com/v1.0/sites/menu?apikey=%E2%80%A2%E2%80%A2%E2%80%A2",
      headers: [["authorization", "Bearer •••"]],
      body: null,
    },
    notes: ["form tokens were sent as query parameters because the request is a GET"],
    ...overrides,
  };
}

export function makeHistoryEntry(overrides: Partial<HistoryEntryDto> = {}): HistoryEntryDto {
  return {
    id: 1,
    at: Math.floor(Date.now() / 1000) - 120,
    method: "GET",
    url: "https://graph.microsoft.com/v1.0/sites/menu",
    status: 200,
    error: null,
    totalMs: 120.7,
    ...overrides,
  };
}

export function makeReminders(overrides: Partial<RemindersDto> = {}): RemindersDto {
  return {
    reminders: [],
    nextCheckAt: null,
    soonDays: 3,
    imminentDays: 1,
    pausedUntil: null,
    ...overrides,
  };
}

/** The app's gateway as `gateway_get` returns it by default: off. */
export function makeGateway(overrides: Partial<GatewayDto> = {}): GatewayDto {
  return { enabled: false, listen: "127.0.0.1:7443", corsOrigins: [], url: null, error: null, ...overrides };
}

export function makeIdentity(overrides: Partial<IdentityDto> = {}): IdentityDto {
  return {
    name: "Ada",
    fingerprint: "3F2A-91C0-7B44-0E1D-C6A8",
    card: "lanyard://contact/eyJ2IjoxfQ.c2ln",
    ...overrides,
  };
}

export function makeContact(overrides: Partial<ContactDto> = {}): ContactDto {
  return {
    id: "contact-1",
    name: "Grace",
    fingerprint: "0439-8999-C59F-41E3-931C",
    createdAt: 1_700_000_000,
    ...overrides,
  };
}

export function makeOffer(overrides: Partial<OfferDto> = {}): OfferDto {
  return {
    id: "offer-1",
    direction: "incoming",
    contactName: "Grace",
    contactFingerprint: "0439-8999-C59F-41E3-931C",
    prefix: "https://feeds.example.com/v2/",
    key: "token",
    placement: "header",
    requiresPermission: true,
    status: "pending",
    createdAt: 1_700_000_000,
    receivedAt: 1_700_000_060,
    decidedAt: null,
    ...overrides,
  };
}

/** A tiny SVG standing in for the backend's QR code. */
export const QR_SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect width="1" height="1"/></svg>';

export type IpcHandlers = Record<string, (args: Record<string, unknown>) => unknown>;

/**
 * A `mockIPC` handler answering by command: `status` and empty lists by default,
 * overridden per test; unknown commands reject like a missing command.
 */
export function ipcRoutes(handlers: IpcHandlers = {}) {
  const defaults: IpcHandlers = {
    status: () => makeStatus(),
    channels_list: () => [],
    providers_list: () => makeTemplates(),
    players_list: () => [makeLicense()],
    links_list: () => [],
    token_links_list: () => [],
    audit_list: () => [],
    tokens_list: () => [],
    decisions_list: () => [],
    preview_history: () => [],
    reminders_get: () => makeReminders(),
    health_get: () => ({ moments: [], subjects: [] }),
    autostart_get: () => false,
    gateway_get: () => makeGateway(),
    feeds_list: () => [],
    feed_gateway_get: () => ({ url: "http://127.0.0.1:7443", source: "default" }),
    contacts_list: () => [],
    offers_list: () => [],
    offers_pending: () => 0,
    incoming_take: () => ({ card: null, error: null, providerFile: null }),
    identity_show: () => makeIdentity(),
    qr_code: () => QR_SVG,
    autostart_set: (args) => Boolean((args as { enabled?: boolean } | undefined)?.enabled),
  };
  const all = { ...defaults, ...handlers };
  return (cmd: string, args?: unknown): unknown => {
    const handler = all[cmd];
    if (!handler) throw { code: "not_mocked", message: `command ${cmd} is not mocked` };
    return handler((args ?? {}) as Record<string, unknown>);
  };
}

/** One IPC call a test made. */
export type IpcCall = { cmd: string; args: Record<string, unknown> };

/**
 * Mocks the IPC with `ipcRoutes(handlers)` and records every call; `of(cmd)` gives the
 * calls of one command.
 */
export function mockRecording(handlers: IpcHandlers = {}, options: { shouldMockEvents?: boolean } = {}) {
  const calls: IpcCall[] = [];
  const routes = ipcRoutes(handlers);
  mockIPC((cmd, args) => {
    calls.push({ cmd, args: (args ?? {}) as Record<string, unknown> });
    return routes(cmd, args);
  }, options);
  return { calls, of: (cmd: string) => calls.filter((call) => call.cmd === cmd) };
}

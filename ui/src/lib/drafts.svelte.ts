// Page state that outlives the page. Pages are created anew on every visit; what the user
// typed or fetched lives here, above them, so that switching pages and coming back finds
// it again: the preview request and its response, a half-filled URL-token form, an open
// provider form. Each page copies its draft in when it mounts and writes changes back
// (`$effect`); other pages and the first-run checklist fill a draft before navigating there
// (e.g. "Preview" on a token row, "Add a URL token for this address" after a 401).
import type { PreviewReportDto } from "./bindings/PreviewReportDto";
import type { IpcError } from "./bindings/IpcError";
import type { Placement } from "./bindings/Placement";
import type { Preset } from "./presets";
import { hrefFor, type RouteId } from "./routes";

export interface PreviewDraft {
  method: string;
  url: string;
  channelId: string;
  headers: { name: string; value: string }[];
  body: string;
  asPrincipal: string;
  report: PreviewReportDto | null;
  stale: boolean;
  sendError: IpcError | null;
  tab: string;
}

export interface TokenDraft {
  preset: Preset;
  prefix: string;
  key: string;
  placement: Placement;
  requiresPermission: boolean;
  prompt: boolean;
  /** Never a saved token's value: only what is being typed into a new one. */
  value: string;
  username: string;
}

export interface ProviderDraft {
  open: boolean;
  mode: "template" | "discovery" | "manual";
  template: string;
  tenant: string;
  discoveryUrl: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  revocationEndpoint: string;
  userinfoEndpoint: string;
  name: string;
  clientId: string;
  redirectStyle: string;
  scopes: string;
  apiBaseUrls: string;
  reauthDays: number | null;
  loopbackPort: number | null;
  clientSecretExpiresAt: string;
  advanced: boolean;
}

export function emptyPreview(): PreviewDraft {
  return {
    method: "GET",
    url: "",
    channelId: "",
    headers: [],
    body: "",
    asPrincipal: "license",
    report: null,
    stale: false,
    sendError: null,
    tab: "body",
  };
}

export function emptyToken(): TokenDraft {
  return {
    preset: "query",
    prefix: "",
    key: "",
    placement: "form",
    requiresPermission: false,
    prompt: false,
    value: "",
    username: "",
  };
}

export function emptyProvider(): ProviderDraft {
  return {
    open: false,
    mode: "template",
    template: "microsoft",
    tenant: "",
    discoveryUrl: "",
    authorizationEndpoint: "",
    tokenEndpoint: "",
    revocationEndpoint: "",
    userinfoEndpoint: "",
    name: "",
    clientId: "",
    redirectStyle: "",
    scopes: "",
    apiBaseUrls: "",
    reauthDays: null,
    loopbackPort: null,
    clientSecretExpiresAt: "",
    advanced: false,
  };
}

/** What a page should open when it next mounts (a checklist step, a link from another page). */
export type Intent = "connect" | "add-player" | "add-token" | "add-provider" | "send-preview" | null;

export const drafts: {
  preview: PreviewDraft;
  token: TokenDraft;
  provider: ProviderDraft;
  intent: Intent;
} = {
  preview: emptyPreview(),
  token: emptyToken(),
  provider: emptyProvider(),
  intent: null,
};

/** Takes (and clears) the intent when it is the one the page handles. */
export function takeIntent(wanted: Exclude<Intent, null>): boolean {
  if (drafts.intent !== wanted) return false;
  drafts.intent = null;
  return true;
}

/** Bumped by every `go`, so a page that is already open can take a new intent. */
export const intentSignal = $state({ n: 0 });

export function go(route: RouteId, intent: Intent = null): void {
  drafts.intent = intent;
  intentSignal.n += 1;
  window.location.hash = hrefFor(route);
}

/** Resets every draft (tests). */
export function resetDrafts(): void {
  drafts.preview = emptyPreview();
  drafts.token = emptyToken();
  drafts.provider = emptyProvider();
  drafts.intent = null;
}

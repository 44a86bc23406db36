// The only module that talks to the Rust backend. Every command gets a typed
// wrapper here; components never call `invoke` directly.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { AuditEventDto } from "./bindings/AuditEventDto";
import type { AuthorizationDto } from "./bindings/AuthorizationDto";
import type { ChannelDto } from "./bindings/ChannelDto";
import type { DeepLinkEvent } from "./bindings/DeepLinkEvent";
import type { DisconnectedDto } from "./bindings/DisconnectedDto";
import type { EventName } from "./bindings/EventName";
import type { InputField } from "./bindings/InputField";
import type { IpcError } from "./bindings/IpcError";
import type { LinkDto } from "./bindings/LinkDto";
import type { TokenLinkDto } from "./bindings/TokenLinkDto";
import type { OauthResultDto } from "./bindings/OauthResultDto";
import type { PrincipalDto } from "./bindings/PrincipalDto";
import type { NewPlayerDto } from "./bindings/NewPlayerDto";
import type { GatewayDto } from "./bindings/GatewayDto";
import type { ProviderDto } from "./bindings/ProviderDto";
import type { ProviderInputDto } from "./bindings/ProviderInputDto";
import type { StatusDto } from "./bindings/StatusDto";
import type { HealthDto } from "./bindings/HealthDto";
import type { HealthCheckDto } from "./bindings/HealthCheckDto";
import type { DecisionDto } from "./bindings/DecisionDto";
import type { MatchReportDto } from "./bindings/MatchReportDto";
import type { PromptReplyDto } from "./bindings/PromptReplyDto";
import type { PromptRequestDto } from "./bindings/PromptRequestDto";
import type { SavedTokenDto } from "./bindings/SavedTokenDto";
import type { TokenEditDto } from "./bindings/TokenEditDto";
import type { TokenInputDto } from "./bindings/TokenInputDto";
import type { UrlTokenDto } from "./bindings/UrlTokenDto";
import type { HistoryEntryDto } from "./bindings/HistoryEntryDto";
import type { PreviewInputDto } from "./bindings/PreviewInputDto";
import type { PreviewReportDto } from "./bindings/PreviewReportDto";
import type { RemindersDto } from "./bindings/RemindersDto";
import type { CardPreviewDto } from "./bindings/CardPreviewDto";
import type { ContactDto } from "./bindings/ContactDto";
import type { IdentityDto } from "./bindings/IdentityDto";
import type { OfferDto } from "./bindings/OfferDto";
import type { SentOfferDto } from "./bindings/SentOfferDto";
import type { TokenRequestsEvent } from "./bindings/TokenRequestsEvent";
import type { IncomingDto } from "./bindings/IncomingDto";
import type { ProviderFileEventDto } from "./bindings/ProviderFileEventDto";
import type { ProviderFileOfferDto } from "./bindings/ProviderFileOfferDto";
import type { Handout } from "./bindings/Handout";
import type { FeedDto } from "./bindings/FeedDto";
import type { FeedInputDto } from "./bindings/FeedInputDto";
import type { LinkBaseDto } from "./bindings/LinkBaseDto";
import type { NewFeedDto } from "./bindings/NewFeedDto";

export type { IpcError } from "./bindings/IpcError";
export type { NewPlayerDto } from "./bindings/NewPlayerDto";
export type { GatewayDto } from "./bindings/GatewayDto";
export type { FeedDto } from "./bindings/FeedDto";
export type { FeedInputDto } from "./bindings/FeedInputDto";
export type { LinkBaseDto } from "./bindings/LinkBaseDto";
export type { LinkBaseSource } from "./bindings/LinkBaseSource";
export type { NewFeedDto } from "./bindings/NewFeedDto";
export type { ProviderFileEventDto } from "./bindings/ProviderFileEventDto";
export type { ProviderFileOfferDto } from "./bindings/ProviderFileOfferDto";
export type { StatusDto } from "./bindings/StatusDto";
export type { EnvSettingDto } from "./bindings/EnvSettingDto";
export type { SecretStoreKind } from "./bindings/SecretStoreKind";
export type { SecretStoreStatusDto } from "./bindings/SecretStoreStatusDto";
export type { DatabaseBackend } from "./bindings/DatabaseBackend";
export type { ErrorCode } from "./bindings/ErrorCode";
export type { InputField } from "./bindings/InputField";
export type { DeepLinkEvent } from "./bindings/DeepLinkEvent";
export type { DeepLinkKind } from "./bindings/DeepLinkKind";
export type { EventName } from "./bindings/EventName";
export type { AuthorizationDto } from "./bindings/AuthorizationDto";
export type { ChannelDto } from "./bindings/ChannelDto";
export type { ChannelStatus } from "./bindings/ChannelStatus";
export type { DisconnectedDto } from "./bindings/DisconnectedDto";
export type { OauthResultDto } from "./bindings/OauthResultDto";
export type { ProviderDto } from "./bindings/ProviderDto";
export type { ProviderInputDto } from "./bindings/ProviderInputDto";
export type { RedirectStyle } from "./bindings/RedirectStyle";
export type { PrincipalDto } from "./bindings/PrincipalDto";
export type { LinkDto } from "./bindings/LinkDto";
export type { TokenLinkDto } from "./bindings/TokenLinkDto";
export type { AuditEventDto } from "./bindings/AuditEventDto";
export type { UrlTokenDto } from "./bindings/UrlTokenDto";
export type { SavedTokenDto } from "./bindings/SavedTokenDto";
export type { TokenInputDto } from "./bindings/TokenInputDto";
export type { TokenEditDto } from "./bindings/TokenEditDto";
export type { Placement } from "./bindings/Placement";
export type { MatchReportDto } from "./bindings/MatchReportDto";
export type { MatchLineDto } from "./bindings/MatchLineDto";
export type { DecisionDto } from "./bindings/DecisionDto";
export type { PromptRequestDto } from "./bindings/PromptRequestDto";
export type { PromptReplyDto } from "./bindings/PromptReplyDto";
export type { PermissionAnswer } from "./bindings/PermissionAnswer";
export type { AskedTokenDto } from "./bindings/AskedTokenDto";
export type { PreviewInputDto } from "./bindings/PreviewInputDto";
export type { PreviewReportDto } from "./bindings/PreviewReportDto";
export type { BodyDto } from "./bindings/BodyDto";
export type { HopDto } from "./bindings/HopDto";
export type { CredentialUseDto } from "./bindings/CredentialUseDto";
export type { NotSentDto } from "./bindings/NotSentDto";
export type { ChannelUseDto } from "./bindings/ChannelUseDto";
export type { TimingsDto } from "./bindings/TimingsDto";
export type { SentRequestDto } from "./bindings/SentRequestDto";
export type { HistoryEntryDto } from "./bindings/HistoryEntryDto";
export type { RemindersDto } from "./bindings/RemindersDto";
export type { HealthDto } from "./bindings/HealthDto";
export type { HealthCheckDto } from "./bindings/HealthCheckDto";
export type { HealthMomentDto } from "./bindings/HealthMomentDto";
export type { HealthScreenCheckDto } from "./bindings/HealthScreenCheckDto";
export type { ReminderDto } from "./bindings/ReminderDto";
export type { CardPreviewDto } from "./bindings/CardPreviewDto";
export type { ContactDto } from "./bindings/ContactDto";
export type { IdentityDto } from "./bindings/IdentityDto";
export type { OfferDto } from "./bindings/OfferDto";
export type { SentOfferDto } from "./bindings/SentOfferDto";
export type { TokenRequestsEvent } from "./bindings/TokenRequestsEvent";
export type { IncomingDto } from "./bindings/IncomingDto";

/** True when `value` has the shape of the backend's error object. */
export function isIpcError(value: unknown): value is IpcError {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate.code === "string" && typeof candidate.message === "string";
}

/** Turns any rejection value into an `IpcError`. */
export function toIpcError(error: unknown): IpcError {
  if (isIpcError(error)) {
    const field = (error as { field?: unknown }).field;
    // The backend names fields from a closed set (`InputField`); the value is passed on.
    return typeof field === "string"
      ? { code: error.code, message: error.message, field: field as InputField }
      : { code: error.code, message: error.message };
  }
  if (error instanceof Error) {
    return { code: "internal", message: error.message || String(error) };
  }
  return { code: "internal", message: String(error) };
}

/**
 * Listens to one of the shell's events (`src-tauri/src/events.rs`, generated into
 * `bindings/EventName.ts`): a name the shell does not emit is a type error.
 */
function listenTo<T>(name: EventName, handler: (payload: T) => void): Promise<UnlistenFn> {
  return listen<T>(name, (event) => handler(event.payload));
}

/**
 * Listens with `listen` (one of the `on…` functions below) for as long as a component is
 * mounted: call it in `onMount` and return what it returns. The listener stops on unmount,
 * even when it arrives after; without an event bridge (a plain browser, no Tauri runtime)
 * nothing listens and the page still works, without live updates.
 *
 * Registering a listener takes a round trip, and an event emitted before it lands is
 * lost: a page that loads and then listens misses a change announced in between (an offer
 * imported while Shared with me opened, CI 2026-12-07). `listening`, when given, runs
 * once the listener is in place: re-read there what the event would have announced.
 */
export function listenWhileMounted(listen: () => Promise<UnlistenFn>, listening?: () => void): () => void {
  let unlisten: UnlistenFn | undefined;
  let closed = false;
  listen()
    .then((stop) => {
      if (closed) {
        stop();
        return;
      }
      unlisten = stop;
      listening?.();
    })
    .catch(() => {
      // No event bridge: nothing to listen to.
    });
  return () => {
    closed = true;
    unlisten?.();
  };
}

/** How many calls are marked (the first page's): `ipc <command> #n` and `… done`. */
const CALLS_MARKED = 64;
let callsMarked = 0;

/**
 * A performance mark (User Timing): `tests/e2e/measure.mjs` reads them to break the
 * window's start-up down. Nothing where the page has no User Timing.
 */
export function startupMark(name: string): void {
  try {
    performance.mark(name);
  } catch {
    // No User Timing here (a test's DOM): nothing to record.
  }
}

async function send<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  const marked = callsMarked < CALLS_MARKED ? `ipc ${command} #${++callsMarked}` : null;
  if (marked) startupMark(marked);
  try {
    return await invoke<T>(command, args);
  } catch (error: unknown) {
    throw toIpcError(error);
  } finally {
    if (marked) startupMark(`${marked} done`);
  }
}

/**
 * Calls `command`; an argument-less read the start has under way (`startShared`) is not
 * asked again: the caller gets its own copy of that call's answer.
 */
function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  const early = args === undefined ? (sharedReads.get(command) as Promise<T> | undefined) : undefined;
  return early ? early.then((value) => structuredClone(value)) : send<T>(command, args);
}

/** Start-up reads under way (early.ts), by command, shared until `endShared`. */
const sharedReads = new Map<string, Promise<unknown>>();

/**
 * Starts the argument-less reads `first` now and `later` once every one of `first` has
 * settled; until `endShared`, `call(command)` hands out these calls instead of new ones.
 * Resolves (never rejects) once every one of `first` has settled.
 */
export function startShared(first: readonly string[], later: readonly string[]): Promise<void> {
  const keep = (command: string, promise: Promise<unknown>) => {
    // Nobody may ever ask (a page that is not shown): no unhandled rejection then.
    promise.catch(() => {});
    sharedReads.set(command, promise);
    return promise;
  };
  const firstCalls = first.map((command) => keep(command, send(command)));
  const firstSettled = Promise.allSettled(firstCalls);
  for (const command of later)
    keep(
      command,
      firstSettled.then(() => send(command)),
    );
  return firstSettled.then(() => undefined);
}

/** Ends the sharing: every later call goes to the backend afresh. */
export function endShared(): void {
  sharedReads.clear();
}

/** App version, storage locations and secret store health. */
export function status(): Promise<StatusDto> {
  return call<StatusDto>("status");
}

/** The backend's `deep-link` event: a link the OS handed to Lanyard, accepted or refused. */
export function onDeepLink(handler: (event: DeepLinkEvent) => void): Promise<UnlistenFn> {
  return listenTo<DeepLinkEvent>("deep-link", handler);
}

/** All providers: built-in templates (no client id) and the ones you added. */
export function providersList(): Promise<ProviderDto[]> {
  return call<ProviderDto[]>("providers_list");
}

/** Adds a provider from a template, an OpenID discovery URL or explicit endpoints. */
export function providerAdd(input: ProviderInputDto): Promise<ProviderDto> {
  return call<ProviderDto>("provider_add", { input });
}

/** Removes a provider you added (refused while it still has channels). */
export function providerRemove(id: string): Promise<null> {
  return call<null>("provider_remove", { id });
}

/**
 * Asks for a `.lanyard-provider` file with the system's Open dialog and returns what it
 * would add (null when the user cancels). Nothing is added yet.
 */
export function providerFileChoose(): Promise<ProviderFileOfferDto | null> {
  return call<ProviderFileOfferDto | null>("provider_file_choose");
}

/**
 * Adds the provider of an opened file (its client secret, if any, goes to the secret store).
 * One whose token, revocation or userinfo endpoint is on another host than its sign-in
 * (`offer.foreignWarning`) is added only with `acceptForeignEndpoints` — the dialog's
 * explicit checkbox.
 */
export function providerFileAccept(offerId: string, acceptForeignEndpoints: boolean): Promise<ProviderDto> {
  return call<ProviderDto>("provider_file_accept", { offerId, acceptForeignEndpoints });
}

/** Forgets an opened provider file without adding anything. */
export function providerFileReject(offerId: string): Promise<null> {
  return call<null>("provider_file_reject", { offerId });
}

/** A provider file or `lanyard://provider/…` link that arrived from outside (double-click, drop, link). */
export function onProviderFile(handler: (event: ProviderFileEventDto) => void): Promise<UnlistenFn> {
  return listenTo<ProviderFileEventDto>("provider-file", handler);
}

/** The connected accounts. */
export function channelsList(): Promise<ChannelDto[]> {
  return call<ChannelDto[]>("channels_list");
}

/**
 * Starts signing in with a provider; the backend has already opened the system browser
 * when this resolves. The outcome arrives later as the `oauth-result` event.
 */
export function channelConnect(providerId: string): Promise<AuthorizationDto> {
  return call<AuthorizationDto>("channel_connect", { providerId });
}

/** Starts re-authorizing a channel (same account only); the outcome arrives as `oauth-result`. */
export function channelReauth(channelId: string): Promise<AuthorizationDto> {
  return call<AuthorizationDto>("channel_reauth", { channelId });
}

/** Cancels a sign-in that is waiting in the browser. */
export function oauthCancel(pendingId: string): Promise<null> {
  return call<null>("oauth_cancel", { pendingId });
}

/** Disconnects a channel: revokes it at the provider if possible and unlinks every player. */
export function channelDisconnect(id: string): Promise<DisconnectedDto> {
  return call<DisconnectedDto>("channel_disconnect", { id });
}

/** The backend's `oauth-result` event: how a sign-in started with connect or re-authorize ended. */
export function onOauthResult(handler: (result: OauthResultDto) => void): Promise<UnlistenFn> {
  return listenTo<OauthResultDto>("oauth-result", handler);
}

/** The desktop license first, then the registered players. */
export function playersList(): Promise<PrincipalDto[]> {
  return call<PrincipalDto[]>("players_list");
}

/**
 * Registers a player; a null serial lets the backend generate one. The reply carries the
 * player's gateway secret: show it once, keep it nowhere.
 */
export function playerAdd(name: string, serial: string | null): Promise<NewPlayerDto> {
  return call<NewPlayerDto>("player_add", { name, serial });
}

/** Issues a new gateway secret for a player (shown once); the old one stops working now. */
export function playerRotateSecret(id: string): Promise<NewPlayerDto> {
  return call<NewPlayerDto>("player_rotate_secret", { id });
}

/** The app's player gateway: the saved choice (off by default) and its address while it runs. */
export function gatewayGet(): Promise<GatewayDto> {
  return call<GatewayDto>("gateway_get");
}

/**
 * Turns the app's player gateway on or off at a loopback address, with the origins whose
 * pages may call it from a browser (CORS), and saves the choice.
 */
export function gatewaySet(enabled: boolean, listen: string, corsOrigins: string[]): Promise<GatewayDto> {
  return call<GatewayDto>("gateway_set", { enabled, listen, corsOrigins });
}

/** Feed links (never their keys), of one player or of all. */
export function feedsList(playerId: string | null): Promise<FeedDto[]> {
  return call<FeedDto[]>("feeds_list", { playerId });
}

/** Makes a feed link; the reply carries the link, shown this once. */
export function feedAdd(input: FeedInputDto): Promise<NewFeedDto> {
  return call<NewFeedDto>("feed_add", { input });
}

/** Gives a feed link a new key (the reply carries the new link); the old one dies now. */
export function feedRotate(id: string): Promise<NewFeedDto> {
  return call<NewFeedDto>("feed_rotate", { id });
}

/** Removes a feed link: it answers 403 from now on. */
export function feedRemove(id: string): Promise<null> {
  return call<null>("feed_remove", { id });
}

/** The gateway address new feed links use, and where it comes from. */
export function feedGatewayGet(): Promise<LinkBaseDto> {
  return call<LinkBaseDto>("feed_gateway_get");
}

/** Saves the gateway's public address for new feed links (null: forget it). */
export function feedGatewaySet(url: string | null): Promise<LinkBaseDto> {
  return call<LinkBaseDto>("feed_gateway_set", { url });
}

/** Removes a player and its links; its next grant is denied at once. The license cannot be removed. */
export function playerRemove(id: string): Promise<null> {
  return call<null>("player_remove", { id });
}

/** Which principal may get grants for which channel. */
export function linksList(): Promise<LinkDto[]> {
  return call<LinkDto[]>("links_list");
}

/** Lets a principal get grants for a channel. */
export function linkAdd(principalId: string, channelId: string): Promise<null> {
  return call<null>("link_add", { principalId, channelId });
}

/** Stops a principal from getting grants for a channel. */
export function linkRemove(principalId: string, channelId: string): Promise<null> {
  return call<null>("link_remove", { principalId, channelId });
}

/** Which principal may use which URL token (the license is linked to its own by default). */
export function tokenLinksList(): Promise<TokenLinkDto[]> {
  return call<TokenLinkDto[]>("token_links_list");
}

/** Lets a principal's requests carry a URL token (a player cannot use a prompt token). */
export function tokenLinkAdd(principalId: string, tokenId: string): Promise<null> {
  return call<null>("token_link_add", { principalId, tokenId });
}

/** Stops a principal's requests from carrying a URL token (a player's sessions end). */
export function tokenLinkRemove(principalId: string, tokenId: string): Promise<null> {
  return call<null>("token_link_remove", { principalId, tokenId });
}

/** How players get a channel's data: "proxy" (through the gateway) or "token" (its provider token). */
export function channelSetHandout(channelId: string, handout: Handout): Promise<null> {
  return call<null>("channel_set_handout", { channelId, handout });
}

export interface AuditQuery {
  /** Only events about this channel; null for all. */
  channelId: string | null;
  /** Only events at or after this time (Unix seconds); null for all. */
  since: number | null;
  /** At most this many events; null for the backend's default. */
  limit: number | null;
}

/** Audit events, newest first (never a token). */
export function auditList(query: AuditQuery): Promise<AuditEventDto[]> {
  return call<AuditEventDto[]>("audit_list", { ...query });
}

/** The URL tokens (never their values). */
export function tokensList(): Promise<UrlTokenDto[]> {
  return call<UrlTokenDto[]>("tokens_list");
}

/** Adds a URL token; the value goes to the keyring (null for prompt tokens). */
export function tokenAdd(input: TokenInputDto): Promise<SavedTokenDto> {
  return call<SavedTokenDto>("token_add", { input });
}

/** Changes a URL token; null fields stay as they are, a non-null value replaces the stored one. */
export function tokenEdit(id: string, edit: TokenEditDto): Promise<SavedTokenDto> {
  return call<SavedTokenDto>("token_edit", { id, edit });
}

/** Removes a URL token and its stored value. */
export function tokenRemove(id: string): Promise<null> {
  return call<null>("token_remove", { id });
}

/** What a request to `url` with `method` would carry (nothing is sent). */
export function tokenMatch(url: string, method: string): Promise<MatchReportDto> {
  return call<MatchReportDto>("token_match", { url, method });
}

/** The stored "Accept all" decisions. */
export function decisionsList(): Promise<DecisionDto[]> {
  return call<DecisionDto[]>("decisions_list");
}

/** Forgets an "Accept all": the user is asked again next time. */
export function decisionRevoke(id: string): Promise<null> {
  return call<null>("decision_revoke", { id });
}

/** Answers a `prompt-request`; rejects when the question is no longer waiting (expired). */
export function promptAnswer(id: string, reply: PromptReplyDto): Promise<null> {
  return call<null>("prompt_answer", { id, reply });
}

/** The backend's `prompt-request` event: a question for the user before tokens are sent. */
export function onPromptRequest(handler: (request: PromptRequestDto) => void): Promise<UnlistenFn> {
  return listenTo<PromptRequestDto>("prompt-request", handler);
}

/**
 * Sends a request as a player would (channel grant and URL tokens attached, redirects
 * followed by hand) and reports what came back, with every secret redacted.
 */
export function previewSend(input: PreviewInputDto): Promise<PreviewReportDto> {
  return call<PreviewReportDto>("preview_send", { input });
}

/** Recent previews, newest first (URLs and outcomes only). */
export function previewHistory(): Promise<HistoryEntryDto[]> {
  return call<HistoryEntryDto[]>("preview_history");
}

/** Forgets the recent previews. */
export function previewHistoryClear(): Promise<null> {
  return call<null>("preview_history_clear");
}

/** Due re-authorization reminders, the thresholds and whether notifications are paused. */
export function remindersGet(): Promise<RemindersDto> {
  return call<RemindersDto>("reminders_get");
}

/** What will stop when, per account and URL token, with the screens it would blank. */
export function healthGet(): Promise<HealthDto> {
  return call<HealthDto>("health_get");
}

/** Check now: refreshes every account and fetches each screen's data as the screen. */
export function healthCheck(): Promise<HealthCheckDto> {
  return call<HealthCheckDto>("health_check");
}

/** Sets the reminder thresholds (days before the due date); needs 1 ≤ imminentDays < soonDays ≤ 30. */
export function remindersSetThresholds(soonDays: number, imminentDays: number): Promise<null> {
  return call<null>("reminders_set_thresholds", { soonDays, imminentDays });
}

/** Pauses notifications for `hours` (0 resumes); returns the paused-until time (Unix seconds) or null. */
export function remindersPause(hours: number): Promise<number | null> {
  return call<number | null>("reminders_pause", { hours });
}

/** Whether Lanyard starts in the tray at login. */
export function autostartGet(): Promise<boolean> {
  return call<boolean>("autostart_get");
}

/** Turns starting at login on or off; resolves to the new state. */
export function autostartSet(enabled: boolean): Promise<boolean> {
  return call<boolean>("autostart_set", { enabled });
}

/** This installation's name, fingerprint and contact card (created on first use). */
export function identityShow(): Promise<IdentityDto> {
  return call<IdentityDto>("identity_show");
}

/** Changes the name on your contact card. */
export function identityRename(name: string): Promise<IdentityDto> {
  return call<IdentityDto>("identity_rename", { name });
}

/** A QR code of `text` as an SVG document. */
export function qrCode(text: string): Promise<string> {
  return call<string>("qr_code", { text });
}

/** Your contacts. */
export function contactsList(): Promise<ContactDto[]> {
  return call<ContactDto[]>("contacts_list");
}

/** Verifies a contact card and shows whose it is, without adding it. */
export function contactPreview(card: string): Promise<CardPreviewDto> {
  return call<CardPreviewDto>("contact_preview", { card });
}

/** Adds a contact from their card; a null name keeps the card's. */
export function contactAdd(card: string, name: string | null): Promise<ContactDto> {
  return call<ContactDto>("contact_add", { card, name });
}

/** Renames a contact. */
export function contactRename(id: string, name: string): Promise<ContactDto> {
  return call<ContactDto>("contact_rename", { id, name });
}

/** Removes a contact; their offers still waiting are dropped. */
export function contactRemove(id: string): Promise<null> {
  return call<null>("contact_remove", { id });
}

/**
 * Seals one of your tokens for a contact. With `saveFile`, the backend asks where to save
 * the `.lanyard-offer` file (null when the user cancels); otherwise the offer comes back
 * as a link.
 */
export function tokenSend(id: string, to: string, saveFile: boolean): Promise<SentOfferDto | null> {
  return call<SentOfferDto | null>("token_send", { id, to, saveFile });
}

/** Offers waiting in Token requests, or (`all`) every offer sent and received. */
export function offersList(all: boolean): Promise<OfferDto[]> {
  return call<OfferDto[]>("offers_list", { all });
}

/** How many offers wait in Token requests. */
export function offersPending(): Promise<number> {
  return call<number>("offers_pending");
}

/** Verifies a pasted offer link and puts it in Token requests. */
export function offerImport(text: string): Promise<OfferDto> {
  return call<OfferDto>("offer_import", { text });
}

/** Asks for a `.lanyard-offer` file and imports it (null when the user cancels). */
export function offerImportFile(): Promise<OfferDto | null> {
  return call<OfferDto | null>("offer_import_file");
}

/** Accepts an offer: the token becomes usable, never viewable. */
export function offerAccept(id: string): Promise<UrlTokenDto> {
  return call<UrlTokenDto>("offer_accept", { id });
}

/** Rejects an offer: it is deleted. */
export function offerReject(id: string): Promise<OfferDto> {
  return call<OfferDto>("offer_reject", { id });
}

/** The backend's `token-requests` event: an offer arrived (or was refused), or the inbox changed. */
export function onTokenRequests(handler: (event: TokenRequestsEvent) => void): Promise<UnlistenFn> {
  return listenTo<TokenRequestsEvent>("token-requests", handler);
}

/** The backend's `contact-card` event: a card arrived by link or file and waits for confirmation. */
export function onContactCard(handler: (card: CardPreviewDto) => void): Promise<UnlistenFn> {
  return listenTo<CardPreviewDto>("contact-card", handler);
}

/** A card or refusal that arrived before the window was listening (e.g. a double-clicked file started Lanyard). */
export function incomingTake(): Promise<IncomingDto> {
  return call<IncomingDto>("incoming_take");
}

// Plain-words helpers for the Players page (link matrix and audit).
import type { AuditAction } from "./bindings/AuditAction";
import type { AuditEventDto } from "./bindings/AuditEventDto";
import type { AuditOutcome } from "./bindings/AuditOutcome";
import type { ChannelDto } from "./bindings/ChannelDto";
import type { LinkDto } from "./bindings/LinkDto";
import type { PrincipalDto } from "./bindings/PrincipalDto";
import type { TokenLinkDto } from "./bindings/TokenLinkDto";
import type { UrlTokenDto } from "./bindings/UrlTokenDto";
import { formatDateTimeSeconds, relativeAgo } from "./format";
import { AUDIT_ACTION_LABELS, AUDIT_OUTCOME_BADGES, type Badge } from "./labels";

export const LICENSE_ID = "license";

export function isLicense(principal: Pick<PrincipalDto, "id" | "kind">): boolean {
  return principal.kind === "license" || principal.id === LICENSE_ID;
}

/** Short name of a principal, as used in sentences and labels ("This desktop", "Lobby screen"). */
export function principalName(principal: Pick<PrincipalDto, "id" | "kind" | "name">): string {
  return isLicense(principal) ? "This desktop" : principal.name;
}

/** The desktop license first, then the players in the order the backend gave them. */
export function licenseFirst(principals: readonly PrincipalDto[]): PrincipalDto[] {
  return [...principals.filter(isLicense), ...principals.filter((p) => !isLicense(p))];
}

export function linkKey(principalId: string, channelId: string): string {
  return `${principalId}\u0000${channelId}`;
}

export function linkSet(links: readonly LinkDto[]): Set<string> {
  return new Set(links.map((link) => linkKey(link.principalId, link.channelId)));
}

/** Key of a principal × URL token cell (never equal to a channel cell's key). */
export function tokenLinkKey(principalId: string, tokenId: string): string {
  return `${principalId}\u0000token\u0000${tokenId}`;
}

export function tokenLinkSet(links: readonly TokenLinkDto[]): Set<string> {
  return new Set(links.map((link) => tokenLinkKey(link.principalId, link.tokenId)));
}

/** Why a principal cannot be linked to a token, or null when it can. */
export function tokenLinkBlocked(
  principal: Pick<PrincipalDto, "id" | "kind">,
  token: Pick<UrlTokenDto, "prompt">,
): string | null {
  if (token.prompt && !isLicense(principal)) {
    return "Its value is asked at use time, and nobody can type it on a screen.";
  }
  return null;
}

/** Names of the principals linked to a channel, the desktop first ("This desktop", "Lobby screen"). */
export function linkedNames(links: readonly LinkDto[], channelId: string): string[] {
  const linked = links.filter((link) => link.channelId === channelId);
  const desktop = linked.filter((link) => link.principalId === LICENSE_ID).map(() => "This desktop");
  const players = linked.filter((link) => link.principalId !== LICENSE_ID).map((link) => link.principalName);
  return [...desktop, ...players];
}

const HOUR = 3_600;
const DAY = 86_400;

/** Words for a stale reason or refusal code (the same as `lanyard player list`'s). */
export function screenCodeWords(code: string | null): string {
  switch (code) {
    case "upstream_unreachable":
      return "the data source is unreachable";
    case "upstream_timeout":
      return "the data source is not answering";
    case "upstream_error":
      return "the data source has an error";
    case "upstream_rate_limited":
      return "the data source is limiting requests";
    case "provider_unavailable":
      return "the sign-in service is unavailable";
    case "needs_reauth":
      return "the account needs signing in again";
    case "not_covered":
    case "not_linked":
      return "not linked";
    case "unknown_principal":
      return "removed";
    case "unauthenticated":
      return "not signed in";
    case "rate_limited":
      return "too many requests";
    default:
      return (code ?? "unknown").replaceAll("_", " ");
  }
}

/** A screen not heard from for this long is "not seen" (as in the core). */
export const NOT_SEEN_AFTER_SECONDS = 15 * 60;

/** "14:02" in local time. */
export function clockTime(at: number): string {
  const d = new Date(at * 1000);
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}

/**
 * A screen's state in a sentence: "showing live data", "showing data from 14:02 — the data
 * source is unreachable", "refused: not linked", "not seen for 3 days", "not seen by a
 * gateway yet".
 */
export function screenStatus(principal: Pick<PrincipalDto, "screen">, nowMs: number = Date.now()): string {
  const s = principal.screen;
  if (!s) return "not seen by a gateway yet";
  const idle = Math.floor(nowMs / 1000) - s.lastRequestAt;
  if (idle >= NOT_SEEN_AFTER_SECONDS) {
    return `not seen for ${relativeAgo(s.lastRequestAt, nowMs).replace(/ ago$/, "")}`;
  }
  if (s.lastAnswer === "stale") {
    return `showing data from ${clockTime(s.dataFrom ?? s.lastRequestAt)} — ${screenCodeWords(s.lastCode)}`;
  }
  if (s.lastAnswer === "refused") return `refused: ${screenCodeWords(s.lastCode)}`;
  return "showing live data";
}

/** The badge tone of a screen's state. */
export function screenTone(principal: Pick<PrincipalDto, "screen">, nowMs: number = Date.now()): string {
  const s = principal.screen;
  if (!s || Math.floor(nowMs / 1000) - s.lastRequestAt >= NOT_SEEN_AFTER_SECONDS) return "idle";
  return s.lastAnswer;
}

export type AuditPeriod = "hour" | "day" | "week" | "all";

export const AUDIT_PERIODS: readonly { id: AuditPeriod; label: string; seconds: number | null }[] = [
  { id: "hour", label: "Last hour", seconds: HOUR },
  { id: "day", label: "Last 24 hours", seconds: DAY },
  { id: "week", label: "Last 7 days", seconds: 7 * DAY },
  { id: "all", label: "All", seconds: null },
];

/** The `since` argument of `audit_list` for a period (Unix seconds), or null for all. */
export function sinceFor(period: AuditPeriod, nowMs: number = Date.now()): number | null {
  const seconds = AUDIT_PERIODS.find((p) => p.id === period)?.seconds ?? null;
  return seconds === null ? null : Math.floor(nowMs / 1000) - seconds;
}

export function actionLabel(action: AuditAction): string {
  return AUDIT_ACTION_LABELS[action];
}

export function outcomeBadge(outcome: AuditOutcome): Badge {
  return AUDIT_OUTCOME_BADGES[outcome];
}

/** When an audit event happened, to the second. */
export const formatEventTime = formatDateTimeSeconds;

/** Who: the principal's name when known, else its id; "—" when none. */
export function eventPrincipal(event: AuditEventDto, principals: readonly PrincipalDto[]): string {
  if (event.principalId === null) return "—";
  const known = principals.find((p) => p.id === event.principalId);
  return known ? principalName(known) : event.principalId;
}

/** The channel's account label when the event is about a channel (its id if gone), else "—". */
export function eventChannel(event: AuditEventDto, channels: readonly ChannelDto[]): string {
  if (event.subjectKind !== "channel") return "—";
  return channels.find((c) => c.id === event.subjectId)?.accountLabel ?? event.subjectId;
}

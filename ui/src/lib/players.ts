// Plain-words helpers for the Players page (link matrix and audit).
import type { AuditEventDto } from "./bindings/AuditEventDto";
import type { ChannelDto } from "./bindings/ChannelDto";
import type { LinkDto } from "./bindings/LinkDto";
import type { PrincipalDto } from "./bindings/PrincipalDto";
import type { TokenLinkDto } from "./bindings/TokenLinkDto";
import type { UrlTokenDto } from "./bindings/UrlTokenDto";

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

const MINUTE = 60;
const HOUR = 3_600;
const DAY = 86_400;

/** "just now", "5 minutes ago", "3 hours ago", "2 days ago"; "never" when null. */
export function relativeAgo(at: number | null, nowMs: number = Date.now()): string {
  if (at === null) return "never";
  const seconds = Math.max(0, Math.floor(nowMs / 1000 - at));
  if (seconds < MINUTE) return "just now";
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"} ago`;
  if (seconds < HOUR) return plural(Math.floor(seconds / MINUTE), "minute");
  if (seconds < DAY) return plural(Math.floor(seconds / HOUR), "hour");
  return plural(Math.floor(seconds / DAY), "day");
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

const ACTION_LABELS: Record<string, string> = {
  grant: "Access given",
  refresh: "Access renewed",
  connect: "Connect",
  reauth: "Re-authorize",
  disconnect: "Disconnect",
  link: "Allowed",
  unlink: "Disallowed",
  player_added: "Player added",
  player_removed: "Player removed",
};

export function actionLabel(action: string): string {
  return ACTION_LABELS[action] ?? action;
}

const OUTCOMES: Record<string, { text: string; tone: "good" | "warn" | "bad" }> = {
  ok: { text: "OK", tone: "good" },
  denied: { text: "Denied", tone: "bad" },
  failed: { text: "Failed", tone: "bad" },
  needs_reauth: { text: "Sign in again", tone: "warn" },
};

export function outcomeBadge(outcome: string): { text: string; tone: "good" | "warn" | "bad" } {
  return OUTCOMES[outcome] ?? { text: outcome, tone: "warn" };
}

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

export function formatEventTime(at: number): string {
  return timeFormat.format(new Date(at * 1000));
}

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

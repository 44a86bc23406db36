// Plain-words helpers for the Channels page and the Providers section.
import type { ChannelDto } from "./bindings/ChannelDto";
import type { ChannelStatus } from "./bindings/ChannelStatus";
import type { DisconnectedDto } from "./bindings/DisconnectedDto";
import type { ProviderDto } from "./bindings/ProviderDto";
import type { RedirectStyle } from "./bindings/RedirectStyle";
import { formatDay } from "./format";
import { CHANNEL_STATUS_BADGES, REVOCATION_TEXT, type Badge } from "./labels";

const DAY_SECONDS = 86_400;

export function statusBadge(status: ChannelStatus): Badge {
  return CHANNEL_STATUS_BADGES[status];
}

/** The "re-authorize by" date, or "—" when there is none. */
export function formatDueDate(dueAt: number | null): string {
  return dueAt === null ? "—" : formatDay(dueAt);
}

/** "in N days", "today" or "overdue"; null when there is no due date. */
export function relativeDue(dueAt: number | null, nowMs: number = Date.now()): string | null {
  if (dueAt === null) return null;
  const seconds = dueAt - nowMs / 1000;
  if (seconds <= 0) return "overdue";
  const days = Math.floor(seconds / DAY_SECONDS);
  if (days === 0) return "today";
  return days === 1 ? "in 1 day" : `in ${days} days`;
}

/** Providers that can actually be used to connect: your own, with a client id. */
export function usableProviders(providers: readonly ProviderDto[]): ProviderDto[] {
  return providers.filter((provider) => !provider.builtin && !!provider.clientId);
}

export function redirectStyleLabel(style: RedirectStyle): string {
  return style === "loopback" ? "Loopback" : "Deep link";
}

/** What disconnecting did, in plain words. */
export function disconnectSummary(account: string, provider: string, result: DisconnectedDto): string {
  const players =
    result.unlinked === 0
      ? "No player was linked to it."
      : result.unlinked === 1
        ? "1 linked player lost access."
        : `${result.unlinked} linked players lost access.`;
  const revocation = REVOCATION_TEXT[result.revocation](provider, result.revocationDetail);
  const detail = result.revocationDetail ? ` ${result.revocationDetail}` : "";
  return `Disconnected ${account}. ${players} ${revocation}${detail}`;
}

export type { Handout } from "./bindings/Handout";

/** What a channel's hand-out mode means for a leaked credential, in plain words. */
export function handoutNote(
  channel: Pick<ChannelDto, "handout" | "accessTokenExpiresAt">,
  nowMs: number = Date.now(),
): string {
  if (channel.handout !== "token") {
    return "Players get the data through Lanyard; the account's sign-in token never leaves this computer, and a player's access ends within 15 minutes.";
  }
  const base =
    "Players get the account's own access token. If one leaks, it stays usable at the service until it expires there (often 60–90 minutes), even though Lanyard stops handing it out after 15 minutes.";
  const at = channel.accessTokenExpiresAt;
  if (at === null) return base;
  const minutes = Math.round((at * 1000 - nowMs) / 60_000);
  if (minutes <= 0) return base;
  return `${base} The current one stays usable for about ${minutes} more minute${minutes === 1 ? "" : "s"}.`;
}

// The window's start: the first page's data is asked for as soon as the script runs —
// before the app mounts — and the start-up's other reads (the sidebar's status and badge,
// the first-run checklist) only once those calls answered, so the first page's calls are
// not queued behind them. Until the app's first effects have run (`endStartup`, main.ts),
// a page or component asking for one of these reads gets the call already under way
// (ipc.ts `shared`), so nothing is asked twice.
import { startShared, endShared } from "./ipc";
import type { RouteId } from "./routes";

/** Reads every start makes, whatever the page: the sidebar, the badge, the checklist. */
export const START_READS = [
  "status",
  "offers_pending",
  "channels_list",
  "tokens_list",
  "players_list",
  "links_list",
  "token_links_list",
  "preview_history",
  "identity_show",
] as const;

/** The reads a page needs to show its data, asked for first. */
export const FIRST_PAGE_READS: Partial<Record<RouteId, readonly (typeof START_READS)[number][]>> = {
  channels: ["channels_list", "links_list"],
};

/** Starts the first page's reads now and the other start-up reads once they answered. */
export function beginStartup(route: RouteId): void {
  const first = FIRST_PAGE_READS[route] ?? [];
  const later = START_READS.filter((command) => !first.includes(command));
  startShared(first, later);
}

/** From now on every call goes to the backend afresh. */
export function endStartup(): void {
  endShared();
}

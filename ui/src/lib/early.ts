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

/**
 * Starts the first page's reads now and the other start-up reads once they answered.
 * Resolves (never rejects) once the first page's reads have answered or failed.
 */
export function beginStartup(route: RouteId): Promise<void> {
  const first = FIRST_PAGE_READS[route] ?? [];
  const later = START_READS.filter((command) => !first.includes(command));
  return startShared(first, later);
}

/** From now on every call goes to the backend afresh. */
export function endStartup(): void {
  endShared();
}

/**
 * The longest the app waits for its first page's data before it mounts; the start-up
 * skeleton (index.html) shows meanwhile. A backend that is slow to open (a first start's
 * migrations take ~100 ms) is waited for; one that hangs is not.
 */
export const FIRST_DATA_WAIT_MS = 400;

/**
 * Resolves once `firstReads` has settled or `waitMs` has passed, whichever is first.
 *
 * The app mounts then, not before: mounted earlier, it lays out and paints its pages'
 * loading state while the first answers are on their way, and WebKit hands those answers
 * to the page only after that frame (measured: ~85 ms later than the shell sent them), so
 * the data showed a frame later than it could. Mounted after them, its first frame has
 * the data.
 */
export function firstDataOrTimeout(firstReads: Promise<void>, waitMs = FIRST_DATA_WAIT_MS): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, waitMs);
  });
  return Promise.race([firstReads, timeout]).finally(() => clearTimeout(timer));
}

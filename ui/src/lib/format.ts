// Times, counts and ages in the window's words. Every time the backend sends is Unix seconds.

const DATE = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
const DATE_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const DATE_TIME_SECONDS = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

/** A day ("Jun 30, 2027"). */
export function formatDay(at: number): string {
  return DATE.format(new Date(at * 1000));
}

/** A day and a time to the minute. */
export function formatDateTime(at: number): string {
  return DATE_TIME.format(new Date(at * 1000));
}

/** A day and a time to the second (audit events). */
export function formatDateTimeSeconds(at: number): string {
  return DATE_TIME_SECONDS.format(new Date(at * 1000));
}

const MINUTE = 60;
const HOUR = 3_600;
const DAY = 86_400;

/** "just now", "5 minutes ago", "3 hours ago", "2 days ago"; "never" when null. */
export function relativeAgo(at: number | null, nowMs: number = Date.now()): string {
  if (at === null) return "never";
  const seconds = Math.max(0, Math.floor(nowMs / 1000 - at));
  if (seconds < MINUTE) return "just now";
  const ago = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"} ago`;
  if (seconds < HOUR) return ago(Math.floor(seconds / MINUTE), "minute");
  if (seconds < DAY) return ago(Math.floor(seconds / HOUR), "hour");
  return ago(Math.floor(seconds / DAY), "day");
}

/** A count with its noun ("1 offer", "3 offers"). */
export function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

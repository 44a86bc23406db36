// Pure helpers for the Preview page. The backend has already redacted every secret in
// the report; nothing here ever sees a token value.
import type { Attached } from "./bindings/Attached";
import type { CredentialSource } from "./bindings/CredentialSource";
import type { TimingsDto } from "./bindings/TimingsDto";
import { ATTACHED_LABELS, CREDENTIAL_SOURCE_LABELS } from "./labels";

export const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] as const;
export type Method = (typeof METHODS)[number];

export function isMethod(value: string): value is Method {
  return (METHODS as readonly string[]).includes(value);
}

/** Whether the body editor is offered for `method`. */
export function hasBody(method: string): boolean {
  return method !== "GET" && method !== "HEAD";
}

export type StatusClass = "info" | "success" | "redirect" | "client" | "server";

export function statusClass(status: number): StatusClass {
  if (status >= 500) return "server";
  if (status >= 400) return "client";
  if (status >= 300) return "redirect";
  if (status >= 200) return "success";
  return "info";
}

/** Where a credential went, in words. */
export function placementText(placement: Attached): string {
  return ATTACHED_LABELS[placement];
}

export function sourceText(source: CredentialSource): string {
  return CREDENTIAL_SOURCE_LABELS[source];
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

export function formatMs(ms: number): string {
  if (ms < 1) return "<1 ms";
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  return `${Math.round(ms)} ms`;
}

export interface TimingRow {
  label: string;
  ms: number;
  /** Bar length, 0–100, relative to the longest measure. */
  percent: number;
}

/**
 * Connect (when measured), time to first byte and total, each as a bar from zero
 * proportional to the longest. Connect is measured on its own connection, so the
 * bars are not stacked.
 */
export function timingRows(timings: TimingsDto): TimingRow[] {
  const rows: { label: string; ms: number }[] = [];
  if (timings.connectMs !== null) rows.push({ label: "Connect", ms: timings.connectMs });
  rows.push({ label: "First byte", ms: timings.ttfbMs });
  rows.push({ label: "Total", ms: timings.totalMs });
  const longest = Math.max(...rows.map((row) => row.ms), 0);
  return rows.map((row) => ({
    ...row,
    percent: longest > 0 ? Math.max(0.5, Math.min(100, (row.ms / longest) * 100)) : 0.5,
  }));
}

export interface HeaderRow {
  name: string;
  value: string;
}

/** The rows to send: blank rows are dropped; a value without a name is an error. */
export function headerPairs(rows: readonly HeaderRow[]): { pairs: [string, string][]; error: string | null } {
  const pairs: [string, string][] = [];
  for (const [index, row] of rows.entries()) {
    const name = row.name.trim();
    if (name === "") {
      if (row.value.trim() !== "") {
        return { pairs: [], error: `Header ${index + 1} has a value but no name.` };
      }
      continue;
    }
    pairs.push([name, row.value]);
  }
  return { pairs, error: null };
}

function segments(path: string): string[] {
  return path.split("/").filter((segment) => segment !== "");
}

/**
 * Whether an account's data address (API base) covers `url`: same origin, and the base's
 * path segments start the URL's — the rule the core's `preview::covers` applies (used for
 * the live line under the URL bar; the backend still decides when sending).
 */
export function coversBase(base: string, url: string): boolean {
  try {
    const b = new URL(base);
    const u = new URL(url);
    if (b.origin !== u.origin) return false;
    const want = segments(b.pathname);
    const have = segments(u.pathname);
    return want.every((segment, i) => have[i] === segment);
  } catch {
    return false;
  }
}

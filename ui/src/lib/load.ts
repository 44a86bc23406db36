// What every page and component that loads from the backend shares: the three states of
// loaded data, a page's notice line, and the per-row maps of calls in flight.
import { toIpcError, type IpcError } from "./ipc";

/** Data being loaded, loaded, or refused with the backend's error. */
export type Load<T> = { kind: "loading" } | { kind: "ready"; data: T } | { kind: "error"; error: IpcError };

/** The line a page shows after an action. */
export type PageNotice = { tone: "good" | "warn" | "bad"; text: string };

/** `promise` settled into a `Load`: its data, or its rejection as an `IpcError`. */
export async function settle<T>(promise: Promise<T>): Promise<Load<T>> {
  try {
    return { kind: "ready", data: await promise };
  } catch (error: unknown) {
    return { kind: "error", error: toIpcError(error) };
  }
}

/** `record` without `key` (the per-row maps of calls in flight and their errors). */
export function withoutKey<T>(record: Record<string, T>, key: string): Record<string, T> {
  return Object.fromEntries(Object.entries(record).filter(([k]) => k !== key));
}

// A small shared, reactive holder for the result of `status()`, so the
// sidebar footer and the Settings page show the same, fresh information.
import { status as fetchStatus, toIpcError } from "./ipc";
import type { IpcError, StatusDto } from "./ipc";

export type StatusState = { kind: "loading" } | { kind: "ready"; data: StatusDto } | { kind: "error"; error: IpcError };

export class StatusResource {
  state: StatusState = $state({ kind: "loading" });
  /** True while a request is in flight, including refreshes of shown data. */
  pending: boolean = $state(false);
  #generation = 0;

  async load(): Promise<void> {
    const generation = ++this.#generation;
    this.pending = true;
    if (this.state.kind !== "ready") {
      this.state = { kind: "loading" };
    }
    try {
      const data = await fetchStatus();
      if (generation === this.#generation) this.state = { kind: "ready", data };
    } catch (error: unknown) {
      if (generation === this.#generation) this.state = { kind: "error", error: toIpcError(error) };
    } finally {
      if (generation === this.#generation) this.pending = false;
    }
  }
}

const BACKEND_LABELS = {
  keyring: "Keyring",
  file: "File",
  memory: "Memory",
  database: "Shared database (sealed)",
} as const;

export function backendLabel(kind: StatusDto["secretStore"]["backend"]): string {
  return BACKEND_LABELS[kind] ?? kind;
}

// The only module that talks to the Rust backend. Every command gets a typed
// wrapper here; components never call `invoke` directly.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { DeepLinkEvent } from "./bindings/DeepLinkEvent";
import type { IpcError } from "./bindings/IpcError";
import type { StatusDto } from "./bindings/StatusDto";

export type { IpcError } from "./bindings/IpcError";
export type { StatusDto } from "./bindings/StatusDto";
export type { SecretStoreKind } from "./bindings/SecretStoreKind";
export type { SecretStoreStatusDto } from "./bindings/SecretStoreStatusDto";
export type { DeepLinkEvent } from "./bindings/DeepLinkEvent";
export type { DeepLinkKind } from "./bindings/DeepLinkKind";

/** True when `value` has the shape of the backend's error object. */
export function isIpcError(value: unknown): value is IpcError {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate.code === "string" && typeof candidate.message === "string";
}

/** Turns any rejection value into an `IpcError`. */
export function toIpcError(error: unknown): IpcError {
  if (isIpcError(error)) {
    return { code: error.code, message: error.message };
  }
  if (error instanceof Error) {
    return { code: "internal", message: error.message || String(error) };
  }
  return { code: "internal", message: String(error) };
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error: unknown) {
    throw toIpcError(error);
  }
}

/** App version, storage locations and secret store health. */
export function status(): Promise<StatusDto> {
  return call<StatusDto>("status");
}

/** The backend's `deep-link` event: a link the OS handed to Lanyard, accepted or refused. */
export function onDeepLink(handler: (event: DeepLinkEvent) => void): Promise<UnlistenFn> {
  return listen<DeepLinkEvent>("deep-link", (event) => handler(event.payload));
}

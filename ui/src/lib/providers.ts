// The sign-in service form's fields: which input each is, and which one a refusal from the
// backend (its `field`, in the core's snake_case names) belongs to.
import type { InputField, IpcError } from "./ipc";

/** Each field the form can show an error next to, and its input's id. */
export const PROVIDER_FIELD_IDS = {
  discoveryUrl: "provider-discovery",
  authorizationEndpoint: "provider-authorization",
  tokenEndpoint: "provider-token",
  clientId: "provider-client-id",
  tenant: "provider-tenant",
  clientSecret: "provider-client-secret",
  loopbackPort: "provider-loopback-port",
  reauthDays: "provider-reauth",
  clientSecretExpiresAt: "provider-secret-expires",
} as const;

export type ProviderField = keyof typeof PROVIDER_FIELD_IDS;

/** The core's field names (`InputField`, refused by `providers::add`): a name the core does not have is a type error. */
const BACKEND_FIELDS: Partial<Record<InputField, ProviderField>> = {
  discovery_url: "discoveryUrl",
  client_id: "clientId",
  tenant: "tenant",
  client_secret: "clientSecret",
  loopback_port: "loopbackPort",
  reauth_days: "reauthDays",
  client_secret_expires_at: "clientSecretExpiresAt",
};

/** The field a refused `provider_add` points at, or null for an error of the whole form. */
export function providerFieldForBackendError(error: Pick<IpcError, "code" | "field">): ProviderField | null {
  if (error.code !== "invalid_input" || !error.field) return null;
  return BACKEND_FIELDS[error.field] ?? null;
}

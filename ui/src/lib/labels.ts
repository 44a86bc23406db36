// Every closed set the backend sends (generated unions in ./bindings) and its words.
// Each table is a `Record<Union, …>`: when the core gains a variant, the regenerated
// binding gains a member and `npm run check` fails here until the variant has a label.
// (Checked by hand: adding a variant to `AuditAction` in the core, regenerating the
// bindings, made svelte-check report "Property '…' is missing" on AUDIT_ACTION_LABELS.)
import type { Attached } from "./bindings/Attached";
import type { AuditAction } from "./bindings/AuditAction";
import type { AuditOutcome } from "./bindings/AuditOutcome";
import type { AuditSubject } from "./bindings/AuditSubject";
import type { ChannelStatus } from "./bindings/ChannelStatus";
import type { CredentialSource } from "./bindings/CredentialSource";
import type { Handout } from "./bindings/Handout";
import type { LinkBaseSource } from "./bindings/LinkBaseSource";
import type { OfferDirection } from "./bindings/OfferDirection";
import type { OfferStatus } from "./bindings/OfferStatus";
import type { Placement } from "./bindings/Placement";
import type { PrincipalKind } from "./bindings/PrincipalKind";
import type { ProviderKind } from "./bindings/ProviderKind";
import type { ReminderLevel } from "./bindings/ReminderLevel";
import type { RevocationOutcome } from "./bindings/RevocationOutcome";
import type { TokenOrigin } from "./bindings/TokenOrigin";

export type Tone = "good" | "warn" | "bad";
export type Badge = { text: string; tone: Tone };

export const AUDIT_ACTION_LABELS: Record<AuditAction, string> = {
  grant: "Access given",
  refresh: "Access renewed",
  connect: "Connect",
  reauth: "Re-authorize",
  disconnect: "Disconnect",
  token_attached: "Token attached",
  prompt_answered: "Prompt answered",
  link: "Allowed",
  unlink: "Disallowed",
  player_added: "Player added",
  player_removed: "Player removed",
  player_secret_rotated: "Player secret rotated",
  feed_added: "Feed link made",
  feed_rotated: "Feed link renewed",
  feed_removed: "Feed link removed",
};

export const AUDIT_OUTCOME_BADGES: Record<AuditOutcome, Badge> = {
  ok: { text: "OK", tone: "good" },
  denied: { text: "Denied", tone: "bad" },
  failed: { text: "Failed", tone: "bad" },
  needs_reauth: { text: "Sign in again", tone: "warn" },
  revoked: { text: "Revoked", tone: "good" },
  pending: { text: "Pending", tone: "warn" },
  accept: { text: "Accepted", tone: "good" },
  accept_all: { text: "Accepted for this URL", tone: "good" },
  deny: { text: "Denied", tone: "bad" },
};

export const AUDIT_SUBJECT_LABELS: Record<AuditSubject, string> = {
  channel: "Account",
  principal: "Player",
  url_token: "URL token",
  feed: "Feed link",
};

export const CHANNEL_STATUS_BADGES: Record<ChannelStatus, Badge> = {
  active: { text: "Active", tone: "good" },
  needs_reauth: { text: "Sign in again", tone: "warn" },
  revoked: { text: "Disconnected", tone: "bad" },
};

/** Where a token went (the user-name/password detail of Basic is added by the caller). */
export const ATTACHED_LABELS: Record<Attached, string> = {
  authorization_basic: "Authorization: Basic",
  authorization_bearer: "Authorization: Bearer",
  form_body: "form body field",
  query: "query parameter",
  header: "a header of its own",
};

export const CREDENTIAL_SOURCE_LABELS: Record<CredentialSource, string> = {
  channel: "Account",
  url_token: "URL token",
  header: "Header",
};

export const HANDOUT_LABELS: Record<Handout, string> = {
  proxy: "Through the gateway",
  token: "The provider's token",
};

export const OFFER_DIRECTION_LABELS: Record<OfferDirection, string> = {
  incoming: "Received",
  outgoing: "Sent",
};

export const OFFER_STATUS_LABELS: Record<OfferStatus, string> = {
  pending: "Pending",
  accepted: "Accepted",
  rejected: "Rejected",
};

export const PRINCIPAL_KIND_LABELS: Record<PrincipalKind, string> = {
  license: "This desktop",
  player: "Player",
};

/** A kind of provider, as the accounts it signs in to ("connect Microsoft 365 accounts"). */
export const PROVIDER_KIND_LABELS: Record<ProviderKind, string> = {
  microsoft: "Microsoft 365",
  google: "Google",
  dropbox: "Dropbox",
  oidc: "OpenID provider",
  custom: "OAuth provider",
};

/**
 * How a shared token's placement reads: where its value will really go once accepted
 * (`key`: the token's key). In the `Authorization` header only `token` (Bearer) and
 * `username`/`password` (Basic) go anywhere; the core ignores any other key there.
 */
export const OFFER_PLACEMENT_TEXT: Record<Placement, (key: string) => string> = {
  form: () => "Form field",
  header: (key) =>
    key === "token"
      ? ATTACHED_LABELS.authorization_bearer
      : key === "username" || key === "password"
        ? ATTACHED_LABELS.authorization_basic
        : "Header (ignored: not username, password or token)",
  // Its own header, named by the key (`X-Api-Key: …`).
  named_header: (key) => `Header ${key}`,
};

export const REMINDER_LEVEL_LABELS: Record<ReminderLevel, string> = {
  needs_reauth: "Needs re-authorization",
  expired: "Re-authorization overdue",
  due_soon: "Re-authorize soon",
  due_later: "Re-authorize later",
};

/** What disconnecting did at the provider, in words (`detail`: the provider's advice, if any). */
export const REVOCATION_TEXT: Record<RevocationOutcome, (provider: string, detail: string | null) => string> = {
  revoked: (provider) => `Access was revoked at ${provider}.`,
  not_supported: (provider, detail) =>
    detail
      ? `${provider} cannot revoke Lanyard's access from here.`
      : `${provider} does not support revoking access from here; you can remove Lanyard in your account settings there.`,
  pending: (provider) => `Revoking access at ${provider} is still pending.`,
  failed: (provider) => `Revoking access at ${provider} failed.`,
};

export const TOKEN_ORIGIN_LABELS: Record<TokenOrigin, string> = {
  own: "Yours",
  received: "Received",
};

/** Where a feed link's gateway address comes from. */
export const LINK_BASE_SOURCE_LABELS: Record<LinkBaseSource, string> = {
  flag: "given for this link",
  setting: "the saved public address",
  app: "this app's gateway",
  default: "this computer, where `lanyard gateway serve` listens by default",
};

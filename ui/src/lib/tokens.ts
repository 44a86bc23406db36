// Pure helpers for the URL tokens page and the question dialogs. Values never pass
// through here: the UI only ever holds a value the user is typing.
import type { InputField } from "./bindings/InputField";
import type { IpcError } from "./bindings/IpcError";
import type { MatchLineDto } from "./bindings/MatchLineDto";
import type { Placement } from "./bindings/Placement";
import type { UrlTokenDto } from "./bindings/UrlTokenDto";
import { ATTACHED_LABELS } from "./labels";

export interface TokenGroup {
  prefix: string;
  tokens: UrlTokenDto[];
}

/** Tokens grouped by prefix (prefixes sorted, keys sorted within a prefix). */
export function groupByPrefix(tokens: readonly UrlTokenDto[]): TokenGroup[] {
  const groups = new Map<string, UrlTokenDto[]>();
  for (const token of tokens) {
    const list = groups.get(token.prefix) ?? [];
    list.push(token);
    groups.set(token.prefix, list);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([prefix, list]) => ({
      prefix,
      tokens: [...list].sort((a, b) => a.key.localeCompare(b.key)),
    }));
}

export function isReceived(token: UrlTokenDto): boolean {
  return token.origin === "received";
}

const CONTROL = /[\u0000-\u001f\u007f]/;

export function hasControlCharacters(text: string): boolean {
  return CONTROL.test(text);
}

export interface TokenDraft {
  prefix: string;
  key: string;
  placement: Placement;
  prompt: boolean;
  /** The value typed, or null when no value field is shown. */
  value: string | null;
}

export type FieldErrors = Partial<Record<"prefix" | "key" | "value", string>>;

/** Obvious mistakes only; the backend remains the authority. */
export function validateDraft(draft: TokenDraft): FieldErrors {
  const errors: FieldErrors = {};
  const prefix = draft.prefix.trim();
  if (prefix === "") errors.prefix = "Enter the URL prefix the token is for, such as https://example.com/api/.";
  else if (!/^https?:\/\//i.test(prefix)) errors.prefix = "A URL prefix starts with https://.";
  if (draft.key.trim() === "") errors.key = "Enter the key, such as “username”, “token” or a form field name.";
  if (!draft.prompt && draft.value !== null) {
    if (draft.value === "") errors.value = "Enter the value, or turn on “Prompt” to be asked each time.";
    else if (hasControlCharacters(draft.value))
      errors.value = "The value cannot contain control characters such as line breaks or tabs.";
    else if (draft.placement === "header" && draft.key.trim() === "username" && draft.value.includes(":"))
      errors.value = "A Basic user name cannot contain “:”.";
  }
  return errors;
}

const TOKEN_FIELDS = ["prefix", "key", "value"] as const satisfies readonly InputField[];
type TokenField = (typeof TOKEN_FIELDS)[number];

/**
 * Which form field a backend error belongs to (null: the whole form), by the field the
 * core names in refused input (`IpcError.field`), never by the message's wording.
 */
export function fieldForBackendError(error: Pick<IpcError, "code" | "field">): TokenField | null {
  if (error.code === "conflict") return "key";
  if (error.code !== "invalid_input") return null;
  return (TOKEN_FIELDS as readonly string[]).includes(error.field ?? "") ? (error.field as TokenField) : null;
}

/** Where an attached token goes, in words. */
export function attachedLabel(line: MatchLineDto, attached: readonly MatchLineDto[]): string {
  switch (line.attached) {
    case "authorization_basic": {
      if (line.key === "password") return "Authorization: Basic (password)";
      const withPassword = attached.some(
        (other) => other.attached === "authorization_basic" && other.key === "password",
      );
      return withPassword
        ? "Authorization: Basic (user name, with password)"
        : "Authorization: Basic (user name, without password)";
    }
    case "header":
      return `header ${line.key}`;
    case null:
      return "not attached";
    default:
      return ATTACHED_LABELS[line.attached];
  }
}

/** Whether `text` contains every word of `query` (case-insensitive); an empty query matches. */
export function matchesQuery(query: string, ...texts: (string | null | undefined)[]): boolean {
  const words = query
    .toLowerCase()
    .split(/\s+/)
    .filter((w) => w !== "");
  if (words.length === 0) return true;
  const haystack = texts.filter(Boolean).join(" ").toLowerCase();
  return words.every((word) => haystack.includes(word));
}

// URL-token presets: the token form starts from what the user wants ("API key in the
// address", "Bearer token", …) and this module maps the choice onto the model's prefix,
// key and placement (docs/glossary.md). A preset never holds a saved value.
import type { Placement } from "./bindings/Placement";
import type { TokenInputDto } from "./bindings/TokenInputDto";
import type { UrlTokenDto } from "./bindings/UrlTokenDto";

export type Preset = "query" | "named_header" | "bearer" | "basic" | "form";

export interface PresetInfo {
  id: Preset;
  label: string;
  /** One line under the choice. */
  hint: string;
  /** What the key field is called for this preset; null when the key is fixed. */
  keyLabel: string | null;
  keyPlaceholder: string;
  valueLabel: string;
}

export const PRESETS: readonly PresetInfo[] = [
  {
    id: "query",
    label: "API key in the address",
    hint: "Added to the address as ?name=value (and to the body of a POST).",
    keyLabel: "Parameter name",
    keyPlaceholder: "api_key",
    valueLabel: "API key",
  },
  {
    id: "named_header",
    label: "API key in a header",
    hint: "Sent as its own header, for example X-API-Key: value.",
    keyLabel: "Header name",
    keyPlaceholder: "X-API-Key",
    valueLabel: "API key",
  },
  {
    id: "bearer",
    label: "Bearer token",
    hint: "Sent as Authorization: Bearer value.",
    keyLabel: null,
    keyPlaceholder: "",
    valueLabel: "Token",
  },
  {
    id: "basic",
    label: "User name and password",
    hint: "Sent as Authorization: Basic (the user name and password together).",
    keyLabel: null,
    keyPlaceholder: "",
    valueLabel: "Password",
  },
  {
    id: "form",
    label: "Form field",
    hint: "Sent in the body of a POST (and in the address of a GET).",
    keyLabel: "Field name",
    keyPlaceholder: "access_key",
    valueLabel: "Value",
  },
];

/** The presets this build's backend can store ("API key in a header" needs the named-header placement). */
export function availablePresets(namedHeader: boolean): PresetInfo[] {
  return PRESETS.filter((preset) => namedHeader || preset.id !== "named_header");
}

export function presetInfo(id: Preset): PresetInfo {
  return PRESETS.find((preset) => preset.id === id) ?? PRESETS[0]!;
}

export interface PresetDraft {
  preset: Preset;
  prefix: string;
  key: string;
  value: string;
  username: string;
  requiresPermission: boolean;
  prompt: boolean;
}

/** The model's key and placement for a preset (basic: the password's). */
export function modelOf(preset: Preset, key: string): { key: string; placement: Placement } {
  switch (preset) {
    case "bearer":
      return { key: "token", placement: "header" };
    case "basic":
      return { key: "password", placement: "header" };
    case "named_header":
      return { key: key.trim(), placement: "named_header" as Placement };
    default:
      return { key: key.trim(), placement: "form" };
  }
}

/** The tokens to add for a preset: one, or two for a user name and password. */
export function inputsFor(draft: PresetDraft): TokenInputDto[] {
  const prefix = draft.prefix.trim();
  const { key, placement } = modelOf(draft.preset, draft.key);
  const main: TokenInputDto = {
    prefix,
    key,
    placement,
    requiresPermission: draft.requiresPermission,
    prompt: draft.prompt,
    value: draft.prompt ? null : draft.value,
  };
  if (draft.preset !== "basic") return [main];
  return [
    {
      prefix,
      key: "username",
      placement: "header",
      requiresPermission: draft.requiresPermission,
      prompt: draft.prompt,
      value: draft.prompt ? null : draft.username,
    },
    main,
  ];
}

/**
 * Which preset describes a saved token (for editing). A header token whose key is not
 * username, password or token is one the model ignores: it is edited as "API key in a
 * header", which is what it was meant to be.
 */
export function presetOf(token: Pick<UrlTokenDto, "key" | "placement">): Preset {
  const placement = token.placement as string;
  if (placement === "named_header") return "named_header";
  if (placement === "header") {
    if (token.key === "token") return "bearer";
    if (token.key === "username" || token.key === "password") return "basic";
    return "named_header";
  }
  return "form";
}

/** The short label on a token's row. */
export function kindLabel(token: Pick<UrlTokenDto, "key" | "placement">): string {
  const placement = token.placement as string;
  if (placement === "header") {
    if (token.key === "token") return "Bearer token";
    if (token.key === "username") return "User name";
    if (token.key === "password") return "Password";
    return "Header (not sent)";
  }
  if (placement === "named_header") return "API key in a header";
  return "Form field or address";
}

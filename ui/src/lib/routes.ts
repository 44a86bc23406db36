export type RouteId =
  | "channels"
  | "players"
  | "url-tokens"
  | "preview"
  | "token-requests"
  | "contacts"
  | "settings";

export interface RouteInfo {
  id: RouteId;
  label: string;
  /** Short explanation of what the page is for. */
  summary: string;
}

export const ROUTES: readonly RouteInfo[] = [
  {
    id: "channels",
    label: "Channels",
    summary:
      "Channels are the third-party accounts you connect, such as Microsoft 365 or Google. " +
      "You sign in through your system browser with OAuth, and can re-authorize or disconnect a channel here at any time.",
  },
  {
    id: "players",
    label: "Players",
    summary:
      "Players are the screens you register. Each player receives short-lived access grants, valid for at most 15 minutes, " +
      "for the channels linked to it.",
  },
  {
    id: "url-tokens",
    label: "URL tokens",
    summary:
      "URL tokens are credentials kept per URL. They are attached to data requests for that URL, " +
      "either as form fields or as an Authorization header.",
  },
  {
    id: "preview",
    label: "Preview",
    summary:
      "Preview fetches a data URL exactly as a player would, with the same credentials, and shows you what came back.",
  },
  {
    id: "token-requests",
    label: "Token requests",
    summary:
      "Token requests are tokens your contacts share with you. You can use a shared token in your content, " +
      "but you can never read its value.",
  },
  {
    id: "contacts",
    label: "Contacts",
    summary:
      "Contacts are the people you share URL tokens with. You exchange contact cards once; after that, " +
      "tokens travel between you sealed and signed, as a link or a file.",
  },
  {
    id: "settings",
    label: "Settings",
    summary: "Where Lanyard keeps its data, and how your secrets are stored.",
  },
];

export const DEFAULT_ROUTE: RouteId = "channels";

export function hrefFor(id: RouteId): string {
  return `#/${id}`;
}

/** Maps `location.hash` (e.g. `#/settings`) to a known route, defaulting to Channels. */
export function routeFromHash(hash: string): RouteInfo {
  const id = hash.replace(/^#\/?/, "").split(/[/?]/, 1)[0] ?? "";
  return ROUTES.find((route) => route.id === id) ?? routeById(DEFAULT_ROUTE);
}

export function routeById(id: RouteId): RouteInfo {
  const route = ROUTES.find((candidate) => candidate.id === id);
  if (!route) throw new Error(`unknown route: ${id}`);
  return route;
}

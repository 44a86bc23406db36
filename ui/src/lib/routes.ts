export type RouteId =
  "start" | "channels" | "players" | "health" | "url-tokens" | "preview" | "token-requests" | "contacts" | "settings";

export interface RouteInfo {
  id: RouteId;
  label: string;
  /** Short explanation of what the page is for. */
  summary: string;
}

/**
 * The window's pages. The ids stay the CLI's and API's names (`channels`, `token-requests`);
 * the labels are the window's plain words (docs/glossary.md maps one to the other).
 */
export const ROUTES: readonly RouteInfo[] = [
  {
    id: "start",
    label: "Get started",
    summary: "Four short steps from an empty Lanyard to a feed you can see.",
  },
  {
    id: "channels",
    label: "Accounts",
    summary:
      "Accounts are the online services you connect, such as Microsoft 365 or Google. " +
      "You sign in in your own browser; Lanyard never sees your password. Re-authorize or disconnect an account here at any time.",
  },
  {
    id: "players",
    label: "Players",
    summary:
      "Players are the screens that show your content. Allow a player to use an account or a URL token, " +
      "and it gets the data — never for longer than 15 minutes at a time.",
  },
  {
    id: "health",
    label: "Health",
    summary:
      "What will stop when: re-authorizations due, tokens and client secrets that expire, each with the screens " +
      "it would blank. Check now refreshes every account and fetches each screen's data as the screen.",
  },
  {
    id: "url-tokens",
    label: "URL tokens",
    summary:
      "URL tokens are API keys, passwords and other credentials kept per web address. Lanyard adds them " +
      "to every request for that address, so your content never has to contain them.",
  },
  {
    id: "preview",
    label: "Preview",
    summary:
      "Preview fetches a data URL exactly as a player would, with the same credentials, and shows you what came back.",
  },
  {
    id: "token-requests",
    label: "Shared with me",
    summary:
      "URL tokens your contacts share with you wait here until you accept them. You can use a shared token in your content, " +
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
    summary: "Your own sign-in setups, reminders, the gateway for players, and where Lanyard keeps its data.",
  },
];

export const DEFAULT_ROUTE: RouteId = "channels";

export function hrefFor(id: RouteId): string {
  return `#/${id}`;
}

/** Maps `location.hash` (e.g. `#/settings`) to a known route, defaulting to Accounts. */
export function routeFromHash(hash: string): RouteInfo {
  const id = hash.replace(/^#\/?/, "").split(/[/?]/, 1)[0] ?? "";
  return ROUTES.find((route) => route.id === id) ?? routeById(DEFAULT_ROUTE);
}

export function routeById(id: RouteId): RouteInfo {
  const route = ROUTES.find((candidate) => candidate.id === id);
  if (!route) throw new Error(`unknown route: ${id}`);
  return route;
}

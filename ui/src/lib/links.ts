// What the UI does with a link the OS handed to Lanyard: which page shows it, and what
// to tell the user. The backend has already parsed (or refused) the link.
import type { DeepLinkEvent } from "./bindings/DeepLinkEvent";
import type { DeepLinkKind } from "./bindings/DeepLinkKind";
import type { RouteId } from "./routes";

export interface LinkNotice {
  tone: "info" | "error";
  text: string;
  /** The page to open, if any. */
  route: RouteId | null;
}

const ACCEPTED: Record<DeepLinkKind, { route: RouteId; text: string }> = {
  oauth_callback: {
    route: "channels",
    text: "Your browser returned from a sign-in.",
  },
  open_channel: { route: "channels", text: "Opened from a link to a channel." },
  offer: {
    route: "token-requests",
    text: "A token offer link arrived, but this build cannot import offers yet, so nothing was stored.",
  },
  contact: {
    route: "settings",
    text: "A contact card link arrived, but this build cannot add contacts yet, so nothing was stored.",
  },
};

/** Turns a `deep-link` event into a notice for the user. */
export function noticeFor(event: DeepLinkEvent): LinkNotice {
  if (event.outcome === "refused") {
    return {
      tone: "error",
      text: `A link was refused and nothing was changed: ${event.error.message}`,
      route: null,
    };
  }
  const { route, text } = ACCEPTED[event.kind];
  return { tone: "info", text, route };
}

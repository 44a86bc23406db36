// What the UI does with a link the OS handed to Lanyard: which page shows it, and what
// to tell the user. The backend has already parsed (or refused) the link.
import type { DeepLinkEvent } from "./bindings/DeepLinkEvent";
import type { DeepLinkKind } from "./bindings/DeepLinkKind";
import type { RouteId } from "./routes";

export interface LinkNotice {
  tone: "info" | "error";
  text: string;
}

/** What to do with a link: the notice to show (if any) and the page to open (if any). */
export interface LinkAction {
  notice: LinkNotice | null;
  route: RouteId | null;
}

/** A null text means "no separate notice". */
const ACCEPTED: Record<DeepLinkKind, { route: RouteId; text: string | null }> = {
  // The Channels page says "Connected …" itself when the `oauth-result` arrives.
  oauth_callback: { route: "channels", text: null },
  open_channel: { route: "channels", text: "Opened from a link to an account." },
  // The backend verifies the offer and says how it went with a `token-requests` event.
  offer: { route: "token-requests", text: null },
  // The card waits on the Contacts page for the user to confirm it (`contact-card` event).
  contact: { route: "contacts", text: null },
  // The provider file's own confirmation (a `provider-file` event) says what it adds.
  provider: { route: "settings", text: null },
};

/** Turns a `deep-link` event into what the UI does: a notice and/or a page to open. */
export function actionFor(event: DeepLinkEvent): LinkAction {
  if (event.outcome === "refused") {
    return {
      notice: {
        tone: "error",
        text: `A link was refused and nothing was changed: ${event.error.message}`,
      },
      route: null,
    };
  }
  const { route, text } = ACCEPTED[event.kind];
  return { notice: text === null ? null : { tone: "info", text }, route };
}

// What the window knows about the installation as a whole, shared by the sidebar (the
// "Get started" entry, the badge on Accounts) and the first-run checklist. Every tick comes
// from real state read from the backend, except the name for sharing: the backend always
// has one (from $USER), so that step is done once the user has looked at it and kept or
// changed it (remembered in localStorage).
import { channelsList, identityShow, linksList, playersList, previewHistory, tokenLinksList, tokensList } from "./ipc";
import type { ChannelDto } from "./ipc";

export type StepId = "name" | "connect" | "player" | "preview";

export interface Step {
  id: StepId;
  title: string;
  detail: string;
  done: boolean;
}

const NAME_SEEN_KEY = "lanyard.setup.name-confirmed";

function nameSeen(): boolean {
  try {
    return window.localStorage.getItem(NAME_SEEN_KEY) === "1";
  } catch {
    return false;
  }
}

export class SetupState {
  /** True once the first load finished (successfully or not). */
  loaded = $state(false);
  channels = $state<ChannelDto[]>([]);
  tokenCount = $state(0);
  /** Players (not the desktop license) and whether any of them is allowed something. */
  playerCount = $state(0);
  allowedPlayer = $state(false);
  /** A preview answered with a 2xx status at least once. */
  previewed = $state(false);
  name = $state<string | null>(null);
  nameConfirmed = $state(nameSeen());
  #generation = 0;

  /** Accounts that need the user to sign in again (the badge on Accounts). */
  get needsReauth(): number {
    return this.channels.filter((c) => c.status === "needs_reauth").length;
  }

  get steps(): Step[] {
    return [
      {
        id: "name",
        title: "Your name for sharing",
        detail: "The name your contacts see when you share a URL token with them.",
        done: this.nameConfirmed,
      },
      {
        id: "connect",
        title: "Connect an account, or add a URL token",
        detail: "Sign in to a service such as Microsoft 365, or keep an API key for a feed's address.",
        done: this.channels.length > 0 || this.tokenCount > 0,
      },
      {
        id: "player",
        title: "Add a player and allow it",
        detail: "Register the screen that shows your content, and allow it to use the account or token.",
        done: this.allowedPlayer,
      },
      {
        id: "preview",
        title: "Preview a feed",
        detail: "Fetch a data address exactly as a player would, and see what comes back.",
        done: this.previewed,
      },
    ];
  }

  get allDone(): boolean {
    return this.steps.every((step) => step.done);
  }

  /** No account and no URL token yet: the Accounts page shows the checklist. */
  get empty(): boolean {
    return this.channels.length === 0 && this.tokenCount === 0;
  }

  confirmName(name: string): void {
    this.name = name;
    this.nameConfirmed = true;
    try {
      window.localStorage.setItem(NAME_SEEN_KEY, "1");
    } catch {
      // No storage (private mode): the step stays ticked for this session only.
    }
  }

  /** Re-reads everything; each part fails on its own and keeps its last value. */
  async load(): Promise<void> {
    const generation = ++this.#generation;
    const fresh = () => generation === this.#generation;
    const [channels, tokens, players, links, tokenLinks, history, identity] = await Promise.allSettled([
      channelsList(),
      tokensList(),
      playersList(),
      linksList(),
      tokenLinksList(),
      previewHistory(),
      identityShow(),
    ]);
    if (!fresh()) return;
    if (channels.status === "fulfilled") this.channels = channels.value;
    if (tokens.status === "fulfilled") this.tokenCount = tokens.value.length;
    if (players.status === "fulfilled") {
      const ids = new Set(players.value.filter((p) => p.kind !== "license").map((p) => p.id));
      this.playerCount = ids.size;
      const linked = [
        ...(links.status === "fulfilled" ? links.value : []),
        ...(tokenLinks.status === "fulfilled" ? tokenLinks.value : []),
      ];
      this.allowedPlayer = linked.some((link) => ids.has(link.principalId));
    }
    if (history.status === "fulfilled") {
      this.previewed = history.value.some(
        (entry) => entry.status !== null && entry.status >= 200 && entry.status < 300,
      );
    }
    if (identity.status === "fulfilled") this.name = identity.value.name;
    this.loaded = true;
  }
}

/** The one instance the window shares. */
export const setup = new SetupState();

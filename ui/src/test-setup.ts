import { clearMocks } from "@tauri-apps/api/mocks";
import { cleanup } from "@testing-library/svelte";
import { afterEach } from "vitest";
import { resetDrafts } from "./lib/drafts.svelte";
import { setup } from "./lib/setup.svelte";
import { undoRemoval } from "./lib/undo.svelte";

afterEach(() => {
  // Unmount first: components unlisten from events through the (still mocked) IPC.
  cleanup();
  clearMocks();
  window.location.hash = "";
  // Module state above the pages: every test starts from an empty window.
  resetDrafts();
  undoRemoval();
  Object.assign(setup, {
    loaded: false,
    channels: [],
    tokenCount: 0,
    playerCount: 0,
    allowedPlayer: false,
    previewed: false,
    name: null,
    nameConfirmed: false,
  });
  window.localStorage.clear();
});

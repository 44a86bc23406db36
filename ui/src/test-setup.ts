import { clearMocks } from "@tauri-apps/api/mocks";
import { cleanup } from "@testing-library/svelte";
import { afterEach } from "vitest";

afterEach(() => {
  // Unmount first: components unlisten from events through the (still mocked) IPC.
  cleanup();
  clearMocks();
  window.location.hash = "";
});

// Bundled into an IIFE by settings.browser.mjs and injected with
// page.addInitScript before the app loads. It stands in for the Tauri runtime.
import { emit } from "@tauri-apps/api/event";
import { mockIPC, mockWindows } from "@tauri-apps/api/mocks";

mockWindows("main");
// Every command the app sent, so the test can assert arguments.
window.__LANYARD_TEST_CALLS__ = [];
mockIPC(
  (cmd, args) => {
    window.__LANYARD_TEST_CALLS__.push({ cmd, args: args ?? {} });
    const fixture = window.__LANYARD_TEST_IPC__ ?? {};
    if (cmd in fixture) return fixture[cmd];
    throw { code: "not_mocked", message: `command ${cmd} is not mocked in the browser test` };
  },
  // Lets the pages subscribe to backend events (`deep-link`, `oauth-result`) without a runtime.
  { shouldMockEvents: true },
);
// Lets the test fire a backend event (e.g. `prompt-request`) at the app.
window.__LANYARD_TEST_EMIT__ = (event, payload) => emit(event, payload);

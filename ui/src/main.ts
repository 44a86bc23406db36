import { flushSync, mount } from "svelte";
import "./app.css";
import "./boot.css";
import App from "./App.svelte";
import { beginStartup, endStartup, firstDataOrTimeout } from "./lib/early";
import { startupMark } from "./lib/ipc";
import { routeFromHash } from "./lib/routes";

startupMark("script evaluated");
// The first page's data is asked for before anything renders (see lib/early.ts), and the
// app mounts once it is here (or FIRST_DATA_WAIT_MS passed), so its first frame has it.
const firstData = firstDataOrTimeout(beginStartup(routeFromHash(window.location.hash).id)).then(() =>
  startupMark("first data"),
);

const target = document.getElementById("app");
if (!target) throw new Error("missing #app element");

/** Whether the window has painted already (the start-up skeleton in index.html). */
function painted(): boolean {
  try {
    return performance.getEntriesByType("paint").length > 0;
  } catch {
    return false;
  }
}

/** Resolves after the window has painted a frame (the start-up skeleton in index.html). */
function afterNextPaint(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}

// The skeleton paints first; the app renders behind it and replaces it in one frame. When
// the skeleton is on screen already, there is no frame to wait for.
const app = Promise.all([painted() ? undefined : afterNextPaint(), firstData]).then(() => {
  startupMark("mounting");
  const mounted = mount(App, { target });
  // The app's first effects (its pages' first reads) run now, and share the start-up's
  // calls; later reads go to the backend afresh.
  flushSync();
  endStartup();
  document.getElementById("boot")?.remove();
  startupMark("mounted");
  return mounted;
});

export default app;

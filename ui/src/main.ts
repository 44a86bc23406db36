import { mount } from "svelte";
import "./app.css";
import "./boot.css";
import App from "./App.svelte";
import { startupMark } from "./lib/ipc";

startupMark("script evaluated");

const target = document.getElementById("app");
if (!target) throw new Error("missing #app element");

/** Resolves after the window has painted a frame (the start-up skeleton in index.html). */
function afterNextPaint(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}

// The skeleton paints first; the app renders behind it and replaces it in one frame.
const app = afterNextPaint().then(() => {
  startupMark("mounting");
  const mounted = mount(App, { target });
  document.getElementById("boot")?.remove();
  startupMark("mounted");
  return mounted;
});

export default app;

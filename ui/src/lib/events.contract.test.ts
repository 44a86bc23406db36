// The shell's events, both sides. The shell emits exactly the names in its `EventName`
// list (src-tauri/src/events.rs; its tests check every emitter takes its name from there),
// generated into `bindings/EventName.ts`. Here: `ipc.ts` listens to exactly those names,
// one listener each. Renaming an event in the shell changes the generated union and fails
// this test (and `npm run check`, as `listenTo` takes an `EventName`); renaming or dropping
// a listener here fails it too, and the shell's `the_window_listens_to_each_event`.
import { mockIPC } from "@tauri-apps/api/mocks";
import { describe, expect, it } from "vitest";
import eventNameSource from "./bindings/EventName.ts?raw";
import * as ipc from "./ipc";

/** The names in the generated union `export type EventName = "a" | "b" | …;`. */
function generatedNames(source: string): string[] {
  const union = /export type EventName\s*=([^;]*);/.exec(source);
  if (!union?.[1]) throw new Error("bindings/EventName.ts has no EventName union");
  return [...union[1].matchAll(/"([^"]+)"/g)].map((m) => m[1] ?? "");
}

describe("the shell's events", () => {
  it("are listened to by ipc.ts, each by exactly one listener", async () => {
    const emitted = generatedNames(eventNameSource);
    expect(emitted.length, "the shell emits six events").toBe(6);

    const listened: string[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "plugin:event|listen") listened.push(String((args as { event: unknown }).event));
      return 0;
    });
    const listeners = Object.entries(ipc).filter(
      ([name, value]) => /^on[A-Z]/.test(name) && typeof value === "function",
    );
    for (const [, listen] of listeners) {
      await (listen as (handler: () => void) => Promise<unknown>)(() => {});
    }
    expect(listened.length, "one event per listener").toBe(listeners.length);
    expect([...listened].sort()).toEqual([...emitted].sort());
  });
});

import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  beginStartup,
  endStartup,
  FIRST_DATA_WAIT_MS,
  FIRST_PAGE_READS,
  firstDataOrTimeout,
  START_READS,
} from "./early";
import { channelsList, linksList, status, tokensList } from "./ipc";
import { makeStatus } from "./test-fixtures";

/** A backend whose answers wait until `answer(command)`; records the order of the calls. */
function heldBackend() {
  const asked: string[] = [];
  const waiting = new Map<string, () => void>();
  mockIPC((cmd) => {
    asked.push(cmd);
    return new Promise((resolve) => {
      waiting.set(cmd, () => resolve(cmd === "status" ? makeStatus() : []));
    });
  });
  const answer = (cmd: string) => {
    const release = waiting.get(cmd);
    if (!release) throw new Error(`${cmd} was not asked`);
    release();
  };
  return { asked, answer };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

afterEach(() => {
  endStartup();
  clearMocks();
});

describe("beginStartup", () => {
  it("asks for the first page's reads first, and the others only once those answered", async () => {
    const backend = heldBackend();
    beginStartup("channels");
    await tick();
    expect(backend.asked).toEqual(["channels_list", "links_list"]);
    backend.answer("channels_list");
    await tick();
    expect(backend.asked).toEqual(["channels_list", "links_list"]);
    backend.answer("links_list");
    await tick();
    expect([...backend.asked].sort()).toEqual([...START_READS].sort());
  });

  it("hands the calls under way to the app's reads: one call per read, each caller its own copy", async () => {
    const backend = heldBackend();
    beginStartup("channels");
    const page = channelsList();
    const checklist = channelsList();
    const links = linksList();
    backend.answer("channels_list");
    backend.answer("links_list");
    const [a, b] = await Promise.all([page, checklist, links]);
    expect(a).toEqual([]);
    expect(a).not.toBe(b);
    const sidebar = status();
    await tick();
    backend.answer("status");
    expect((await sidebar).version).toBe(makeStatus().version);
    expect(backend.asked.filter((c) => c === "channels_list")).toHaveLength(1);
    expect(backend.asked.filter((c) => c === "status")).toHaveLength(1);
  });

  it("asks afresh once the start is over", async () => {
    const backend = heldBackend();
    beginStartup("channels");
    backend.answer("channels_list");
    backend.answer("links_list");
    await tick();
    endStartup();
    const later = tokensList();
    await tick();
    expect(backend.asked.filter((c) => c === "tokens_list")).toHaveLength(2);
    backend.answer("tokens_list");
    expect(await later).toEqual([]);
  });

  it("passes a refusal on to whoever asks, like a call of its own", async () => {
    mockIPC((cmd) => {
      if (cmd === "channels_list") throw { code: "storage", message: "disk full" };
      return [];
    });
    beginStartup("channels");
    await expect(channelsList()).rejects.toEqual({ code: "storage", message: "disk full" });
  });

  it("starts every read at once on a page without first reads of its own", async () => {
    const backend = heldBackend();
    beginStartup("settings");
    await tick();
    expect(FIRST_PAGE_READS.settings).toBeUndefined();
    expect([...backend.asked].sort()).toEqual([...START_READS].sort());
  });
});

describe("firstDataOrTimeout (the app mounts once the first page's data is here)", () => {
  /** Whether `promise` has settled after the pending microtasks ran. */
  async function settled(promise: Promise<unknown>): Promise<boolean> {
    let done = false;
    void promise.then(() => (done = true));
    await Promise.resolve();
    await Promise.resolve();
    await Promise.resolve();
    return done;
  }

  it("waits for the first page's reads and no longer", async () => {
    const backend = heldBackend();
    const ready = firstDataOrTimeout(beginStartup("channels"));
    await tick();
    expect(await settled(ready)).toBe(false);
    backend.answer("channels_list");
    await tick();
    expect(await settled(ready)).toBe(false);
    backend.answer("links_list");
    await tick();
    expect(await settled(ready)).toBe(true);
  });

  it("mounts on a refusal too: the page shows the error itself", async () => {
    mockIPC(() => {
      throw { code: "storage", message: "disk full" };
    });
    await expect(firstDataOrTimeout(beginStartup("channels"))).resolves.toBeUndefined();
  });

  it("does not wait longer than FIRST_DATA_WAIT_MS for a backend that hangs", async () => {
    vi.useFakeTimers();
    try {
      const never = new Promise<void>(() => {});
      const ready = firstDataOrTimeout(never);
      await vi.advanceTimersByTimeAsync(FIRST_DATA_WAIT_MS - 1);
      expect(await settled(ready)).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(await settled(ready)).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it("does not wait at all on a page without first reads", async () => {
    heldBackend();
    const ready = firstDataOrTimeout(beginStartup("settings"));
    await tick();
    expect(await settled(ready)).toBe(true);
  });
});

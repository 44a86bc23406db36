import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import { beginStartup, endStartup, FIRST_PAGE_READS, START_READS } from "./early";
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

import { mockIPC } from "@tauri-apps/api/mocks";
import { describe, expect, it } from "vitest";
import {
  auditList,
  isIpcError,
  linkAdd,
  linkRemove,
  linksList,
  playerAdd,
  playerRemove,
  playersList,
  promptAnswer,
  status,
  tokenAdd,
  tokenEdit,
  tokenMatch,
  toIpcError,
} from "./ipc";
import { makeStatus } from "./test-fixtures";

describe("isIpcError", () => {
  it("accepts the backend error shape", () => {
    expect(isIpcError({ code: "not_found", message: "gone" })).toBe(true);
  });

  it("rejects anything else", () => {
    expect(isIpcError(null)).toBe(false);
    expect(isIpcError("boom")).toBe(false);
    expect(isIpcError({ code: 1, message: "x" })).toBe(false);
    expect(isIpcError({ message: "x" })).toBe(false);
    expect(isIpcError(new Error("x"))).toBe(false);
  });
});

describe("status()", () => {
  it("invokes the status command and returns its result", async () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
      return makeStatus();
    });
    await expect(status()).resolves.toEqual(makeStatus());
    expect(calls).toEqual(["status"]);
  });

  it("passes a backend IpcError through unchanged", async () => {
    mockIPC(() => {
      throw { code: "secret_store_unavailable", message: "No keyring" };
    });
    await expect(status()).rejects.toEqual({
      code: "secret_store_unavailable",
      message: "No keyring",
    });
  });

  it("normalizes a string rejection to an internal IpcError", async () => {
    mockIPC(() => Promise.reject("command status not found"));
    await expect(status()).rejects.toEqual({
      code: "internal",
      message: "command status not found",
    });
  });

  it("normalizes a thrown Error to an internal IpcError", async () => {
    mockIPC(() => {
      throw new TypeError("bad things");
    });
    await expect(status()).rejects.toEqual({ code: "internal", message: "bad things" });
  });

  it("normalizes the missing Tauri runtime to an internal IpcError", async () => {
    // No mockIPC: window.__TAURI_INTERNALS__ is absent, as in a plain browser.
    const error: unknown = await status().then(
      () => null,
      (e: unknown) => e,
    );
    expect(isIpcError(error)).toBe(true);
    expect(error).toMatchObject({ code: "internal" });
  });
});

describe("toIpcError", () => {
  it("stringifies unknown values", () => {
    expect(toIpcError(42)).toEqual({ code: "internal", message: "42" });
    expect(toIpcError(undefined)).toEqual({ code: "internal", message: "undefined" });
  });

  it("drops extra fields from an IpcError", () => {
    expect(toIpcError({ code: "a", message: "b", extra: 1 })).toEqual({ code: "a", message: "b" });
  });
});

describe("players, links and audit wrappers", () => {
  it("invoke the right commands with camelCase arguments", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      return cmd.endsWith("_list") ? [] : null;
    });
    await playersList();
    await playerAdd("Lobby screen", null);
    await playerRemove("pl-1");
    await linksList();
    await linkAdd("license", "ch-1");
    await linkRemove("pl-1", "ch-2");
    await auditList({ channelId: "ch-1", since: 1_700_000_000, limit: 50 });
    expect(calls).toEqual([
      { cmd: "players_list", args: {} },
      { cmd: "player_add", args: { name: "Lobby screen", serial: null } },
      { cmd: "player_remove", args: { id: "pl-1" } },
      { cmd: "links_list", args: {} },
      { cmd: "link_add", args: { principalId: "license", channelId: "ch-1" } },
      { cmd: "link_remove", args: { principalId: "pl-1", channelId: "ch-2" } },
      { cmd: "audit_list", args: { channelId: "ch-1", since: 1_700_000_000, limit: 50 } },
    ]);
  });
});

describe("URL token commands", () => {
  it("send their arguments in camelCase under the expected names", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      return null;
    });
    const input = {
      prefix: "https://a.example/",
      key: "token",
      placement: "header" as const,
      requiresPermission: true,
      prompt: false,
      value: "v",
    };
    await tokenAdd(input);
    await tokenEdit("tok-1", { ...input, value: null });
    await tokenMatch("https://a.example/x", "GET");
    await promptAnswer("q-1", { kind: "permission", answer: "accept_all" });
    expect(calls).toEqual([
      { cmd: "token_add", args: { input } },
      { cmd: "token_edit", args: { id: "tok-1", edit: { ...input, value: null } } },
      { cmd: "token_match", args: { url: "https://a.example/x", method: "GET" } },
      { cmd: "prompt_answer", args: { id: "q-1", reply: { kind: "permission", answer: "accept_all" } } },
    ]);
  });
});

import { describe, expect, it } from "vitest";
import { settle, withoutKey } from "./load";

describe("settle", () => {
  it("is ready with the data", async () => {
    expect(await settle(Promise.resolve([1, 2]))).toEqual({ kind: "ready", data: [1, 2] });
  });

  it("is the backend's error when refused, and an internal one for anything else", async () => {
    expect(await settle(Promise.reject({ code: "not_found", message: "gone" }))).toEqual({
      kind: "error",
      error: { code: "not_found", message: "gone" },
    });
    expect(await settle(Promise.reject(new Error("boom")))).toEqual({
      kind: "error",
      error: { code: "internal", message: "boom" },
    });
  });
});

describe("withoutKey", () => {
  it("drops one key and keeps the record it was given", () => {
    const record = { a: true, b: true };
    expect(withoutKey(record, "a")).toEqual({ b: true });
    expect(record).toEqual({ a: true, b: true });
  });
});

import { describe, expect, it } from "vitest";
import { makeMatchLine, makeToken } from "./test-fixtures";
import { attachedLabel, fieldForBackendError, groupByPrefix, validateDraft } from "./tokens";

describe("groupByPrefix", () => {
  it("groups by prefix, sorted, keys sorted within", () => {
    const groups = groupByPrefix([
      makeToken({ id: "1", prefix: "https://b.example/", key: "z" }),
      makeToken({ id: "2", prefix: "https://a.example/", key: "token" }),
      makeToken({ id: "3", prefix: "https://b.example/", key: "a" }),
    ]);
    expect(groups.map((g) => [g.prefix, g.tokens.map((t) => t.key)])).toEqual([
      ["https://a.example/", ["token"]],
      ["https://b.example/", ["a", "z"]],
    ]);
  });
});

describe("validateDraft", () => {
  const ok = { prefix: "https://a.example/", key: "token", placement: "form" as const, prompt: false, value: "v" };

  it("accepts a complete draft, and a prompt draft without value", () => {
    expect(validateDraft(ok)).toEqual({});
    expect(validateDraft({ ...ok, prompt: true, value: null })).toEqual({});
  });

  it("flags empty fields, control characters and a ':' in a Basic user name", () => {
    expect(Object.keys(validateDraft({ ...ok, prefix: " ", key: "", value: "" })).sort()).toEqual([
      "key",
      "prefix",
      "value",
    ]);
    expect(validateDraft({ ...ok, prefix: "example.com" }).prefix).toContain("https://");
    expect(validateDraft({ ...ok, value: "a\u0000b" }).value).toContain("control characters");
    expect(validateDraft({ ...ok, placement: "header", key: "username", value: "a:b" }).value).toContain(":");
    expect(validateDraft({ ...ok, placement: "form", key: "username", value: "a:b" })).toEqual({});
  });
});

describe("fieldForBackendError", () => {
  it("routes refused input by the field the backend names, not by its wording", () => {
    expect(fieldForBackendError({ code: "invalid_input", field: "prefix" })).toBe("prefix");
    expect(fieldForBackendError({ code: "invalid_input", field: "value" })).toBe("value");
    expect(fieldForBackendError({ code: "invalid_input", field: "key" })).toBe("key");
    // Wording that mentions a field no longer decides anything.
    expect(fieldForBackendError({ code: "invalid_input" })).toBeNull();
    expect(fieldForBackendError({ code: "invalid_input", field: "limit" })).toBeNull();
    expect(fieldForBackendError({ code: "conflict" })).toBe("key");
    expect(fieldForBackendError({ code: "storage", field: "key" })).toBeNull();
  });
});

describe("attachedLabel", () => {
  it("says where each token goes", () => {
    const user = makeMatchLine({ key: "username", attached: "authorization_basic" });
    const pass = makeMatchLine({ key: "password", attached: "authorization_basic" });
    expect(attachedLabel(user, [user, pass])).toBe("Authorization: Basic (user name, with password)");
    expect(attachedLabel(user, [user])).toBe("Authorization: Basic (user name, without password)");
    expect(attachedLabel(pass, [user, pass])).toBe("Authorization: Basic (password)");
    expect(attachedLabel(makeMatchLine(), [])).toBe("Authorization: Bearer");
    expect(attachedLabel(makeMatchLine({ attached: "form_body" }), [])).toBe("form body field");
    expect(attachedLabel(makeMatchLine({ attached: "query" }), [])).toBe("query parameter");
  });
});

import { describe, expect, it } from "vitest";
import { disconnectSummary, formatDueDate, relativeDue, statusBadge, usableProviders } from "./channels";
import { makeProvider, makeTemplates } from "./test-fixtures";

const NOW_MS = 1_750_000_000_000;
const NOW = NOW_MS / 1000;
const DAY = 86_400;

describe("relativeDue", () => {
  it("counts whole days ahead, and says overdue once passed", () => {
    expect(relativeDue(null, NOW_MS)).toBeNull();
    expect(relativeDue(NOW + 14 * DAY, NOW_MS)).toBe("in 14 days");
    expect(relativeDue(NOW + DAY + 60, NOW_MS)).toBe("in 1 day");
    expect(relativeDue(NOW + 3600, NOW_MS)).toBe("today");
    expect(relativeDue(NOW - 1, NOW_MS)).toBe("overdue");
  });
});

describe("formatDueDate", () => {
  it("shows a dash when there is no date", () => {
    expect(formatDueDate(null)).toBe("—");
    expect(formatDueDate(NOW)).toBe(new Intl.DateTimeFormat(undefined, { dateStyle: "medium" }).format(NOW_MS));
  });
});

describe("statusBadge", () => {
  it("labels every status", () => {
    expect(statusBadge("active")).toEqual({ text: "Active", tone: "good" });
    expect(statusBadge("needs_reauth")).toEqual({ text: "Sign in again", tone: "warn" });
    expect(statusBadge("revoked")).toEqual({ text: "Disconnected", tone: "bad" });
  });
});

describe("usableProviders", () => {
  it("keeps only your own providers with a client id", () => {
    const own = makeProvider();
    const noClient = makeProvider({ id: "x", clientId: null });
    expect(usableProviders([...makeTemplates(), own, noClient])).toEqual([own]);
  });
});

describe("disconnectSummary", () => {
  it("describes each revocation outcome", () => {
    const base = { channelId: "c", revocationDetail: null, unlinked: 1 };
    expect(disconnectSummary("a@x", "Google", { ...base, revocation: "revoked" })).toBe(
      "Disconnected a@x. 1 linked player lost access. Access was revoked at Google.",
    );
    expect(
      disconnectSummary("a@x", "Google", {
        ...base,
        unlinked: 0,
        revocation: "failed",
        revocationDetail: "HTTP 500.",
      }),
    ).toBe("Disconnected a@x. No player was linked to it. Revoking access at Google failed. HTTP 500.");
    expect(disconnectSummary("a@x", "Dropbox", { ...base, revocation: "not_supported" })).toContain(
      "does not support revoking",
    );
    const microsoft = disconnectSummary("a@x", "Microsoft 365", {
      ...base,
      revocation: "not_supported",
      revocationDetail: "Microsoft keeps the refresh token valid for up to 90 days.",
    });
    expect(microsoft).toContain("cannot revoke");
    expect(microsoft).toContain("90 days");
  });
});

import { describe, expect, it } from "vitest";
import { formatMs, formatSize, hasBody, headerPairs, placementText, statusClass, timingRows } from "./preview";

describe("preview helpers", () => {
  it("classes statuses", () => {
    expect([101, 204, 302, 404, 503].map(statusClass)).toEqual(["info", "success", "redirect", "client", "server"]);
  });

  it("says where credentials go", () => {
    expect(placementText("authorization_bearer")).toBe("Authorization: Bearer");
    expect(placementText("authorization_basic")).toBe("Authorization: Basic");
    expect(placementText("form_body")).toBe("form body field");
    expect(placementText("query")).toBe("query parameter");
  });

  it("offers a body except for GET and HEAD", () => {
    expect(["GET", "HEAD", "POST", "DELETE"].map(hasBody)).toEqual([false, false, true, true]);
  });

  it("formats sizes and durations", () => {
    expect(formatSize(512)).toBe("512 B");
    expect(formatSize(2048)).toBe("2.0 KB");
    expect(formatMs(0.2)).toBe("<1 ms");
    expect(formatMs(4.25)).toBe("4.3 ms");
    expect(formatMs(120.7)).toBe("121 ms");
  });

  it("scales timing bars to the longest measure", () => {
    expect(timingRows({ connectMs: 25, ttfbMs: 50, totalMs: 100 })).toEqual([
      { label: "Connect", ms: 25, percent: 25 },
      { label: "First byte", ms: 50, percent: 50 },
      { label: "Total", ms: 100, percent: 100 },
    ]);
    expect(timingRows({ connectMs: null, ttfbMs: 0, totalMs: 0 }).map((r) => r.label)).toEqual(["First byte", "Total"]);
  });

  it("turns header rows into pairs", () => {
    expect(
      headerPairs([
        { name: " Accept ", value: "text/xml" },
        { name: "", value: "" },
      ]),
    ).toEqual({ pairs: [["Accept", "text/xml"]], error: null });
    expect(headerPairs([{ name: "", value: "x" }]).error).toBe("Header 1 has a value but no name.");
  });
});

import { describe, expect, it } from "vitest";
import { relativeAgo } from "./format";
import { licenseFirst, linkedNames, sinceFor } from "./players";
import { makeLicense, makeLink, makePlayer } from "./test-fixtures";

describe("players helpers", () => {
  const now = 1_700_000_000_000;

  it("relativeAgo", () => {
    expect(relativeAgo(null, now)).toBe("never");
    expect(relativeAgo(now / 1000 - 10, now)).toBe("just now");
    expect(relativeAgo(now / 1000 - 60, now)).toBe("1 minute ago");
    expect(relativeAgo(now / 1000 - 3 * 3600, now)).toBe("3 hours ago");
    expect(relativeAgo(now / 1000 - 2 * 86_400, now)).toBe("2 days ago");
  });

  it("sinceFor", () => {
    expect(sinceFor("hour", now)).toBe(now / 1000 - 3600);
    expect(sinceFor("day", now)).toBe(now / 1000 - 86_400);
    expect(sinceFor("week", now)).toBe(now / 1000 - 7 * 86_400);
    expect(sinceFor("all", now)).toBeNull();
  });

  it("puts the license first and names it This desktop", () => {
    expect(licenseFirst([makePlayer(), makeLicense()]).map((p) => p.id)).toEqual(["license", "pl-1"]);
    const links = [
      makeLink(),
      makeLink({ principalId: "license", principalName: "Desktop license" }),
      makeLink({ principalId: "pl-2", principalName: "Kiosk", channelId: "ch-2" }),
    ];
    expect(linkedNames(links, "ch-1")).toEqual(["This desktop", "Lobby screen"]);
    expect(linkedNames(links, "ch-3")).toEqual([]);
  });
});

import { describe, expect, it } from "vitest";
import { noticeFor } from "./links";

describe("noticeFor", () => {
  it("shows a refused link as an error with the backend's message and opens nothing", () => {
    const notice = noticeFor({
      outcome: "refused",
      error: { code: "invalid_input", message: "not a Lanyard link" },
    });
    expect(notice.tone).toBe("error");
    expect(notice.text).toContain("not a Lanyard link");
    expect(notice.route).toBeNull();
  });

  it("routes accepted links to their page", () => {
    expect(noticeFor({ outcome: "accepted", kind: "offer" }).route).toBe("token-requests");
    expect(noticeFor({ outcome: "accepted", kind: "oauth_callback" }).route).toBe("channels");
    expect(noticeFor({ outcome: "accepted", kind: "open_channel" }).route).toBe("channels");
  });
});

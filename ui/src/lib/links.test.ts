import { describe, expect, it } from "vitest";
import { actionFor } from "./links";

describe("actionFor", () => {
  it("shows a refused link as an error with the backend's message and opens nothing", () => {
    const action = actionFor({
      outcome: "refused",
      error: { code: "invalid_input", message: "not a Lanyard link" },
    });
    expect(action.notice?.tone).toBe("error");
    expect(action.notice?.text).toContain("not a Lanyard link");
    expect(action.route).toBeNull();
  });

  it("routes accepted links to their page", () => {
    expect(actionFor({ outcome: "accepted", kind: "offer" }).route).toBe("token-requests");
    expect(actionFor({ outcome: "accepted", kind: "oauth_callback" }).route).toBe("channels");
    expect(actionFor({ outcome: "accepted", kind: "open_channel" }).route).toBe("channels");
  });

  it("shows no separate notice for a sign-in callback (Channels says Connected itself)", () => {
    expect(actionFor({ outcome: "accepted", kind: "oauth_callback" }).notice).toBeNull();
  });

  it("says what happened for the other accepted links", () => {
    // Offers and cards are announced by their own events once the backend has checked them.
    expect(actionFor({ outcome: "accepted", kind: "offer" }).notice).toBeNull();
    expect(actionFor({ outcome: "accepted", kind: "contact" }).route).toBe("contacts");
    expect(actionFor({ outcome: "accepted", kind: "open_channel" }).notice?.tone).toBe("info");
  });
});

import { describe, expect, it } from "vitest";
import { offerPlacement } from "./sharing";

describe("an offer's placement in words", () => {
  it("says where the value really goes", () => {
    expect(offerPlacement("form", "apikey")).toBe("Form field");
    expect(offerPlacement("header", "token")).toBe("Authorization: Bearer");
    expect(offerPlacement("header", "username")).toBe("Authorization: Basic");
    expect(offerPlacement("header", "X-Api-Key")).toBe("Header (ignored: not username, password or token)");
    // A named header is sent as its own header, never ignored.
    expect(offerPlacement("named_header", "X-Api-Key")).toBe("Header X-Api-Key");
    expect(offerPlacement("named_header", "token")).toBe("Header token");
  });
});

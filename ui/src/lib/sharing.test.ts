import { describe, expect, it } from "vitest";
import { OFFER_PLACEMENT_TEXT } from "./labels";

describe("an offer's placement in words", () => {
  it("says where the value really goes", () => {
    const text = (placement: keyof typeof OFFER_PLACEMENT_TEXT, key: string) => OFFER_PLACEMENT_TEXT[placement](key);
    expect(text("form", "apikey")).toBe("Form field");
    expect(text("header", "token")).toBe("Authorization: Bearer");
    expect(text("header", "username")).toBe("Authorization: Basic");
    expect(text("header", "password")).toBe("Authorization: Basic");
    expect(text("header", "X-Api-Key")).toBe("Header (ignored: not username, password or token)");
    // A named header is sent as its own header, never ignored.
    expect(text("named_header", "X-Api-Key")).toBe("Header X-Api-Key");
    expect(text("named_header", "token")).toBe("Header token");
  });
});

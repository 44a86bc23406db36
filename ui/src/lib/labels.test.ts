import { describe, expect, it } from "vitest";
import * as labels from "./labels";

// The tables' completeness is checked by the type checker (each is a Record over a
// generated union); this checks that no entry is blank.
describe("labels", () => {
  it("every entry of every table has words", () => {
    for (const [name, table] of Object.entries(labels)) {
      for (const [key, value] of Object.entries(table as Record<string, unknown>)) {
        const text =
          typeof value === "string"
            ? value
            : typeof value === "function"
              ? (value as (p: string, d: string | null) => string)("Provider", null)
              : (value as { text: string }).text;
        expect(text.trim(), `${name}.${key}`).not.toBe("");
      }
    }
  });
});

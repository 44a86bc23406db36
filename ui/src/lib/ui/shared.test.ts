// Every page and component builds cards, notices and dialogs from the shared pieces in lib/ui.
import { describe, expect, it } from "vitest";

// Every .svelte file under pages/ and lib/components/, as text (path relative to src/).
const SOURCES = {
  ...import.meta.glob<string>("../../pages/**/*.svelte", { query: "?raw", import: "default", eager: true }),
  ...import.meta.glob<string>("../components/**/*.svelte", { query: "?raw", import: "default", eager: true }),
};

function shortPath(path: string): string {
  return path.replace(/^(\.\.\/)+/, "").replace(/^components\//, "lib/components/");
}

/** What may only appear in lib/ui, and why. */
const RULES: { pattern: RegExp; why: string }[] = [
  { pattern: /role="(alert)?dialog"/, why: "a dialog of its own (use Dialog or ConfirmDialog)" },
  { pattern: /aria-modal/, why: "a modal of its own (use Dialog or ConfirmDialog)" },
  {
    pattern: /class="([^"]*\s)?(card|notice|dialog|backdrop)(?![\w-])/,
    why: "a local card/notice/dialog/backdrop (use Card, Notice, Dialog)",
  },
  {
    pattern: /class="([^"]*\s)?ly-(card|dialog|backdrop|error-notice)(?![\w-])/,
    why: "the shared look without the shared component (use Card, Dialog, ErrorNotice)",
  },
  {
    pattern: /class="([^"]*\s)?error-(code|message)(?![\w-])/,
    why: "a local error block (use ErrorNotice)",
  },
  {
    pattern: /^\s*[^{}]*\.(card|notice|dialog|backdrop|error-code)(?![\w-])[^{}]*\{/,
    why: "a scoped CSS rule for a shared piece (use the ly-* classes)",
  },
];

export function offences(text: string): { line: number; why: string; source: string }[] {
  const found: { line: number; why: string; source: string }[] = [];
  const styleStart = text.search(/<style[\s>]/);
  text.split("\n").forEach((source, index) => {
    const offset = text.split("\n").slice(0, index).join("\n").length;
    const inStyle = styleStart >= 0 && offset >= styleStart;
    for (const rule of RULES) {
      const css = rule.why.startsWith("a scoped CSS");
      if (css !== inStyle) continue;
      if (rule.pattern.test(source)) found.push({ line: index + 1, why: rule.why, source: source.trim() });
    }
  });
  return found;
}

describe("shared components", () => {
  const files = Object.keys(SOURCES);

  it("finds the pages and components", () => {
    expect(files.length).toBeGreaterThan(20);
    expect(files.some((f) => f.endsWith("pages/Players.svelte"))).toBe(true);
    expect(files.some((f) => f.endsWith("components/players/PlayersActivity.svelte"))).toBe(true);
  });

  it("catches a local copy", () => {
    expect(offences('<div class="card">x</div>')).toHaveLength(1);
    expect(offences('<div class="notice {tone}" role="status">x</div>')).toHaveLength(1);
    expect(offences('<div class="ly-dialog" role="dialog" aria-modal="true">')).toHaveLength(3);
    expect(offences('<p class="error-code">x</p>')).toHaveLength(1);
    expect(offences("<p>x</p>\n<style>\n  .card.wide {\n    max-width: 1px;\n  }\n</style>")).toHaveLength(1);
    expect(offences("<p>x</p>\n<style>\n  .wide,\n  .dialog p {\n  }\n</style>")).toHaveLength(1);
    expect(offences('<li class="x card">')).toHaveLength(1);
    expect(offences('<section class="ly-card" aria-labelledby="t">')).toHaveLength(1);
    expect(offences('<p class="ly-error-code">x</p>\n<div class="card-list">')).toHaveLength(0);
    expect(offences('<Card title="x" wide>y</Card>\n<style>\n  .cards {\n  }\n</style>')).toHaveLength(0);
  });

  it("no page or component defines its own card, notice or dialog", () => {
    const problems = files.flatMap((file) =>
      offences(SOURCES[file] ?? "").map((o) => `${shortPath(file)}:${o.line}: ${o.why}: ${o.source}`),
    );
    expect(problems, problems.join("\n")).toEqual([]);
  });
});

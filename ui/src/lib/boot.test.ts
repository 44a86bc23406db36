import { describe, expect, it } from "vitest";
import { DEFAULT_ROUTE, ROUTES, routeById } from "./routes";
import html from "../../index.html?raw";
import markSource from "./components/LanyardMark.svelte?raw";

// The start-up skeleton in index.html, painted before any script runs.
const boot = new DOMParser().parseFromString(html, "text/html").getElementById("boot");

describe("the start-up skeleton (index.html)", () => {
  it("shows the sidebar's own labels, in order", () => {
    const labels = [...(boot?.querySelectorAll(".boot-link") ?? [])].map((el) => el.textContent?.trim());
    expect(labels).toEqual(ROUTES.map((route) => route.label));
  });

  it("shows the first page's own heading and summary", () => {
    const first = routeById(DEFAULT_ROUTE);
    expect(boot?.querySelector(".boot-main h1")?.textContent).toBe(first.label);
    const summary = boot?.querySelector(".boot-main .ly-summary")?.textContent ?? "";
    // As rendered: white space collapsed.
    expect(summary.replace(/\s+/g, " ").trim()).toBe(first.summary);
  });

  it("carries more than 200 visible letters, WebKit's threshold for painting before the load event", () => {
    // WebKit's LocalFrameView: a page is "visually non-empty" (and painted) before its load
    // event only with more than 200 non-whitespace characters (or 32×32 px of images).
    const letters = (boot?.textContent ?? "").replace(/\s/g, "").length;
    expect(letters).toBeGreaterThan(200);
  });

  it("draws the sidebar's own mark (LanyardMark.svelte), shape for shape", () => {
    const shapes = (svg: Element | null | undefined) =>
      [...(svg?.children ?? [])].map((shape) => [
        shape.tagName,
        ...[...shape.attributes].map((attribute) => `${attribute.name}=${attribute.value}`).sort(),
      ]);
    const mark = new DOMParser().parseFromString(markSource, "text/html").querySelector("svg");
    const skeletonMark = boot?.querySelector(".boot-brand svg");
    expect(shapes(skeletonMark)).toEqual(shapes(mark));
    expect(shapes(mark).length).toBe(5);
    expect(skeletonMark?.getAttribute("class")).toBe(mark?.getAttribute("class"));
  });
});

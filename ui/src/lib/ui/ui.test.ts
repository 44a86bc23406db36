// The shared pieces themselves: what a page gets when it uses them.
import { fireEvent, render, screen } from "@testing-library/svelte";
import { createRawSnippet } from "svelte";
import { describe, expect, it, vi } from "vitest";
import Card from "./Card.svelte";
import Dialog from "./Dialog.svelte";
import ErrorNotice from "./ErrorNotice.svelte";
import { describedby } from "./field";
import FormRow from "./FormRow.svelte";
import Notice from "./Notice.svelte";

const text = (html: string) => createRawSnippet(() => ({ render: () => html }));

describe("Card", () => {
  it("is a section labelled by its heading, wide on request", () => {
    render(Card, { title: "Access", titleId: "links-title", wide: true, testid: "c", children: text("<p>x</p>") });
    const card = screen.getByTestId("c");
    expect(card.tagName).toBe("SECTION");
    expect(card.classList.contains("ly-card")).toBe(true);
    expect(card.classList.contains("wide")).toBe(true);
    expect(screen.getByRole("heading", { level: 2, name: "Access" }).id).toBe("links-title");
    expect(screen.getByRole("region", { name: "Access" })).toBe(card);
  });

  it("can be a list item with a level-3 heading", () => {
    render(Card, { title: "One", as: "li", level: 3, testid: "c", children: text("<p>x</p>") });
    expect(screen.getByTestId("c").tagName).toBe("LI");
    expect(screen.getByRole("heading", { level: 3 }).textContent).toBe("One");
  });
});

describe("ErrorNotice", () => {
  it("shows the message and the code, is announced, and can be dismissed", async () => {
    const ondismiss = vi.fn();
    render(ErrorNotice, {
      error: { code: "not_found", message: "No such player." },
      title: "Could not load the players",
      testid: "e",
      ondismiss,
    });
    const box = screen.getByTestId("e");
    expect(box.getAttribute("role")).toBe("alert");
    expect(box.textContent).toContain("No such player.");
    expect(box.querySelector("code")?.textContent).toBe("not_found");
    expect(screen.getByRole("heading", { level: 3 }).textContent).toBe("Could not load the players");
    await fireEvent.click(screen.getByRole("button", { name: "Dismiss" }));
    expect(ondismiss).toHaveBeenCalledOnce();
  });
});

describe("Notice", () => {
  it("announces an error at once", () => {
    render(Notice, { tone: "bad", testid: "n", children: text("<span>Failed.</span>") });
    expect(screen.getByRole("alert").textContent).toContain("Failed.");
    expect(screen.getByTestId("n").textContent).toBe("Failed.");
  });

  it("announces anything else politely, with Dismiss when it can go", async () => {
    const ondismiss = vi.fn();
    render(Notice, { tone: "info", ondismiss, children: text("<span>Opened.</span>") });
    expect(screen.getByRole("status").textContent).toContain("Opened.");
    await fireEvent.click(screen.getByRole("button", { name: "Dismiss" }));
    expect(ondismiss).toHaveBeenCalledOnce();
  });
});

describe("FormRow", () => {
  it("labels the field and gives its hint and error ids", () => {
    render(FormRow, {
      label: "Name",
      for: "f",
      hint: "Shown to players.",
      error: "Enter a name.",
      children: text(`<input id="f" aria-describedby="${describedby("f", true, "x")}" />`),
    });
    const field = screen.getByLabelText("Name");
    expect(field.getAttribute("aria-describedby")).toBe("f-hint f-error");
    expect(document.getElementById("f-hint")?.textContent).toBe("Shown to players.");
    expect(document.getElementById("f-error")?.getAttribute("role")).toBe("alert");
  });

  it("puts a checkbox before its label", () => {
    render(FormRow, {
      label: "Start at login",
      for: "c",
      check: true,
      children: text('<input id="c" type="checkbox" />'),
    });
    expect((screen.getByLabelText("Start at login") as HTMLInputElement).type).toBe("checkbox");
  });

  it("describes nothing when there is neither hint nor error", () => {
    expect(describedby("f")).toBeUndefined();
    expect(describedby("f", false, "oops")).toBe("f-error");
  });
});

describe("Dialog", () => {
  it("is a labelled modal that focuses its first control, closes on Escape and gives focus back", async () => {
    const opener = document.createElement("button");
    document.body.append(opener);
    opener.focus();
    const onclose = vi.fn();
    const { unmount } = render(Dialog, {
      title: "Remove it?",
      onclose,
      describedby: "d-text",
      children: text('<p id="d-text">It goes away.</p>'),
      actions: text("<button>Keep</button>"),
    });
    const dialog = screen.getByRole("dialog", { name: "Remove it?" });
    expect(dialog.getAttribute("aria-modal")).toBe("true");
    expect(dialog.getAttribute("aria-describedby")).toBe("d-text");
    expect(document.activeElement?.textContent).toBe("Keep");
    await fireEvent.keyDown(document.activeElement!, { key: "Escape" });
    expect(onclose).toHaveBeenCalledOnce();
    unmount();
    expect(document.activeElement).toBe(opener);
    opener.remove();
  });
});

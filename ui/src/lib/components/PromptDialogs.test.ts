import { emit } from "@tauri-apps/api/event";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "../../App.svelte";
import type { PromptRequestDto } from "../ipc";
import { mockRecording as mockFixtureRecording, type IpcHandlers } from "../test-fixtures";

/** The recording mock, answering prompts, with backend events. */
function mockRecording(handlers: IpcHandlers = {}) {
  return mockFixtureRecording({ prompt_answer: () => null, ...handlers }, { shouldMockEvents: true });
}

const PREFIX = "https://davinci.example.com/api/";

function permission(id = "q-1", origin = "davinci.example.com"): PromptRequestDto {
  return {
    kind: "permission",
    id,
    origin,
    url: "https://davinci.example.com/api/data?x=1",
    method: "POST",
    tokens: [
      { tokenId: "tok-u", prefix: PREFIX, key: "username" },
      { tokenId: "tok-p", prefix: PREFIX, key: "password" },
    ],
  };
}

function values(id = "v-1"): PromptRequestDto {
  return {
    kind: "values",
    id,
    origin: "davinci.example.com",
    url: "https://davinci.example.com/api/data",
    tokens: [
      { tokenId: "tok-u", prefix: PREFIX, key: "username" },
      { tokenId: "tok-p", prefix: PREFIX, key: "password" },
    ],
  };
}

/** Emits until the app has subscribed (its listener is registered asynchronously). */
async function ask(request: PromptRequestDto): Promise<HTMLElement> {
  await waitFor(async () => {
    if (!screen.queryByRole("dialog")) await emit("prompt-request", request);
    expect(screen.getByRole("dialog")).toBeTruthy();
  });
  return screen.getByRole("dialog");
}

async function settle(): Promise<void> {
  await screen.findByTestId("channels-empty");
}

describe("permission question", () => {
  it("shows origin, method, URL and each token's prefix and key", async () => {
    mockRecording();
    render(App);
    await settle();
    const dialog = await ask(permission());
    expect(dialog.getAttribute("aria-modal")).toBe("true");
    const text = dialog.textContent ?? "";
    expect(text).toContain("Send your tokens to davinci.example.com?");
    expect(text).toContain("POST");
    expect(text).toContain("https://davinci.example.com/api/data?x=1");
    expect(text).toContain("username");
    expect(text).toContain("password");
    expect(text).toContain(PREFIX);
    // Deny has the focus: the safe default.
    expect(document.activeElement?.textContent?.trim()).toBe("Deny");
  });

  it.each([
    ["Deny", "deny"],
    ["Accept this time", "accept"],
    ["Accept all", "accept_all"],
  ])("%s replies %s", async (button, answer) => {
    const { of } = mockRecording();
    render(App);
    await settle();
    const dialog = await ask(permission());
    await fireEvent.click(within(dialog).getByRole("button", { name: button }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(of("prompt_answer").map((c) => c.args)).toEqual([{ id: "q-1", reply: { kind: "permission", answer } }]);
  });

  it("Escape denies", async () => {
    const { of } = mockRecording();
    render(App);
    await settle();
    await ask(permission());
    await fireEvent.keyDown(document.activeElement ?? window, { key: "Escape" });
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(of("prompt_answer").map((c) => c.args)).toEqual([
      { id: "q-1", reply: { kind: "permission", answer: "deny" } },
    ]);
  });

  it("asks queued questions one after the other", async () => {
    const { of } = mockRecording();
    render(App);
    await settle();
    await ask(permission("q-1", "first.example.com"));
    await emit("prompt-request", permission("q-2", "second.example.com"));
    expect(await screen.findByTestId("prompt-queue")).toBeTruthy();
    expect(screen.getAllByRole("dialog")).toHaveLength(1);
    expect(screen.getByRole("dialog").textContent).toContain("first.example.com");

    await fireEvent.click(screen.getByRole("button", { name: "Accept this time" }));
    await waitFor(() => expect(screen.getByRole("dialog").textContent).toContain("second.example.com"));
    await fireEvent.click(screen.getByRole("button", { name: "Deny" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(of("prompt_answer").map((c) => c.args)).toEqual([
      { id: "q-1", reply: { kind: "permission", answer: "accept" } },
      { id: "q-2", reply: { kind: "permission", answer: "deny" } },
    ]);
  });

  it("shows a small notice when the question had expired", async () => {
    mockRecording({
      prompt_answer: () => {
        throw { code: "not_found", message: "no such question (expired)" };
      },
    });
    render(App);
    await settle();
    await ask(permission());
    await fireEvent.click(screen.getByRole("button", { name: "Accept all" }));
    const notice = await screen.findByTestId("prompt-notice");
    expect(notice.textContent).toContain("no longer waiting");
    expect(notice.textContent).toContain("expired");
    expect(screen.queryByRole("dialog")).toBeNull();
  });
});

describe("values question", () => {
  it("has one empty password field per key, labelled with key and prefix, and sends them in order", async () => {
    const { of } = mockRecording();
    render(App);
    await settle();
    const dialog = await ask(values());
    expect(dialog.textContent).toContain("Values needed for davinci.example.com");
    const user = within(dialog).getByLabelText(`username for ${PREFIX}`) as HTMLInputElement;
    const pass = within(dialog).getByLabelText(`password for ${PREFIX}`) as HTMLInputElement;
    for (const field of [user, pass]) {
      expect(field.type).toBe("password");
      expect(field.value).toBe("");
    }

    await fireEvent.input(pass, { target: { value: "pw" } });
    await fireEvent.click(within(dialog).getByRole("button", { name: "Send" }));
    // An empty value is flagged, nothing is sent yet.
    expect(within(dialog).getByRole("alert").textContent).toContain("username");
    expect(of("prompt_answer")).toHaveLength(0);

    await fireEvent.input(user, { target: { value: "ada" } });
    await fireEvent.click(within(dialog).getByRole("button", { name: "Send" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(of("prompt_answer").map((c) => c.args)).toEqual([
      { id: "v-1", reply: { kind: "values", values: ["ada", "pw"] } },
    ]);
  });

  it("Cancel (and Escape) send null", async () => {
    const { of } = mockRecording();
    render(App);
    await settle();
    let dialog = await ask(values("v-1"));
    await fireEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());

    dialog = await ask(values("v-2"));
    await fireEvent.keyDown(within(dialog).getByLabelText(`username for ${PREFIX}`), { key: "Escape" });
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(of("prompt_answer").map((c) => c.args)).toEqual([
      { id: "v-1", reply: { kind: "values", values: null } },
      { id: "v-2", reply: { kind: "values", values: null } },
    ]);
  });
});

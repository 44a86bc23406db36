import { emit } from "@tauri-apps/api/event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "./App.svelte";
import { ipcRoutes, makeChannel, makeOffer } from "./lib/test-fixtures";

function heading(): string {
  return screen.getByRole("heading", { level: 1 }).textContent ?? "";
}

async function goTo(hash: string): Promise<void> {
  window.location.hash = hash;
  window.dispatchEvent(new HashChangeEvent("hashchange"));
}

describe("App", () => {
  it("shows all pages in plain words, with Get started first on an empty installation, defaulting to Accounts", async () => {
    mockIPC(ipcRoutes());
    render(App);

    const nav = screen.getByRole("navigation", { name: "Main" });
    const labels = () => Array.from(nav.querySelectorAll("a")).map((a) => a.textContent);
    expect(labels()).toEqual([
      "Get started",
      "Accounts",
      "Players",
      "Health",
      "URL tokens",
      "Preview",
      "Shared with me",
      "Contacts",
      "Settings",
    ]);
    // Every entry has its icon (decorative; the label names it).
    expect(nav.querySelectorAll("a svg[aria-hidden=true]")).toHaveLength(9);
    expect(heading()).toBe("Accounts");
    expect(await screen.findByTestId("channels-empty")).toBeTruthy();
    expect(screen.getByRole("link", { name: "Accounts" }).getAttribute("aria-current")).toBe("page");
    // The first-run checklist shows on an empty installation, steps unticked.
    const checklist = await screen.findByTestId("checklist");
    expect(within(checklist).getByTestId("step-connect").dataset.done).toBe("false");
  });

  it("switches pages by hash", async () => {
    mockIPC(ipcRoutes());
    render(App);

    await goTo("#/settings");
    await waitFor(() => expect(heading()).toBe("Settings"));
    expect(await screen.findByText("/home/ada/.local/share/lanyard")).toBeTruthy();
    expect(screen.getByRole("link", { name: "Settings" }).getAttribute("aria-current")).toBe("page");

    await goTo("#/url-tokens");
    await waitFor(() => expect(heading()).toBe("URL tokens"));
    expect(screen.getByText(/API keys, passwords and other credentials/)).toBeTruthy();
    expect(await screen.findByTestId("tokens-empty")).toBeTruthy();
    expect(screen.queryByText("Not available in this build yet.")).toBeNull();

    await goTo("#/players");
    await waitFor(() => expect(heading()).toBe("Players"));
    expect(screen.getByText(/never for longer than 15 minutes/)).toBeTruthy();
    expect(screen.queryByText("Not available in this build yet.")).toBeNull();
    expect(await screen.findByTestId("link-matrix")).toBeTruthy();

    await goTo("#/preview");
    await waitFor(() => expect(heading()).toBe("Preview"));
    expect(screen.queryByText("Not available in this build yet.")).toBeNull();
    expect(await screen.findByTestId("history-empty")).toBeTruthy();

    await goTo("#/token-requests");
    await waitFor(() => expect(heading()).toBe("Shared with me"));
    expect(await screen.findByTestId("requests-empty")).toBeTruthy();

    await goTo("#/contacts");
    await waitFor(() => expect(heading()).toBe("Contacts"));
    expect(await screen.findByTestId("contacts-empty")).toBeTruthy();
    expect(await screen.findByTestId("my-fingerprint")).toBeTruthy();

    await goTo("#/no-such-page");
    await waitFor(() => expect(heading()).toBe("Accounts"));
  });

  it("shows no secrets status in the footer while everything is ready", async () => {
    const calls: string[] = [];
    mockIPC((cmd, args) => {
      calls.push(cmd);
      return ipcRoutes()(cmd, args);
    });
    render(App);
    await waitFor(() => expect(calls).toContain("status"));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(screen.queryByTestId("secrets-status")).toBeNull();
  });

  it("badges Accounts when an account needs signing in again", async () => {
    mockIPC(ipcRoutes({ channels_list: () => [makeChannel({ status: "needs_reauth" }), makeChannel({ id: "ch-2" })] }));
    render(App);
    const badge = await screen.findByTestId("reauth-badge");
    expect(badge.textContent).toBe("1");
    expect(badge.closest("a")?.getAttribute("href")).toBe("#/channels");
    // With an account, the checklist no longer sits on Accounts.
    expect(screen.queryByTestId("checklist")).toBeNull();
  });

  it("shows an unavailable secret store in the sidebar footer on error", async () => {
    mockIPC(() => {
      throw { code: "secret_store_unavailable", message: "nope" };
    });
    render(App);
    const footer = await screen.findByTestId("secrets-status");
    await waitFor(() => expect(footer.textContent?.trim()).toBe("Passwords and keys: cannot be saved"));
  });

  it("shows a refused link as an alert and stays on the page", async () => {
    mockIPC(ipcRoutes(), { shouldMockEvents: true });
    await goTo("#/settings");
    render(App);
    await waitFor(() => expect(heading()).toBe("Settings"));
    await waitFor(async () => {
      await emit("deep-link", {
        outcome: "refused",
        error: { code: "invalid_input", message: "not a Lanyard link" },
      });
      expect(screen.getByRole("alert").textContent).toContain("not a Lanyard link");
    });
    expect(heading()).toBe("Settings");
  });

  it("opens Shared with me for an offer link and says how the import went", async () => {
    mockIPC(ipcRoutes(), { shouldMockEvents: true });
    await goTo("#/settings");
    render(App);
    await waitFor(async () => {
      await emit("deep-link", { outcome: "accepted", kind: "offer" });
      expect(heading()).toBe("Shared with me");
    });
    await emit("token-requests", { pending: 1, imported: makeOffer(), error: null });
    await waitFor(() => {
      expect(screen.getByTestId("link-notice").textContent).toContain("URL token shared by Grace");
      expect(screen.getByTestId("requests-badge").textContent).toBe("1");
    });
    await emit("token-requests", {
      pending: 1,
      imported: null,
      error: { code: "bad_signature", message: "the offer's signature does not verify" },
    });
    await waitFor(() => expect(screen.getByTestId("link-notice").textContent).toContain("signature does not verify"));
  });

  it("shows a card that arrived before the window listened (a file that started Lanyard)", async () => {
    mockIPC(
      ipcRoutes({
        incoming_take: () => ({
          card: {
            card: "lanyard://contact/abc.def",
            name: "Linus",
            fingerprint: "AAAA-BBBB-CCCC-DDDD-EEEE",
            existing: null,
            own: false,
          },
          error: null,
          providerFile: null,
        }),
      }),
      { shouldMockEvents: true },
    );
    await goTo("#/settings");
    render(App);
    await waitFor(() => expect(heading()).toBe("Contacts"));
    expect((await screen.findByTestId("card-preview")).textContent).toContain("Linus");
  });

  it("brings a contact card from a link to the Contacts page for confirmation", async () => {
    mockIPC(ipcRoutes(), { shouldMockEvents: true });
    await goTo("#/settings");
    render(App);
    await waitFor(async () => {
      await emit("contact-card", {
        card: "lanyard://contact/abc.def",
        name: "Grace",
        fingerprint: "0439-8999-C59F-41E3-931C",
        existing: null,
        own: false,
      });
      expect(heading()).toBe("Contacts");
    });
    const preview = await screen.findByTestId("card-preview");
    expect(preview.textContent).toContain("Grace");
    expect(preview.textContent).toContain("0439-8999-C59F-41E3-931C");
  });

  it("opens Accounts after a sign-in callback without a separate notice", async () => {
    mockIPC(ipcRoutes(), { shouldMockEvents: true });
    await goTo("#/settings");
    render(App);
    await waitFor(() => expect(heading()).toBe("Settings"));
    await waitFor(async () => {
      await emit("deep-link", { outcome: "accepted", kind: "oauth_callback" });
      expect(heading()).toBe("Accounts");
    });
    expect(screen.queryByTestId("link-notice")).toBeNull();
  });
});

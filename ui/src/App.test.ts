import { emit } from "@tauri-apps/api/event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { render, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "./App.svelte";
import { ipcRoutes, makeOffer } from "./lib/test-fixtures";

function heading(): string {
  return screen.getByRole("heading", { level: 1 }).textContent ?? "";
}

async function goTo(hash: string): Promise<void> {
  window.location.hash = hash;
  window.dispatchEvent(new HashChangeEvent("hashchange"));
}

describe("App", () => {
  it("shows all pages in the navigation, defaulting to Channels", async () => {
    mockIPC(ipcRoutes());
    render(App);

    const nav = screen.getByRole("navigation", { name: "Main" });
    const labels = Array.from(nav.querySelectorAll("a")).map((a) => a.textContent);
    expect(labels).toEqual([
      "Channels",
      "Players",
      "URL tokens",
      "Preview",
      "Token requests",
      "Contacts",
      "Settings",
    ]);
    expect(heading()).toBe("Channels");
    expect(await screen.findByTestId("channels-empty")).toBeTruthy();
    expect(screen.queryByText("Not available in this build yet.")).toBeNull();
    expect(screen.getByRole("link", { name: "Channels" }).getAttribute("aria-current")).toBe("page");
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
    expect(screen.getByText(/either as form fields or as an Authorization header/)).toBeTruthy();
    expect(await screen.findByTestId("tokens-empty")).toBeTruthy();
    expect(screen.queryByText("Not available in this build yet.")).toBeNull();

    await goTo("#/players");
    await waitFor(() => expect(heading()).toBe("Players"));
    expect(screen.getByText(/at most 15 minutes/)).toBeTruthy();
    expect(screen.queryByText("Not available in this build yet.")).toBeNull();
    expect(await screen.findByTestId("link-matrix")).toBeTruthy();

    await goTo("#/preview");
    await waitFor(() => expect(heading()).toBe("Preview"));
    expect(screen.queryByText("Not available in this build yet.")).toBeNull();
    expect(await screen.findByTestId("history-empty")).toBeTruthy();

    await goTo("#/token-requests");
    await waitFor(() => expect(heading()).toBe("Token requests"));
    expect(await screen.findByTestId("requests-empty")).toBeTruthy();

    await goTo("#/contacts");
    await waitFor(() => expect(heading()).toBe("Contacts"));
    expect(await screen.findByTestId("contacts-empty")).toBeTruthy();
    expect(await screen.findByTestId("my-fingerprint")).toBeTruthy();

    await goTo("#/no-such-page");
    await waitFor(() => expect(heading()).toBe("Channels"));
  });

  it("shows the secret store health in the sidebar footer", async () => {
    mockIPC(ipcRoutes());
    render(App);
    const footer = screen.getByTestId("secrets-status");
    await waitFor(() => expect(footer.textContent?.trim()).toBe("Secrets: Keyring · ready"));
  });

  it("shows an unavailable secret store in the sidebar footer on error", async () => {
    mockIPC(() => {
      throw { code: "secret_store_unavailable", message: "nope" };
    });
    render(App);
    const footer = screen.getByTestId("secrets-status");
    await waitFor(() => expect(footer.textContent?.trim()).toBe("Secrets: unavailable"));
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

  it("opens Token requests for an offer link and says how the import went", async () => {
    mockIPC(ipcRoutes(), { shouldMockEvents: true });
    await goTo("#/settings");
    render(App);
    await waitFor(async () => {
      await emit("deep-link", { outcome: "accepted", kind: "offer" });
      expect(heading()).toBe("Token requests");
    });
    await emit("token-requests", { pending: 1, imported: makeOffer(), error: null });
    await waitFor(() => {
      expect(screen.getByTestId("link-notice").textContent).toContain("token offer from Grace");
      expect(screen.getByTestId("requests-badge").textContent).toBe("1");
    });
    await emit("token-requests", {
      pending: 1,
      imported: null,
      error: { code: "bad_signature", message: "the offer's signature does not verify" },
    });
    await waitFor(() =>
      expect(screen.getByTestId("link-notice").textContent).toContain("signature does not verify"),
    );
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

  it("opens Channels after a sign-in callback without a separate notice", async () => {
    mockIPC(ipcRoutes(), { shouldMockEvents: true });
    await goTo("#/settings");
    render(App);
    await waitFor(() => expect(heading()).toBe("Settings"));
    await waitFor(async () => {
      await emit("deep-link", { outcome: "accepted", kind: "oauth_callback" });
      expect(heading()).toBe("Channels");
    });
    expect(screen.queryByTestId("link-notice")).toBeNull();
  });
});

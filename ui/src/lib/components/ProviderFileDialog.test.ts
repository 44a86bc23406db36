import { emit } from "@tauri-apps/api/event";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "../../App.svelte";
import type { ProviderFileOfferDto } from "../ipc";
import { makeProvider, mockRecording } from "../test-fixtures";

function offer(overrides: Partial<ProviderFileOfferDto> = {}): ProviderFileOfferDto {
  return {
    offerId: "offer-1",
    name: "Contoso",
    kind: "microsoft",
    issuer: "https://login.microsoftonline.com/0b3c/v2.0",
    authorizationEndpoint: "https://login.microsoftonline.com/0b3c/oauth2/v2.0/authorize",
    clientId: "11111111-2222-3333-4444-555555555555",
    scopes: ["openid", "offline_access"],
    apiBaseUrls: ["https://graph.microsoft.com/"],
    includesSecret: false,
    redirectUri: "app.lanyard.desktop://oauth/callback",
    registerWhere: "Microsoft Entra admin center",
    conflict: null,
    endpoints: [
      { role: "sign-in (authorization) endpoint", host: "login.microsoftonline.com", foreign: false },
      { role: "token endpoint", host: "login.microsoftonline.com", foreign: false },
      { role: "userinfo endpoint", host: "graph.microsoft.com", foreign: false },
      { role: "issuer", host: "login.microsoftonline.com", foreign: false },
    ],
    foreignWarning: null,
    ...overrides,
  };
}

describe("a provider file opened from outside", () => {
  it("says what it adds and adds it only when asked, then goes to the accounts", async () => {
    const ipc = mockRecording(
      { provider_file_accept: () => makeProvider({ name: "Contoso" }) },
      { shouldMockEvents: true },
    );
    render(App);
    await emit("provider-file", { offer: offer(), error: null });
    const dialog = await screen.findByTestId("provider-file-dialog");
    expect(dialog.textContent).toContain("Contoso");
    expect(dialog.textContent).toContain("11111111-2222-3333-4444-555555555555");
    expect(dialog.textContent).toContain("app.lanyard.desktop://oauth/callback");
    expect(screen.queryByTestId("provider-file-secret")).toBeNull();
    expect(ipc.of("provider_file_accept")).toEqual([]);
    await fireEvent.click(screen.getByTestId("provider-file-add"));
    await waitFor(() => expect(screen.queryByTestId("provider-file-dialog")).toBeNull());
    expect(ipc.of("provider_file_accept")).toEqual([
      { cmd: "provider_file_accept", args: { offerId: "offer-1", acceptForeignEndpoints: false } },
    ]);
    expect(window.location.hash).toBe("#/channels");
    expect(document.body.textContent).toContain("Added “Contoso”");
    // Straight to the sign-in choice, though Accounts was already open.
    expect(await screen.findByRole("heading", { name: "Connect an account" })).toBeTruthy();
  });

  it("is cancelled with Escape, which forgets the file", async () => {
    const ipc = mockRecording({ provider_file_reject: () => null }, { shouldMockEvents: true });
    render(App);
    await emit("provider-file", { offer: offer({ includesSecret: true }), error: null });
    await screen.findByTestId("provider-file-dialog");
    expect(screen.getByTestId("provider-file-secret").textContent).toContain("keyring");
    await fireEvent.keyDown(screen.getByTestId("provider-file-dialog"), { key: "Escape" });
    await waitFor(() => expect(screen.queryByTestId("provider-file-dialog")).toBeNull());
    expect(ipc.of("provider_file_reject")).toEqual([{ cmd: "provider_file_reject", args: { offerId: "offer-1" } }]);
    expect(ipc.of("provider_file_accept")).toEqual([]);
  });

  it("offers nothing to add when the provider is already there, and shows a refusal", async () => {
    mockRecording({}, { shouldMockEvents: true });
    render(App);
    await emit("provider-file", {
      offer: offer({ conflict: 'this provider is already added as "Contoso" (contoso)' }),
      error: null,
    });
    expect((await screen.findByTestId("provider-file-conflict")).textContent).toContain("already added");
    expect(screen.queryByTestId("provider-file-add")).toBeNull();
    await fireEvent.click(screen.getByRole("button", { name: "Close" }));
    await emit("provider-file", {
      offer: null,
      error: { code: "invalid_input", message: "this Lanyard provider file is version 2, made by a newer Lanyard" },
    });
    expect((await screen.findByTestId("provider-file-refused")).textContent).toContain("newer Lanyard");
  });

  it("starts on Cancel, so Enter on a file someone sent adds nothing", async () => {
    const ipc = mockRecording({ provider_file_reject: () => null }, { shouldMockEvents: true });
    render(App);
    await emit("provider-file", { offer: offer(), error: null });
    await screen.findByTestId("provider-file-dialog");
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId("provider-file-cancel")));
    const hosts = screen.getByTestId("provider-file-hosts").textContent ?? "";
    for (const host of ["login.microsoftonline.com", "graph.microsoft.com"]) expect(hosts).toContain(host);
    await fireEvent.click(document.activeElement as HTMLElement);
    await waitFor(() => expect(screen.queryByTestId("provider-file-dialog")).toBeNull());
    expect(ipc.of("provider_file_accept")).toEqual([]);
  });

  it("lists every host, warns when tokens go elsewhere and adds only after the checkbox", async () => {
    const ipc = mockRecording(
      { provider_file_accept: () => makeProvider({ name: "Feeds" }) },
      { shouldMockEvents: true },
    );
    render(App);
    const foreign = offer({
      name: "Feeds",
      kind: "custom",
      issuer: null,
      authorizationEndpoint: "https://login.feeds.example/authorize",
      endpoints: [
        { role: "sign-in (authorization) endpoint", host: "login.feeds.example", foreign: false },
        { role: "token endpoint", host: "collector.evil.example", foreign: true },
        { role: "userinfo endpoint", host: "login.feeds.example:4443", foreign: true },
      ],
      foreignWarning:
        "you sign in at login.feeds.example, but its token endpoint is on collector.evil.example, " +
        "its userinfo endpoint is on login.feeds.example:4443: the sign-in's code and your tokens go there",
    });
    await emit("provider-file", { offer: foreign, error: null });
    await screen.findByTestId("provider-file-dialog");
    const hosts = screen.getByTestId("provider-file-hosts").textContent ?? "";
    for (const host of ["login.feeds.example", "collector.evil.example", "login.feeds.example:4443"]) {
      expect(hosts).toContain(host);
    }
    expect(hosts).toContain("not the sign-in host");
    expect(screen.getByTestId("provider-file-foreign").textContent).toContain("collector.evil.example");
    const add = screen.getByTestId("provider-file-add") as HTMLButtonElement;
    expect(add.disabled).toBe(true);
    await fireEvent.click(add);
    expect(ipc.of("provider_file_accept")).toEqual([]);
    await fireEvent.click(screen.getByTestId("provider-file-accept-foreign"));
    expect(add.disabled).toBe(false);
    await fireEvent.click(add);
    await waitFor(() => expect(screen.queryByTestId("provider-file-dialog")).toBeNull());
    expect(ipc.of("provider_file_accept")).toEqual([
      { cmd: "provider_file_accept", args: { offerId: "offer-1", acceptForeignEndpoints: true } },
    ]);
  });
});

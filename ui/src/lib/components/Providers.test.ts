import { mockIPC } from "@tauri-apps/api/mocks";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import type { ProviderDto } from "../ipc";
import { ipcRoutes, makeProvider, makeTemplates } from "../test-fixtures";
import Providers from "./Providers.svelte";

type Call = { cmd: string; args: Record<string, unknown> };

function setup(handlers: Parameters<typeof ipcRoutes>[0]) {
  const calls: Call[] = [];
  mockIPC((cmd, args) => {
    calls.push({ cmd, args: (args ?? {}) as Record<string, unknown> });
    return ipcRoutes(handlers)(cmd, args);
  });
  render(Providers);
  return (cmd: string) => calls.filter((call) => call.cmd === cmd).map((call) => call.args);
}

function input(label: string): HTMLInputElement {
  return screen.getByLabelText(label) as HTMLInputElement;
}

describe("Providers", () => {
  it("lists templates as Template and your providers with client id and redirect style", async () => {
    setup({ providers_list: () => [...makeTemplates(), makeProvider({ hasClientSecret: true })] });
    await waitFor(() => expect(screen.getAllByTestId("provider")).toHaveLength(4));
    const rows = screen.getAllByTestId("provider");
    expect(rows[0]?.textContent).toContain("Microsoft 365");
    expect(rows[0]?.textContent).toContain("Template");
    expect(within(rows[0]!).queryByRole("button")).toBeNull();
    const own = rows[3]!;
    expect(own.textContent).toContain("11111111-2222-3333-4444-555555555555");
    expect(own.textContent).toContain("Deep link");
    expect(own.textContent).toContain("client secret stored");
    expect(within(own).getByRole("button", { name: "Remove Contoso Microsoft 365" })).toBeTruthy();
  });

  it("adds a provider from a template with the right input, then clears the form and refreshes", async () => {
    let providers: ProviderDto[] = makeTemplates();
    const calls = setup({
      providers_list: () => providers,
      provider_add: () => {
        const created = makeProvider({ name: "Microsoft 365 (contoso)" });
        providers = [...providers, created];
        return created;
      },
    });
    await waitFor(() => expect(screen.getAllByTestId("provider")).toHaveLength(3));

    await fireEvent.change(input("Service"), { target: { value: "microsoft" } });
    await fireEvent.input(input("Tenant"), { target: { value: " contoso " } });
    await fireEvent.input(input("Client ID"), { target: { value: "my-client-id" } });
    await fireEvent.input(input("Client secret (optional)"), { target: { value: "s3cret" } });
    await fireEvent.change(input("Redirect style"), { target: { value: "loopback" } });
    await fireEvent.input(input("API base URLs (optional)"), {
      target: { value: "https://graph.microsoft.com\n\n https://contoso.sharepoint.com \n" },
    });
    await fireEvent.input(input("Re-authorize every (days, optional)"), { target: { value: "14" } });
    expect(input("Client secret (optional)").type).toBe("password");

    await fireEvent.click(screen.getByRole("button", { name: "Add provider" }));

    await waitFor(() => expect(calls("provider_add")).toHaveLength(1));
    expect(calls("provider_add")[0]).toEqual({
      input: {
        template: "microsoft",
        tenant: "contoso",
        discoveryUrl: null,
        name: null,
        authorizationEndpoint: null,
        tokenEndpoint: null,
        revocationEndpoint: null,
        userinfoEndpoint: null,
        scopes: [],
        clientId: "my-client-id",
        clientSecret: "s3cret",
        redirectStyle: "loopback",
        apiBaseUrls: ["https://graph.microsoft.com", "https://contoso.sharepoint.com"],
        reauthDays: 14,
        loopbackPort: null,
      },
    });
    await waitFor(() => expect(screen.getAllByTestId("provider")).toHaveLength(4));
    expect(screen.getByRole("status").textContent).toContain("Added Microsoft 365 (contoso).");
    expect(input("Client ID").value).toBe("");
    expect(input("Client secret (optional)").value).toBe("");
    expect(input("Tenant").value).toBe("");
    expect(screen.queryByText("s3cret")).toBeNull();
  });

  it("hides the tenant for other templates and sends discovery and manual inputs", async () => {
    const calls = setup({ provider_add: () => makeProvider() });
    await waitFor(() => expect(screen.getAllByTestId("provider")).toHaveLength(3));

    await fireEvent.change(input("Service"), { target: { value: "google" } });
    expect(screen.queryByLabelText("Tenant")).toBeNull();

    await fireEvent.click(screen.getByRole("radio", { name: "OpenID discovery" }));
    await fireEvent.input(input("Issuer URL"), { target: { value: "https://id.example.com" } });
    await fireEvent.input(input("Client ID"), { target: { value: "abc" } });
    await fireEvent.click(screen.getByRole("button", { name: "Add provider" }));
    await waitFor(() => expect(calls("provider_add")).toHaveLength(1));
    expect(calls("provider_add")[0]?.input).toMatchObject({
      template: null,
      tenant: null,
      discoveryUrl: "https://id.example.com",
      clientId: "abc",
      clientSecret: null,
      redirectStyle: null,
      reauthDays: null,
    });

    await fireEvent.click(screen.getByRole("radio", { name: "Manual" }));
    await fireEvent.input(input("Authorization endpoint"), { target: { value: "https://a.example/auth" } });
    await fireEvent.input(input("Token endpoint"), { target: { value: "https://a.example/token" } });
    await fireEvent.input(input("Client ID"), { target: { value: "def" } });
    await fireEvent.click(screen.getByRole("button", { name: "Add provider" }));
    await waitFor(() => expect(calls("provider_add")).toHaveLength(2));
    expect(calls("provider_add")[1]?.input).toMatchObject({
      template: null,
      discoveryUrl: null,
      authorizationEndpoint: "https://a.example/auth",
      tokenEndpoint: "https://a.example/token",
      revocationEndpoint: null,
      userinfoEndpoint: null,
      clientId: "def",
    });
  });

  it("tells the exact redirect URI to register, before and after adding, with a copy button", async () => {
    setup({
      providers_list: () => [
        ...makeTemplates(),
        makeProvider({
          registration: {
            redirectUri: "http://127.0.0.1:53682/callback",
            registerAt: "Dropbox App Console",
            notes: ["Permissions tab: enable account_info.read and the OpenID scopes (openid, email)."],
          },
        }),
      ],
    });
    await waitFor(() => expect(screen.getAllByTestId("provider")).toHaveLength(4));
    const own = screen.getAllByTestId("provider")[3]!;
    const uri = within(own).getByTestId("provider-redirect-uri") as HTMLTextAreaElement;
    expect(uri.value).toBe("http://127.0.0.1:53682/callback");
    expect(own.textContent).toContain("Dropbox App Console");
    expect(own.textContent).toContain("account_info.read");
    expect(within(own).getByRole("button", { name: "Copy" })).toBeTruthy();
    // Templates show nothing to register in the list.
    expect(within(screen.getAllByTestId("provider")[0]!).queryByTestId("provider-redirect-uri")).toBeNull();

    // The form shows the chosen template's URI before adding.
    await fireEvent.change(input("Service"), { target: { value: "microsoft" } });
    expect((screen.getByTestId("template-redirect-uri") as HTMLTextAreaElement).value).toBe(
      "app.lanyard.desktop://oauth/callback",
    );
    expect(screen.queryByLabelText(/Loopback port/)).toBeNull();
  });

  it("asks Dropbox for its fixed loopback port and sends it", async () => {
    const calls = setup({ provider_add: () => makeProvider() });
    await waitFor(() => expect(screen.getAllByTestId("provider")).toHaveLength(3));
    await fireEvent.change(input("Service"), { target: { value: "dropbox" } });
    expect((screen.getByTestId("template-redirect-uri") as HTMLTextAreaElement).value).toBe(
      "http://127.0.0.1:<port>/callback",
    );
    await fireEvent.input(input("Client ID"), { target: { value: "app-key" } });
    await fireEvent.input(input("Loopback port"), { target: { value: "80" } });
    await fireEvent.click(screen.getByRole("button", { name: "Add provider" }));
    expect(screen.getByTestId("provider-form-error").textContent).toContain("1024");
    expect(calls("provider_add")).toHaveLength(0);
    await fireEvent.input(input("Loopback port"), { target: { value: "53682" } });
    await fireEvent.click(screen.getByRole("button", { name: "Add provider" }));
    await waitFor(() => expect(calls("provider_add")).toHaveLength(1));
    expect(calls("provider_add")[0]?.input).toMatchObject({ template: "dropbox", loopbackPort: 53682 });
  });

  it("requires a client id before calling the backend", async () => {
    const calls = setup({});
    await waitFor(() => expect(screen.getAllByTestId("provider")).toHaveLength(3));
    await fireEvent.click(screen.getByRole("button", { name: "Add provider" }));
    expect(screen.getByTestId("provider-form-error").textContent).toContain("client id");
    expect(calls("provider_add")).toHaveLength(0);
  });

  it("shows a backend validation error inline and keeps the form", async () => {
    setup({
      provider_add: () => {
        throw { code: "invalid_input", message: "The tenant must be a domain name or a GUID." };
      },
    });
    await waitFor(() => expect(screen.getAllByTestId("provider")).toHaveLength(3));
    await fireEvent.input(input("Tenant"), { target: { value: "not a tenant" } });
    await fireEvent.input(input("Client ID"), { target: { value: "my-client-id" } });
    await fireEvent.click(screen.getByRole("button", { name: "Add provider" }));

    const error = await screen.findByTestId("provider-form-error");
    expect(error.getAttribute("role")).toBe("alert");
    expect(error.textContent).toBe("The tenant must be a domain name or a GUID.");
    expect(input("Client ID").value).toBe("my-client-id");
    expect(input("Tenant").value).toBe("not a tenant");
  });

  it("removes a provider, and shows a refusal inline", async () => {
    let providers: ProviderDto[] = [
      ...makeTemplates(),
      makeProvider(),
      makeProvider({ id: "prov-g", kind: "google", name: "My Google" }),
    ];
    const calls = setup({
      providers_list: () => providers,
      provider_remove: ({ id }) => {
        if (id === "prov-ms") {
          throw { code: "conflict", message: "This provider still has channels: disconnect its channels first." };
        }
        providers = providers.filter((provider) => provider.id !== id);
        return null;
      },
    });
    await waitFor(() => expect(screen.getAllByTestId("provider")).toHaveLength(5));

    await fireEvent.click(screen.getByRole("button", { name: "Remove My Google" }));
    await waitFor(() => expect(screen.getAllByTestId("provider")).toHaveLength(4));
    expect(calls("provider_remove")).toEqual([{ id: "prov-g" }]);

    await fireEvent.click(screen.getByRole("button", { name: "Remove Contoso Microsoft 365" }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("disconnect its channels first");
    expect(alert.closest("[data-testid=provider]")?.textContent).toContain("Contoso Microsoft 365");
    expect(screen.getAllByTestId("provider")).toHaveLength(4);
  });
});

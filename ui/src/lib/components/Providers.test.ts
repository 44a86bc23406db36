import { mockIPC } from "@tauri-apps/api/mocks";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { beforeEach, describe, expect, it } from "vitest";
import { drafts, resetDrafts } from "../drafts.svelte";
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
  const view = render(Providers);
  return Object.assign((cmd: string) => calls.filter((call) => call.cmd === cmd).map((call) => call.args), { view });
}

function input(label: string | RegExp): HTMLInputElement {
  return screen.getByLabelText(label) as HTMLInputElement;
}

async function openForm(): Promise<void> {
  await fireEvent.click(await screen.findByRole("button", { name: "Set up a service" }));
}

async function choose(service: string | RegExp): Promise<void> {
  await fireEvent.click(screen.getByRole("radio", { name: service }));
}

describe("Providers (Sign-in services)", () => {
  beforeEach(() => resetDrafts());

  it("lists only your services, with client id, redirect style and what was registered", async () => {
    setup({ providers_list: () => [...makeTemplates(), makeProvider({ hasClientSecret: true })] });
    await waitFor(() => expect(screen.getAllByTestId("provider")).toHaveLength(1));
    const own = screen.getByTestId("provider");
    expect(own.textContent).toContain("11111111-2222-3333-4444-555555555555");
    expect(own.textContent).toContain("Deep link");
    expect(own.textContent).toContain("client secret kept safely");
    expect(within(own).getByRole("button", { name: "Remove Contoso Microsoft 365" })).toBeTruthy();
    expect((within(own).getByTestId("provider-redirect-uri") as HTMLTextAreaElement).value).toBe(
      "app.lanyard.desktop://oauth/callback",
    );
    expect(screen.queryByText("Template")).toBeNull();
  });

  it("guides Microsoft 365: only client id and tenant, the redirect to register, advanced folded", async () => {
    let providers: ProviderDto[] = makeTemplates();
    const calls = setup({
      providers_list: () => providers,
      provider_add: () => {
        const created = makeProvider({ name: "Microsoft 365 (contoso)" });
        providers = [...providers, created];
        return created;
      },
    });
    await openForm();
    expect(screen.getByRole("radio", { name: /Microsoft 365/ })).toHaveProperty("checked", true);
    expect((screen.getByTestId("template-redirect-uri") as HTMLTextAreaElement).value).toBe(
      "app.lanyard.desktop://oauth/callback",
    );
    expect(screen.getByTestId("template-registration").textContent).toContain("the microsoft console");
    expect(screen.getByRole("button", { name: "Copy" })).toBeTruthy();
    // Folded away: the advanced fields are in a closed <details>.
    const advanced = screen.getByText("Advanced").closest("details")!;
    expect(advanced.open).toBe(false);
    expect(advanced.contains(input("How the sign-in comes back"))).toBe(true);

    await fireEvent.input(input(/Organization/), { target: { value: " contoso " } });
    await fireEvent.input(input("Client ID"), { target: { value: "my-client-id" } });
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
        clientSecret: null,
        redirectStyle: null,
        apiBaseUrls: [],
        reauthDays: null,
        loopbackPort: null,
        clientSecretExpiresAt: null,
      },
    });
    await waitFor(() => expect(screen.getAllByTestId("provider")).toHaveLength(1));
    expect(screen.getByRole("status").textContent).toContain("Added Microsoft 365 (contoso).");
    expect(drafts.provider.clientId).toBe("");
  });

  it("asks Google for its client secret, never keeping it in the draft", async () => {
    const calls = setup({ provider_add: () => makeProvider() });
    await openForm();
    await choose(/Google/);
    expect(screen.queryByLabelText(/Organization/)).toBeNull();
    await fireEvent.input(input("Client ID"), { target: { value: "g-id" } });
    await fireEvent.click(screen.getByRole("button", { name: "Add provider" }));
    // Shown next to its field, which is marked and focused.
    expect(document.getElementById("provider-client-secret-error")?.textContent).toContain("client secret");
    expect(input("Client secret").getAttribute("aria-invalid")).toBe("true");
    expect(input("Client secret").getAttribute("aria-describedby")).toContain("provider-client-secret-error");
    await waitFor(() => expect(document.activeElement).toBe(input("Client secret")));
    expect(screen.queryByTestId("provider-form-error")).toBeNull();
    await fireEvent.input(input("Client secret"), { target: { value: "s3cret" } });
    expect(input("Client secret").type).toBe("password");
    expect(JSON.stringify(drafts.provider)).not.toContain("s3cret");
    await fireEvent.click(screen.getByRole("button", { name: "Add provider" }));
    await waitFor(() => expect(calls("provider_add")).toHaveLength(1));
    expect(calls("provider_add")[0]?.input).toMatchObject({
      template: "google",
      clientId: "g-id",
      clientSecret: "s3cret",
    });
  });

  it("asks Dropbox for its port and shows the redirect with it", async () => {
    const calls = setup({ provider_add: () => makeProvider() });
    await openForm();
    await choose(/Dropbox/);
    expect((screen.getByTestId("template-redirect-uri") as HTMLTextAreaElement).value).toBe(
      "http://127.0.0.1:<port>/callback",
    );
    await fireEvent.input(input("App key"), { target: { value: "app-key" } });
    await fireEvent.input(input("Port in the redirect address"), { target: { value: "80" } });
    await fireEvent.click(screen.getByRole("button", { name: "Add provider" }));
    expect(document.getElementById("provider-loopback-port-error")?.textContent).toContain("1024");
    expect(calls("provider_add")).toHaveLength(0);
    await fireEvent.input(input("Port in the redirect address"), { target: { value: "53682" } });
    expect((screen.getByTestId("template-redirect-uri") as HTMLTextAreaElement).value).toBe(
      "http://127.0.0.1:53682/callback",
    );
    await fireEvent.click(screen.getByRole("button", { name: "Add provider" }));
    await waitFor(() => expect(calls("provider_add")).toHaveLength(1));
    expect(calls("provider_add")[0]?.input).toMatchObject({ template: "dropbox", loopbackPort: 53682 });
  });

  it("sends discovery and manual inputs for other services", async () => {
    const calls = setup({ provider_add: () => makeProvider() });
    await openForm();
    await choose(/Other/);
    expect((screen.getByTestId("template-redirect-uri") as HTMLTextAreaElement).value).toBe(
      "app.lanyard.desktop:/oauth/callback",
    );
    await fireEvent.input(input("Issuer address"), { target: { value: "https://id.example.com" } });
    await fireEvent.input(input("Client ID"), { target: { value: "abc" } });
    await fireEvent.click(screen.getByRole("button", { name: "Add provider" }));
    await waitFor(() => expect(calls("provider_add")).toHaveLength(1));
    expect(calls("provider_add")[0]?.input).toMatchObject({
      template: null,
      discoveryUrl: "https://id.example.com",
      clientId: "abc",
      clientSecret: null,
    });

    await openForm();
    await choose(/Other/);
    await fireEvent.click(screen.getByRole("checkbox", { name: /by hand/ }));
    await fireEvent.input(input(/Sign-in \(authorization\)/), { target: { value: "https://a.example/auth" } });
    await fireEvent.input(input("Token address"), { target: { value: "https://a.example/token" } });
    await fireEvent.input(input("Client ID"), { target: { value: "def" } });
    await fireEvent.click(screen.getByRole("button", { name: "Add provider" }));
    await waitFor(() => expect(calls("provider_add")).toHaveLength(2));
    expect(calls("provider_add")[1]?.input).toMatchObject({
      template: null,
      discoveryUrl: null,
      authorizationEndpoint: "https://a.example/auth",
      tokenEndpoint: "https://a.example/token",
      clientId: "def",
    });
  });

  it("keeps an open, half-filled form across pages (the draft lives above the page)", async () => {
    const first = setup({});
    await openForm();
    await choose(/Other/);
    await fireEvent.input(input("Client ID"), { target: { value: "half" } });
    first.view.unmount();
    render(Providers);
    expect(((await screen.findByLabelText("Client ID")) as HTMLInputElement).value).toBe("half");
    expect(screen.getByRole("radio", { name: /Other/ })).toHaveProperty("checked", true);
  });

  it("puts a backend refusal that names its field next to that field, opening Advanced for it", async () => {
    setup({
      provider_add: () => {
        throw {
          code: "invalid_input",
          field: "reauth_days",
          message: "the re-authorization interval must be between 1 and 3650 days",
        };
      },
    });
    await openForm();
    await fireEvent.input(input("Client ID"), { target: { value: "my-client-id" } });
    await fireEvent.click(screen.getByRole("button", { name: "Add provider" }));
    await waitFor(() =>
      expect(document.getElementById("provider-reauth-error")?.textContent).toContain("between 1 and 3650 days"),
    );
    const days = input(/Sign in again every/);
    expect(days.closest("details")?.open).toBe(true);
    await waitFor(() => expect(document.activeElement).toBe(days));
    expect(screen.queryByTestId("provider-form-error")).toBeNull();
  });

  it("sends the client secret's expiry date, and puts the backend's refusal of it next to it", async () => {
    let refuse = false;
    const calls = setup({
      provider_add: () => {
        if (refuse) {
          throw {
            code: "invalid_input",
            field: "client_secret_expires_at",
            message: "the client secret's expiry is not a date",
          };
        }
        return makeProvider();
      },
    });
    await openForm();
    await fireEvent.click(screen.getByRole("radio", { name: /Google/ }));
    await fireEvent.input(input("Client ID"), { target: { value: "g-id" } });
    await fireEvent.input(input(/Client secret$/), { target: { value: "s3cret" } });
    await fireEvent.click(screen.getByText("Advanced"));
    await fireEvent.input(input(/Client secret expires on/), { target: { value: "2027-06-30" } });
    await fireEvent.click(screen.getByRole("button", { name: "Add provider" }));
    await waitFor(() => expect(calls("provider_add")).toHaveLength(1));
    expect(calls("provider_add")[0]?.input).toMatchObject({ template: "google", clientSecretExpiresAt: "2027-06-30" });

    refuse = true;
    await openForm();
    await fireEvent.input(input("Client ID"), { target: { value: "my-client-id" } });
    await fireEvent.click(screen.getByRole("button", { name: "Add provider" }));
    await waitFor(() =>
      expect(document.getElementById("provider-secret-expires-error")?.textContent).toContain("not a date"),
    );
    const field = input(/Client secret expires on/);
    expect(field.closest("details")?.open).toBe(true);
    expect(calls("provider_add")[1]?.input).toMatchObject({ clientSecretExpiresAt: null });
  });

  it("refuses a re-authorization interval out of range before sending", async () => {
    const calls = setup({ provider_add: () => makeProvider() });
    await openForm();
    await fireEvent.input(input("Client ID"), { target: { value: "my-client-id" } });
    await fireEvent.click(screen.getByText("Advanced"));
    await fireEvent.input(input(/Sign in again every/), { target: { value: "4000" } });
    await fireEvent.click(screen.getByRole("button", { name: "Add provider" }));
    expect(document.getElementById("provider-reauth-error")?.textContent).toContain("3650");
    expect(calls("provider_add")).toHaveLength(0);
  });

  it("shows a backend validation error inline and keeps the form", async () => {
    setup({
      provider_add: () => {
        throw { code: "invalid_input", message: "The tenant must be a domain name or a GUID." };
      },
    });
    await openForm();
    await fireEvent.input(input(/Organization/), { target: { value: "not a tenant" } });
    await fireEvent.input(input("Client ID"), { target: { value: "my-client-id" } });
    await fireEvent.click(screen.getByRole("button", { name: "Add provider" }));
    const error = await screen.findByTestId("provider-form-error");
    expect(error.getAttribute("role")).toBe("alert");
    expect(error.textContent).toBe("The tenant must be a domain name or a GUID.");
    expect(input("Client ID").value).toBe("my-client-id");
  });

  it("asks before removing a service, and shows a refusal inline", async () => {
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
    await waitFor(() => expect(screen.getAllByTestId("provider")).toHaveLength(2));

    await fireEvent.click(screen.getByRole("button", { name: "Remove My Google" }));
    const dialog = screen.getByTestId("remove-provider-dialog");
    // The safe answer has the focus; cancelling changes nothing.
    expect(document.activeElement?.textContent).toBe("Cancel");
    await fireEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(calls("provider_remove")).toHaveLength(0);

    await fireEvent.click(screen.getByRole("button", { name: "Remove My Google" }));
    await fireEvent.click(within(screen.getByTestId("remove-provider-dialog")).getByRole("button", { name: "Remove" }));
    await waitFor(() => expect(screen.getAllByTestId("provider")).toHaveLength(1));
    expect(calls("provider_remove")).toEqual([{ id: "prov-g" }]);

    await fireEvent.click(screen.getByRole("button", { name: "Remove Contoso Microsoft 365" }));
    await fireEvent.click(within(screen.getByTestId("remove-provider-dialog")).getByRole("button", { name: "Remove" }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("disconnect its channels first");
    expect(screen.getAllByTestId("provider")).toHaveLength(1);
  });
});

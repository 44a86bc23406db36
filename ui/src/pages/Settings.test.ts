import { mockIPC } from "@tauri-apps/api/mocks";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { StatusResource } from "../lib/status.svelte";
import { ipcRoutes, makeGateway, makeStatus } from "../lib/test-fixtures";
import Settings from "./Settings.svelte";

function renderSettings() {
  return render(Settings, { props: { status: new StatusResource() } });
}

describe("Settings", () => {
  it("shows a loading state, then the status", async () => {
    let release: (() => void) | undefined;
    mockIPC(
      ipcRoutes({
        status: () =>
          new Promise((resolve) => {
            release = () => resolve(makeStatus());
          }),
      }),
    );
    renderSettings();
    expect(screen.getByText("Loading status…")).toBeTruthy();
    release?.();
    expect(await screen.findByText("/home/ada/.local/share/lanyard")).toBeTruthy();
    expect(screen.queryByText("Loading status…")).toBeNull();
  });

  it("renders data dir, database, version, schema version, backend and Ready", async () => {
    mockIPC(ipcRoutes());
    renderSettings();

    expect(await screen.findByText("/home/ada/.local/share/lanyard")).toBeTruthy();
    expect(screen.getByTestId("database-path").textContent).toBe("/home/ada/.local/share/lanyard/lanyard.sqlite3");
    expect(screen.getByTestId("app-version").textContent).toBe("0.1.0");
    expect(screen.getByTestId("schema-version").textContent).toBe("3");
    expect(screen.getByTestId("secret-store-backend").textContent).toBe("Keyring");
    expect(screen.getByTestId("secret-store-health").textContent).toBe("Ready");
    expect(screen.getByText("Secret Service (GNOME Keyring)")).toBeTruthy();
    expect(screen.queryByTestId("secret-store-warning")).toBeNull();
    expect(screen.queryByTestId("environment-settings")).toBeNull();
  });

  it("says which settings came from the environment: an extra CA file, the file store", async () => {
    mockIPC(
      ipcRoutes({
        status: () =>
          makeStatus({
            environment: [
              {
                variable: "LANYARD_EXTRA_CA_FILE",
                value: "/etc/lanyard/corp-ca.pem",
                effect: "the certificate authorities in this file are trusted for every provider",
              },
              {
                variable: "LANYARD_SECRET_STORE",
                value: "file",
                effect: "secrets are kept unencrypted in /home/ada/.local/share/lanyard/secrets",
              },
            ],
          }),
      }),
    );
    renderSettings();

    const card = await screen.findByTestId("environment-settings");
    expect(card.querySelector("h2")?.textContent).toBe("Set by the environment");
    const rows = screen.getAllByTestId("environment-setting");
    expect(rows).toHaveLength(2);
    expect(rows[0]?.textContent).toContain("LANYARD_EXTRA_CA_FILE");
    expect(rows[0]?.textContent).toContain("/etc/lanyard/corp-ca.pem");
    expect(rows[0]?.textContent).toContain("trusted for every provider");
    expect(rows[1]?.textContent).toContain("LANYARD_SECRET_STORE");
    expect(rows[1]?.textContent).toContain("unencrypted");
  });

  // The password is masked by the backend (`Location::display`, pinned by
  // `a_postgres_password_never_shows` in crates/core/src/store/mod.rs): this page shows the
  // address it was given, so what is tested here is the label and that the text is shown
  // as given.
  it("names a shared PostgreSQL database as such and shows the address it was given", async () => {
    mockIPC(
      ipcRoutes({
        status: () =>
          makeStatus({
            databasePath: "postgres://lanyard:***@db.internal:5432/lanyard",
            databaseBackend: "postgres",
            secretStore: {
              backend: "database",
              usable: true,
              detail: "secrets are sealed in the shared database",
              warning: null,
            },
          }),
      }),
    );
    renderSettings();

    const path = await screen.findByTestId("database-path");
    expect(path.textContent).toBe("postgres://lanyard:***@db.internal:5432/lanyard");
    expect(screen.getByText("Database (PostgreSQL, shared)")).toBeTruthy();
    expect(screen.getByTestId("secret-store-backend").textContent).toBe("Shared database (sealed)");
  });

  it("warns while a new master token waits to be saved, and says nothing otherwise", async () => {
    mockIPC(ipcRoutes({ status: () => makeStatus({ unsavedMasterTokens: ["ch-1"] }) }));
    const { unmount } = renderSettings();
    const warning = await screen.findByTestId("unsaved-master-tokens");
    expect(warning.textContent).toContain("could not be saved safely");
    expect(warning.textContent).toContain("re-authorizing");
    unmount();
    mockIPC(ipcRoutes());
    renderSettings();
    expect(await screen.findByText("/home/ada/.local/share/lanyard")).toBeTruthy();
    expect(screen.queryByTestId("unsaved-master-tokens")).toBeNull();
  });

  it("renders the warning when present", async () => {
    const warning = "Secrets are stored in a file on disk, not in the system keyring.";
    mockIPC(
      ipcRoutes({
        status: () =>
          makeStatus({
            secretStore: { backend: "file", usable: true, detail: "secrets.json", warning },
          }),
      }),
    );
    renderSettings();

    const note = await screen.findByTestId("secret-store-warning");
    expect(note.textContent).toContain(warning);
    expect(screen.getByTestId("secret-store-backend").textContent).toBe("File");
    expect(screen.getByTestId("secret-store-health").textContent).toBe("Ready");
  });

  it("renders an unusable keyring as Unavailable with its detail", async () => {
    mockIPC(
      ipcRoutes({
        status: () =>
          makeStatus({
            secretStore: {
              backend: "keyring",
              usable: false,
              detail: "The Secret Service is not running.",
              warning: null,
            },
          }),
      }),
    );
    renderSettings();

    const badge = await screen.findByTestId("secret-store-health");
    expect(badge.textContent).toBe("Unavailable");
    expect(badge.classList.contains("bad")).toBe(true);
    expect(screen.getByText("The Secret Service is not running.")).toBeTruthy();
    expect(screen.queryByText("Ready")).toBeNull();
  });

  it("renders an IPC error with code and message, and Retry re-invokes", async () => {
    let calls = 0;
    mockIPC(
      ipcRoutes({
        status: () => {
          calls += 1;
          if (calls === 1) {
            throw { code: "secret_store_unavailable", message: "The keyring is locked." };
          }
          return makeStatus();
        },
      }),
    );
    renderSettings();

    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("secret_store_unavailable");
    expect(alert.textContent).toContain("The keyring is locked.");
    expect(calls).toBe(1);

    await fireEvent.click(screen.getByRole("button", { name: "Retry" }));

    expect(await screen.findByText("/home/ada/.local/share/lanyard")).toBeTruthy();
    expect(calls).toBe(2);
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("turns the player gateway on at a loopback address and shows where it serves", async () => {
    const calls: Record<string, unknown>[] = [];
    mockIPC(
      ipcRoutes({
        gateway_set: (args) => {
          calls.push(args);
          return makeGateway({ enabled: Boolean(args.enabled), url: "http://127.0.0.1:7443" });
        },
      }),
    );
    renderSettings();
    expect((await screen.findByTestId("gateway-off")).textContent).toContain("Off");
    const toggle = screen.getByTestId("gateway-enabled") as HTMLInputElement;
    expect(toggle.checked).toBe(false);
    await fireEvent.click(toggle);
    expect((await screen.findByTestId("gateway-url")).textContent).toContain("http://127.0.0.1:7443");
    expect(calls).toEqual([{ enabled: true, listen: "127.0.0.1:7443", corsOrigins: [] }]);
  });

  it("saves the web pages that may use the gateway, one origin per line", async () => {
    const calls: Record<string, unknown>[] = [];
    mockIPC(
      ipcRoutes({
        gateway_set: (args) => {
          calls.push(args);
          return makeGateway({ corsOrigins: args.corsOrigins as string[] });
        },
      }),
    );
    renderSettings();
    await screen.findByTestId("gateway-off");
    await fireEvent.input(screen.getByTestId("gateway-origins"), {
      target: { value: " http://localhost:5173 \n\nhttps://signage.example.com\n" },
    });
    await fireEvent.click(screen.getByTestId("gateway-origins-save"));
    await waitFor(() => expect(calls.length).toBe(1));
    expect(calls[0]).toEqual({
      enabled: false,
      listen: "127.0.0.1:7443",
      corsOrigins: ["http://localhost:5173", "https://signage.example.com"],
    });
  });

  it("shows why the gateway refused an address", async () => {
    mockIPC(
      ipcRoutes({
        gateway_set: () => {
          throw { code: "invalid_input", message: "the app serves players on this computer only" };
        },
      }),
    );
    renderSettings();
    await screen.findByTestId("gateway-off");
    await fireEvent.input(screen.getByLabelText("Address"), { target: { value: "0.0.0.0:7443" } });
    await fireEvent.click(screen.getByTestId("gateway-enabled"));
    expect((await screen.findByTestId("gateway-form-error")).textContent).toContain("this computer only");
  });
});

import { emit } from "@tauri-apps/api/event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { formatDueDate, type Handout } from "../lib/channels";
import type { AuthorizationDto, ChannelDto } from "../lib/ipc";
import { ipcRoutes, makeChannel, makeLink, makeProvider, makeTemplates } from "../lib/test-fixtures";
import Channels from "./Channels.svelte";

const DAY = 86_400;

function authorization(overrides: Partial<AuthorizationDto> = {}): AuthorizationDto {
  return {
    pendingId: "pend-1",
    providerId: "prov-ms",
    channelId: null,
    authorizationUrl: "https://login.example.com/authorize?state=x",
    expiresAt: Math.floor(Date.now() / 1000) + 600,
    ...overrides,
  };
}

type Call = { cmd: string; args: Record<string, unknown> };

/** Records every command, so tests can assert what was invoked and with which arguments. */
function recorder() {
  const calls: Call[] = [];
  const of = (cmd: string) => calls.filter((call) => call.cmd === cmd);
  return { calls, of };
}

function channelItems(): HTMLElement[] {
  return screen.queryAllByTestId("channel");
}

async function chooseProvider(name: string): Promise<void> {
  await fireEvent.click(await screen.findByRole("button", { name: "Connect account" }));
  await fireEvent.click(await screen.findByRole("button", { name }));
}

describe("Channels", () => {
  it("lists channels with provider, account, status, due date and last error", async () => {
    const now = Math.floor(Date.now() / 1000);
    const soon = now + 10 * DAY + 3600;
    const past = now - 2 * DAY;
    mockIPC(
      ipcRoutes({
        channels_list: () => [
          makeChannel({ reauthDueAt: soon }),
          makeChannel({
            id: "ch-2",
            providerName: "Google",
            accountLabel: "bob@example.com",
            status: "needs_reauth",
            reauthDueAt: past,
            lastError: "The refresh token was rejected.",
          }),
          makeChannel({ id: "ch-3", accountLabel: "carol@example.com", status: "revoked" }),
        ],
      }),
    );
    render(Channels);

    await waitFor(() => expect(channelItems()).toHaveLength(3));
    const [alice, bob, carol] = channelItems() as [HTMLElement, HTMLElement, HTMLElement];

    expect(alice.textContent).toContain("alice@example.com");
    expect(alice.textContent).toContain("Contoso Microsoft 365");
    expect(within(alice).getByTestId("channel-status").textContent).toBe("Active");
    const aliceDue = within(alice).getByTestId("channel-due").textContent ?? "";
    expect(aliceDue).toContain(formatDueDate(soon));
    expect(aliceDue).toContain("in 10 days");
    expect(within(alice).queryByTestId("channel-error")).toBeNull();

    expect(within(bob).getByTestId("channel-status").textContent).toBe("Sign in again");
    expect(within(bob).getByTestId("channel-due").textContent).toContain("overdue");
    expect(within(bob).getByTestId("channel-error").textContent).toBe("The refresh token was rejected.");

    expect(within(carol).getByTestId("channel-status").textContent).toBe("Disconnected");
    // No deadline: no "sign in again by" line at all.
    expect(within(carol).queryByTestId("channel-due")).toBeNull();
    expect(carol.textContent).not.toContain("—");

    expect(within(alice).getByRole("button", { name: "Re-authorize alice@example.com" })).toBeTruthy();
    expect(within(alice).getByRole("button", { name: "Disconnect alice@example.com" })).toBeTruthy();
  });

  it("shows an empty state with the Connect button", async () => {
    mockIPC(ipcRoutes());
    render(Channels);
    expect((await screen.findByTestId("channels-empty")).textContent).toContain("No accounts are connected");
    expect(screen.getByRole("button", { name: "Connect account" })).toBeTruthy();
  });

  it("shows a load error with Retry", async () => {
    let calls = 0;
    mockIPC(
      ipcRoutes({
        channels_list: () => {
          calls += 1;
          if (calls === 1) throw { code: "database", message: "The database is locked." };
          return [makeChannel()];
        },
      }),
    );
    render(Channels);
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("The database is locked.");
    await fireEvent.click(screen.getByRole("button", { name: "Retry" }));
    await waitFor(() => expect(channelItems()).toHaveLength(1));
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("explains in the picker when no usable provider exists", async () => {
    mockIPC(ipcRoutes({ providers_list: () => makeTemplates() }));
    render(Channels);
    await fireEvent.click(await screen.findByRole("button", { name: "Connect account" }));

    const explanation = await screen.findByTestId("no-usable-provider");
    expect(explanation.textContent?.replace(/\s+/g, " ")).toContain("open it with File → Open");
    await fireEvent.click(screen.getByRole("button", { name: "Set up a service" }));
    expect(window.location.hash).toBe("#/settings");
    // Templates are not offered.
    expect(screen.queryByRole("button", { name: "Microsoft 365" })).toBeNull();
  });

  it("connects: waiting state, then a connected result refreshes the list and says so", async () => {
    const { calls, of } = recorder();
    let connected = false;
    mockIPC(
      (cmd, args) => {
        calls.push({ cmd, args: (args ?? {}) as Record<string, unknown> });
        return ipcRoutes({
          providers_list: () => [...makeTemplates(), makeProvider()],
          channels_list: () => (connected ? [makeChannel()] : []),
          channel_connect: () => authorization(),
        })(cmd, args);
      },
      { shouldMockEvents: true },
    );
    render(Channels);
    await screen.findByTestId("channels-empty");

    await chooseProvider("Contoso Microsoft 365");

    const waiting = await screen.findByTestId("sign-in-waiting");
    expect(waiting.textContent).toContain("Finish signing in in your browser…");
    expect(waiting.textContent).toContain("Contoso Microsoft 365");
    expect(of("channel_connect").map((call) => call.args)).toEqual([{ providerId: "prov-ms" }]);
    expect(screen.getByRole("button", { name: "Connect account" }).hasAttribute("disabled")).toBe(true);

    connected = true;
    await waitFor(async () => {
      await emit("oauth-result", { outcome: "connected", channel: makeChannel(), reauthorized: false });
      expect(screen.getByTestId("channels-notice").textContent).toBe("Connected alice@example.com");
    });
    await waitFor(() => expect(channelItems()).toHaveLength(1));
    expect(screen.queryByTestId("sign-in-waiting")).toBeNull();
  });

  it("re-authorizes, and a failed result shows the error and keeps the list", async () => {
    const { calls, of } = recorder();
    mockIPC(
      (cmd, args) => {
        calls.push({ cmd, args: (args ?? {}) as Record<string, unknown> });
        return ipcRoutes({
          channels_list: () => [makeChannel()],
          channel_reauth: () => authorization({ channelId: "ch-1" }),
        })(cmd, args);
      },
      { shouldMockEvents: true },
    );
    render(Channels);
    await waitFor(() => expect(channelItems()).toHaveLength(1));

    await fireEvent.click(screen.getByRole("button", { name: "Re-authorize alice@example.com" }));
    await screen.findByTestId("sign-in-waiting");
    expect(of("channel_reauth").map((call) => call.args)).toEqual([{ channelId: "ch-1" }]);

    const message = "You declined access at Contoso Microsoft 365.";
    await waitFor(async () => {
      await emit("oauth-result", { outcome: "failed", error: { code: "access_denied", message } });
      expect(screen.getByRole("alert").textContent).toContain(message);
    });
    expect(screen.queryByTestId("sign-in-waiting")).toBeNull();
    expect(channelItems()).toHaveLength(1);
    expect(of("channels_list")).toHaveLength(1);
  });

  it("Cancel calls oauth_cancel with the pending id", async () => {
    const { calls, of } = recorder();
    mockIPC((cmd, args) => {
      calls.push({ cmd, args: (args ?? {}) as Record<string, unknown> });
      return ipcRoutes({
        providers_list: () => [makeProvider()],
        channel_connect: () => authorization({ pendingId: "pend-42" }),
        oauth_cancel: () => null,
      })(cmd, args);
    });
    render(Channels);

    await chooseProvider("Contoso Microsoft 365");
    await screen.findByTestId("sign-in-waiting");
    await fireEvent.click(screen.getByRole("button", { name: "Cancel" }));

    await waitFor(() => expect(screen.queryByTestId("sign-in-waiting")).toBeNull());
    expect(of("oauth_cancel").map((call) => call.args)).toEqual([{ pendingId: "pend-42" }]);
    expect(screen.getByTestId("channels-notice").textContent).toContain("Sign-in cancelled");
  });

  it("shows a refused sign-in start as an alert", async () => {
    mockIPC(
      ipcRoutes({
        channels_list: () => [makeChannel()],
        channel_reauth: () => {
          throw { code: "secret_store_unavailable", message: "The keyring is locked." };
        },
      }),
    );
    render(Channels);
    await fireEvent.click(await screen.findByRole("button", { name: "Re-authorize alice@example.com" }));
    expect((await screen.findByRole("alert")).textContent).toContain("The keyring is locked.");
    expect(screen.queryByTestId("sign-in-waiting")).toBeNull();
  });

  it("Disconnect asks for confirmation, then disconnects and shows the outcome", async () => {
    const { calls, of } = recorder();
    let channels: ChannelDto[] = [makeChannel(), makeChannel({ id: "ch-2", accountLabel: "bob@example.com" })];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args: (args ?? {}) as Record<string, unknown> });
      return ipcRoutes({
        channels_list: () => channels,
        channel_disconnect: ({ id }) => {
          channels = channels.filter((channel) => channel.id !== id);
          return { channelId: id, revocation: "revoked", revocationDetail: null, unlinked: 2 };
        },
      })(cmd, args);
    });
    render(Channels);
    await waitFor(() => expect(channelItems()).toHaveLength(2));

    // Keeping the channel changes nothing.
    await fireEvent.click(screen.getByRole("button", { name: "Disconnect alice@example.com" }));
    let dialog = screen.getByRole("dialog");
    expect(dialog.textContent).toContain("Disconnect alice@example.com?");
    expect(dialog.textContent).toContain("Every player allowed to use this account loses access to its data at once.");
    await fireEvent.click(within(dialog).getByRole("button", { name: "Keep account" }));
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(of("channel_disconnect")).toHaveLength(0);

    await fireEvent.click(screen.getByRole("button", { name: "Disconnect alice@example.com" }));
    dialog = screen.getByRole("dialog");
    await fireEvent.click(within(dialog).getByRole("button", { name: "Disconnect" }));

    await waitFor(() => expect(channelItems()).toHaveLength(1));
    expect(of("channel_disconnect").map((call) => call.args)).toEqual([{ id: "ch-1" }]);
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(screen.queryByText("alice@example.com")).toBeNull();
    const notice = screen.getByTestId("channels-notice").textContent ?? "";
    expect(notice).toContain("Disconnected alice@example.com.");
    expect(notice).toContain("2 linked players lost access.");
    expect(notice).toContain("Access was revoked at Contoso Microsoft 365.");
  });

  it("shows the revocation detail when revoking is pending", async () => {
    let channels: ChannelDto[] = [makeChannel()];
    mockIPC(
      ipcRoutes({
        channels_list: () => channels,
        channel_disconnect: ({ id }) => {
          channels = [];
          return {
            channelId: id,
            revocation: "pending",
            revocationDetail: "The provider did not answer; Lanyard will retry.",
            unlinked: 0,
          };
        },
      }),
    );
    render(Channels);
    await fireEvent.click(await screen.findByRole("button", { name: "Disconnect alice@example.com" }));
    await fireEvent.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Disconnect" }));

    const notice = await screen.findByTestId("channels-notice");
    expect(notice.textContent).toContain("still pending");
    expect(notice.textContent).toContain("The provider did not answer; Lanyard will retry.");
    await screen.findByTestId("channels-empty");
  });

  it("shows the names of the linked principals on each channel", async () => {
    mockIPC(
      ipcRoutes({
        channels_list: () => [makeChannel(), makeChannel({ id: "ch-2", accountLabel: "bob@example.com" })],
        links_list: () => [makeLink(), makeLink({ principalId: "license", principalName: "Desktop license" })],
      }),
    );
    render(Channels);
    await waitFor(() => expect(screen.getAllByTestId("channel-linked")).toHaveLength(2));
    const [alice, bob] = screen.getAllByTestId("channel-linked") as [HTMLElement, HTMLElement];
    expect(alice.textContent?.replace(/\s+/g, " ").trim()).toBe("Used by: This desktop, Lobby screen");
    expect(bob.textContent).toContain("Used by: no player yet");
    expect(within(bob).getByRole("link").getAttribute("href")).toBe("#/players");
  });
});

describe("Channels: hand-out mode", () => {
  it("shows each channel's mode, explains it, and changes it", async () => {
    const calls: Call[] = [];
    let handout: Handout = "token";
    mockIPC((cmd, args) => {
      calls.push({ cmd, args: (args ?? {}) as Record<string, unknown> });
      if (cmd === "channel_set_handout") {
        handout = (args as { handout: Handout }).handout;
        return null;
      }
      return ipcRoutes({
        channels_list: () => [makeChannel({ handout, accessTokenExpiresAt: Math.floor(Date.now() / 1000) + 75 * 60 })],
      })(cmd, args);
    });
    render(Channels);
    const token = (await screen.findByRole("radio", { name: /account's own access token/ })) as HTMLInputElement;
    const proxy = screen.getByRole("radio", { name: /through Lanyard/ }) as HTMLInputElement;
    expect(token.checked).toBe(true);
    expect(screen.getByTestId("handout-note").textContent).toContain("stays usable");
    expect(screen.getByTestId("handout-note").textContent).toMatch(/about 7[45] more minutes/);

    await fireEvent.click(proxy);
    await waitFor(() =>
      expect(calls.filter((c) => c.cmd === "channel_set_handout").map((c) => c.args)).toEqual([
        { channelId: "ch-1", handout: "proxy" },
      ]),
    );
    await waitFor(() => expect(screen.getByTestId("handout-note").textContent).toContain("never leaves this computer"));
    expect((screen.getByRole("radio", { name: /through Lanyard/ }) as HTMLInputElement).checked).toBe(true);
    expect(screen.getByTestId("channels-notice").textContent).toContain("through Lanyard");
  });
});

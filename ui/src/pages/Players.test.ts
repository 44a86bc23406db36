import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import type { PrincipalDto } from "../lib/bindings/PrincipalDto";
import type { LinkDto, TokenLinkDto } from "../lib/ipc";
import { formatEventTime } from "../lib/players";
import {
  makeAuditEvent,
  makeChannel,
  makeLicense,
  makePlayer,
  makeLink,
  makeToken,
  mockRecording,
} from "../lib/test-fixtures";
import Players from "./Players.svelte";

const SECRET = "lyp_0123456789abcdef0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

const CHANNELS = [makeChannel(), makeChannel({ id: "ch-2", providerName: "Google", accountLabel: "bob@example.com" })];

function principals() {
  return [makeLicense({ lastSeenAt: Math.floor(Date.now() / 1000) - 120 }), makePlayer()];
}

function checkbox(name: string): HTMLInputElement {
  return screen.getByRole("checkbox", { name }) as HTMLInputElement;
}

describe("Players: URL tokens as columns", () => {
  const TOKENS = [
    makeToken({ id: "tok-1", key: "apikey", prefix: "https://feeds.example.com/menu", placement: "form" }),
    makeToken({ id: "tok-2", key: "pin", prefix: "https://feeds.example.com/pin", prompt: true }),
  ];

  it("shows a column per token with each principal's link, and toggles token links", async () => {
    let tokenLinks: TokenLinkDto[] = [{ principalId: "license", tokenId: "tok-1", createdAt: 1 }];
    const { of } = mockRecording({
      players_list: principals,
      channels_list: () => [],
      tokens_list: () => TOKENS,
      token_links_list: () => tokenLinks,
      token_link_add: ({ principalId, tokenId }) => {
        tokenLinks = [...tokenLinks, { principalId: String(principalId), tokenId: String(tokenId), createdAt: 2 }];
        return null;
      },
      token_link_remove: ({ principalId, tokenId }) => {
        tokenLinks = tokenLinks.filter((l) => !(l.principalId === principalId && l.tokenId === tokenId));
        return null;
      },
    });
    render(Players);
    const lobbyFeed = "Let Lobby screen use URL token apikey for https://feeds.example.com/menu";
    await waitFor(() => expect(checkbox(lobbyFeed)).toBeTruthy());
    expect(screen.getAllByTestId("token-column")).toHaveLength(2);
    expect(checkbox("Let This desktop use URL token apikey for https://feeds.example.com/menu").checked).toBe(true);
    expect(checkbox(lobbyFeed).checked).toBe(false);

    await fireEvent.click(checkbox(lobbyFeed));
    await waitFor(() => expect(of("token_link_add")).toHaveLength(1));
    expect(of("token_link_add")[0]?.args).toEqual({ principalId: "pl-1", tokenId: "tok-1" });
    await waitFor(() => expect(checkbox(lobbyFeed).checked).toBe(true));

    await fireEvent.click(checkbox(lobbyFeed));
    await waitFor(() => expect(of("token_link_remove")).toHaveLength(1));
    await waitFor(() => expect(checkbox(lobbyFeed).checked).toBe(false));
  });

  it("does not offer a prompt token to a player, and shows a refusal in the cell", async () => {
    mockRecording({
      players_list: principals,
      channels_list: () => [],
      tokens_list: () => TOKENS,
      token_links_list: () => [],
      token_link_add: () => {
        throw { code: "not_found", message: "no URL token with id tok-1" };
      },
    });
    render(Players);
    const pin = "Let Lobby screen use URL token pin for https://feeds.example.com/pin";
    await waitFor(() => expect(checkbox(pin).disabled).toBe(true));
    expect(checkbox("Let This desktop use URL token pin for https://feeds.example.com/pin").disabled).toBe(false);
    expect(screen.getByTestId("token-blocked").textContent).toContain("Asked at use time");

    await fireEvent.click(checkbox("Let Lobby screen use URL token apikey for https://feeds.example.com/menu"));
    const error = await screen.findByTestId("cell-error");
    expect(error.textContent).toContain("Could not link: no URL token with id tok-1");
  });

  it("keeps the channel matrix when the tokens cannot be loaded", async () => {
    mockRecording({
      players_list: principals,
      channels_list: () => CHANNELS,
      tokens_list: () => {
        throw { code: "storage", message: "database is locked" };
      },
    });
    render(Players);
    await waitFor(() => expect(screen.getAllByRole("checkbox")).toHaveLength(4));
    expect((await screen.findByTestId("tokens-error")).textContent).toContain("database is locked");
  });
});

describe("Players", () => {
  it("shows each screen's state in a sentence", async () => {
    const now = Math.floor(Date.now() / 1000);
    const fetched = now - 300;
    const local = new Date(fetched * 1000);
    const hhmm = `${String(local.getHours()).padStart(2, "0")}:${String(local.getMinutes()).padStart(2, "0")}`;
    const screenOf = (overrides: Partial<NonNullable<PrincipalDto["screen"]>>) => ({
      lastRequestAt: now - 10,
      lastAnswer: "fresh",
      lastCode: null,
      staleSince: null,
      dataFrom: null,
      ...overrides,
    });
    mockRecording({
      players_list: () => [
        makeLicense(),
        makePlayer({ id: "p-live", name: "Live", screen: screenOf({}) }),
        makePlayer({
          id: "p-stale",
          name: "Stale",
          screen: screenOf({
            lastAnswer: "stale",
            lastCode: "upstream_unreachable",
            staleSince: now - 60,
            dataFrom: fetched,
          }),
        }),
        makePlayer({
          id: "p-refused",
          name: "Refused",
          screen: screenOf({ lastAnswer: "refused", lastCode: "not_covered" }),
        }),
        makePlayer({ id: "p-gone", name: "Gone", screen: screenOf({ lastRequestAt: now - 3 * 86_400 - 5 }) }),
        makePlayer({ id: "p-new", name: "New" }),
      ],
      channels_list: () => CHANNELS,
      links_list: () => [],
    });
    render(Players);
    await waitFor(() => expect(screen.getAllByTestId("screen-status")).toHaveLength(5));
    const rows = screen.getAllByTestId("principal-row");
    const status = (name: string) => {
      const row = rows.find((r) => r.querySelector(".name")?.textContent === name);
      return within(row as HTMLElement).getByTestId("screen-status");
    };
    expect(within(rows[0] as HTMLElement).queryByTestId("screen-status")).toBeNull();
    expect(status("Live").textContent?.trim()).toBe("showing live data");
    expect(status("Live").dataset.tone).toBe("fresh");
    expect(status("Stale").textContent?.trim()).toBe(`showing data from ${hhmm} — the data source is unreachable`);
    expect(status("Stale").dataset.tone).toBe("stale");
    expect(status("Refused").textContent?.trim()).toBe("refused: not linked");
    expect(status("Gone").textContent?.trim()).toBe("not seen for 3 days");
    expect(status("Gone").dataset.tone).toBe("idle");
    expect(status("New").textContent?.trim()).toBe("not seen by a gateway yet");
  });

  it("renders a checkbox per principal × channel with the linked state", async () => {
    mockRecording({
      players_list: principals,
      channels_list: () => CHANNELS,
      links_list: () => [makeLink({ principalId: "license", principalName: "Desktop license" })],
    });
    render(Players);

    await waitFor(() => expect(screen.getAllByRole("checkbox")).toHaveLength(4));
    expect(checkbox("Allow This desktop to use alice@example.com").checked).toBe(true);
    expect(checkbox("Allow This desktop to use bob@example.com").checked).toBe(false);
    expect(checkbox("Allow Lobby screen to use alice@example.com").checked).toBe(false);
    expect(checkbox("Allow Lobby screen to use bob@example.com").checked).toBe(false);

    const [license, lobby] = screen.getAllByTestId("principal-row") as [HTMLElement, HTMLElement];
    expect(license.textContent).toContain("This desktop");
    expect(within(license).getByTestId("last-grant").textContent).toContain("last used 2 minutes ago");
    expect(lobby.textContent).toContain("Lobby screen");
    expect(lobby.textContent).toContain("LOBBY-0001");
    expect(within(lobby).getByTestId("last-grant").textContent).toContain("last used never");
    const matrix = screen.getByTestId("link-matrix");
    expect(matrix.textContent).toContain("Google");
    expect(matrix.textContent).toContain("bob@example.com");
  });

  it("toggling calls link_add / link_remove with the right arguments and reloads the links", async () => {
    let links: LinkDto[] = [makeLink({ principalId: "license", principalName: "Desktop license" })];
    const { of } = mockRecording({
      players_list: principals,
      channels_list: () => CHANNELS,
      links_list: () => links,
      link_add: ({ principalId, channelId }) => {
        links = [...links, makeLink({ principalId: String(principalId), channelId: String(channelId) })];
        return null;
      },
      link_remove: ({ principalId, channelId }) => {
        links = links.filter((l) => !(l.principalId === principalId && l.channelId === channelId));
        return null;
      },
    });
    render(Players);
    await waitFor(() => expect(screen.getAllByRole("checkbox")).toHaveLength(4));
    expect(of("links_list")).toHaveLength(1);

    await fireEvent.click(checkbox("Allow Lobby screen to use bob@example.com"));
    await waitFor(() => expect(of("links_list")).toHaveLength(2));
    expect(of("link_add").map((c) => c.args)).toEqual([{ principalId: "pl-1", channelId: "ch-2" }]);
    await waitFor(() => expect(checkbox("Allow Lobby screen to use bob@example.com").checked).toBe(true));

    await fireEvent.click(checkbox("Allow This desktop to use alice@example.com"));
    await waitFor(() => expect(of("links_list")).toHaveLength(3));
    expect(of("link_remove").map((c) => c.args)).toEqual([{ principalId: "license", channelId: "ch-1" }]);
    await waitFor(() => expect(checkbox("Allow This desktop to use alice@example.com").checked).toBe(false));
    expect(screen.queryByTestId("cell-error")).toBeNull();
  });

  it("disables the checkbox while its call is in flight", async () => {
    let release: () => void = () => {};
    mockRecording({
      players_list: principals,
      channels_list: () => [makeChannel()],
      link_add: () => new Promise((done) => (release = () => done(null))),
    });
    render(Players);
    await waitFor(() => expect(screen.getAllByRole("checkbox")).toHaveLength(2));

    await fireEvent.click(checkbox("Allow Lobby screen to use alice@example.com"));
    await waitFor(() => expect(checkbox("Allow Lobby screen to use alice@example.com").disabled).toBe(true));
    expect(checkbox("Allow This desktop to use alice@example.com").disabled).toBe(false);
    release();
    await waitFor(() => expect(checkbox("Allow Lobby screen to use alice@example.com").disabled).toBe(false));
  });

  it("shows a refused link next to the checkbox and keeps it unticked", async () => {
    mockRecording({
      players_list: principals,
      channels_list: () => [makeChannel({ status: "revoked" })],
      link_add: () => {
        throw { code: "invalid_input", message: "The channel is revoked." };
      },
    });
    render(Players);
    await waitFor(() => expect(screen.getAllByRole("checkbox")).toHaveLength(2));

    await fireEvent.click(checkbox("Allow Lobby screen to use alice@example.com"));
    const error = await screen.findByTestId("cell-error");
    expect(error.textContent).toContain("Could not link: The channel is revoked.");
    expect(checkbox("Allow Lobby screen to use alice@example.com").checked).toBe(false);
  });

  it("adds a player with name and serial", async () => {
    let list = [makeLicense()];
    const { of } = mockRecording({
      players_list: () => list,
      player_add: ({ name, serial }) => {
        const player = makePlayer({ name: String(name), serial: (serial as string | null) ?? "GEN-1" });
        list = [...list, player];
        return { player, secret: SECRET };
      },
    });
    render(Players);
    expect((await screen.findByTestId("no-players")).textContent).toContain("No players yet");

    await fireEvent.input(screen.getByLabelText("Name"), { target: { value: "  Lobby screen " } });
    await fireEvent.input(screen.getByLabelText("Serial (optional)"), { target: { value: "LOBBY-0001" } });
    await fireEvent.click(screen.getByRole("button", { name: "Add player" }));

    await waitFor(() => expect(screen.getAllByTestId("principal-row")).toHaveLength(2));
    expect(of("player_add").map((c) => c.args)).toEqual([{ name: "Lobby screen", serial: "LOBBY-0001" }]);
    expect(screen.getByTestId("players-notice").textContent).toContain("Added Lobby screen");
    expect((screen.getByLabelText("Name") as HTMLInputElement).value).toBe("");
    expect(screen.queryByTestId("no-players")).toBeNull();

    // The secret is shown once, then forgotten.
    expect((await screen.findByTestId("player-secret")).textContent).toBe(SECRET);
    expect((await screen.findByTestId("qr-code")).getAttribute("alt")).toContain("Lobby screen");
    expect(of("qr_code").map((c) => c.args)).toEqual([{ text: SECRET }]);
    await fireEvent.click(screen.getByRole("button", { name: "Done" }));
    expect(screen.queryByTestId("secret-dialog")).toBeNull();
    expect(document.body.textContent).not.toContain(SECRET);
  });

  it("issues a new secret after confirmation and shows it once", async () => {
    const player = makePlayer({ name: "Lobby screen" });
    const { of } = mockRecording({
      players_list: () => [makeLicense(), player],
      player_rotate_secret: () => ({ player, secret: SECRET }),
    });
    render(Players);
    await fireEvent.click(await screen.findByRole("button", { name: "New secret for Lobby screen" }));
    await fireEvent.click(screen.getByRole("button", { name: "Keep the current secret" }));
    expect(of("player_rotate_secret")).toHaveLength(0);

    await fireEvent.click(screen.getByRole("button", { name: "New secret for Lobby screen" }));
    await fireEvent.click(screen.getByRole("button", { name: "Issue a new secret" }));
    expect((await screen.findByTestId("player-secret")).textContent).toBe(SECRET);
    expect(of("player_rotate_secret").map((c) => c.args)).toEqual([{ id: player.id }]);
    expect(screen.getByTestId("players-notice").textContent).toContain("the old one no longer works");
  });

  it("sends a null serial when it is left empty, and requires a name", async () => {
    const { of } = mockRecording({
      player_add: ({ name }) => ({ player: makePlayer({ name: String(name) }), secret: SECRET }),
    });
    render(Players);
    await screen.findByTestId("no-players");

    await fireEvent.click(screen.getByRole("button", { name: "Add player" }));
    expect((await screen.findByRole("alert")).textContent).toContain("Enter a name");
    expect(of("player_add")).toHaveLength(0);

    await fireEvent.input(screen.getByLabelText("Name"), { target: { value: "Kiosk" } });
    await fireEvent.click(screen.getByRole("button", { name: "Add player" }));
    await waitFor(() => expect(of("player_add")).toHaveLength(1));
    expect(of("player_add")[0]?.args).toEqual({ name: "Kiosk", serial: null });
  });

  it("shows a duplicate serial inline", async () => {
    mockRecording({
      player_add: () => {
        throw { code: "conflict", message: 'a player with serial "LOBBY-0001" is already registered' };
      },
    });
    render(Players);
    await screen.findByTestId("no-players");
    await fireEvent.input(screen.getByLabelText("Name"), { target: { value: "Lobby 2" } });
    await fireEvent.input(screen.getByLabelText("Serial (optional)"), { target: { value: "LOBBY-0001" } });
    await fireEvent.click(screen.getByRole("button", { name: "Add player" }));

    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("is already registered");
    expect(alert.id).toBe("player-serial-error");
    expect(screen.getByLabelText("Serial (optional)").getAttribute("aria-invalid")).toBe("true");
    // The form keeps what was typed.
    expect((screen.getByLabelText("Name") as HTMLInputElement).value).toBe("Lobby 2");
  });

  it("the license has no Remove button; removing a player asks first, then calls player_remove", async () => {
    let list = principals();
    const { of } = mockRecording({
      players_list: () => list,
      channels_list: () => CHANNELS,
      player_remove: ({ id }) => {
        list = list.filter((p) => p.id !== id);
        return null;
      },
    });
    render(Players);
    await waitFor(() => expect(screen.getAllByTestId("principal-row")).toHaveLength(2));

    const [license] = screen.getAllByTestId("principal-row") as [HTMLElement];
    expect(within(license).queryByRole("button")).toBeNull();
    expect(screen.getAllByRole("button", { name: /^Remove/ })).toHaveLength(1);

    await fireEvent.click(screen.getByRole("button", { name: "Remove Lobby screen" }));
    let dialog = screen.getByRole("dialog");
    expect(dialog.textContent).toContain("Remove Lobby screen?");
    expect(dialog.textContent).toContain("It loses access to every account and URL token at once");
    await fireEvent.click(within(dialog).getByRole("button", { name: "Keep player" }));
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(of("player_remove")).toHaveLength(0);

    await fireEvent.click(screen.getByRole("button", { name: "Remove Lobby screen" }));
    dialog = screen.getByRole("dialog");
    await fireEvent.click(within(dialog).getByRole("button", { name: "Remove player" }));
    await waitFor(() => expect(screen.getAllByTestId("principal-row")).toHaveLength(1));
    expect(of("player_remove").map((c) => c.args)).toEqual([{ id: "pl-1" }]);
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(screen.getByTestId("players-notice").textContent).toContain("Removed Lobby screen");
  });

  it("explains what to do when no account is connected", async () => {
    mockRecording({ players_list: principals });
    render(Players);
    const empty = await screen.findByTestId("no-channels");
    expect(empty.textContent).toContain("Players get access only to the accounts you connect");
    expect(within(empty).getByRole("link").getAttribute("href")).toBe("#/channels");
    expect(screen.queryAllByRole("checkbox")).toHaveLength(0);
  });

  it("shows a load error with Retry", async () => {
    let calls = 0;
    mockRecording({
      players_list: () => {
        calls += 1;
        if (calls === 1) throw { code: "database", message: "The database is locked." };
        return principals();
      },
    });
    render(Players);
    expect((await screen.findByRole("alert")).textContent).toContain("The database is locked.");
    await fireEvent.click(screen.getByRole("button", { name: "Retry" }));
    await waitFor(() => expect(screen.getAllByTestId("principal-row")).toHaveLength(2));
  });
});

describe("Players audit", () => {
  const NOW = Math.floor(Date.now() / 1000);

  it("lists events with time, action, outcome, who, channel and detail", async () => {
    mockRecording({
      players_list: principals,
      channels_list: () => CHANNELS,
      audit_list: () => [
        makeAuditEvent({ id: 3, at: NOW - 60, outcome: "denied", detail: "not linked" }),
        makeAuditEvent({
          id: 2,
          at: NOW - 120,
          action: "player_added",
          subjectKind: "principal",
          subjectId: "pl-1",
          principalId: "pl-1",
        }),
        makeAuditEvent({ id: 1, at: NOW - 180, principalId: "pl-gone", subjectId: "ch-gone" }),
      ],
    });
    render(Players);
    await waitFor(() => expect(screen.getAllByTestId("audit-row")).toHaveLength(3));
    await waitFor(() => expect(screen.getAllByTestId("principal-row")).toHaveLength(2));
    const cells = (row: HTMLElement) => Array.from(row.querySelectorAll("td")).map((td) => td.textContent?.trim());
    const [denied, added, unknown] = screen.getAllByTestId("audit-row") as [HTMLElement, HTMLElement, HTMLElement];
    expect(cells(denied)).toEqual([
      formatEventTime(NOW - 60),
      "Access given",
      "Denied",
      "Lobby screen",
      "alice@example.com",
      "not linked",
    ]);
    expect(cells(added).slice(1, 5)).toEqual(["Player added", "OK", "Lobby screen", "—"]);
    expect(cells(unknown).slice(3, 5)).toEqual(["pl-gone", "ch-gone"]);
  });

  it("sends the channel and period filters, and Refresh asks again", async () => {
    const { of } = mockRecording({ players_list: principals, channels_list: () => CHANNELS });
    render(Players);
    await waitFor(() => expect(of("audit_list")).toHaveLength(1));
    await screen.findByTestId("audit-empty");

    const near = (since: unknown, seconds: number) => {
      expect(typeof since).toBe("number");
      expect(Math.abs((since as number) - (Math.floor(Date.now() / 1000) - seconds))).toBeLessThan(30);
    };
    // Default: all channels, last 24 hours.
    expect(of("audit_list")[0]?.args.channelId).toBeNull();
    near(of("audit_list")[0]?.args.since, 86_400);

    const audit = screen.getByTestId("audit");
    await waitFor(() => expect(within(audit).getAllByRole("option", { name: /alice/ })).toHaveLength(1));
    await fireEvent.change(within(audit).getByLabelText("Account"), { target: { value: "ch-2" } });
    await waitFor(() => expect(of("audit_list")).toHaveLength(2));
    expect(of("audit_list")[1]?.args.channelId).toBe("ch-2");
    near(of("audit_list")[1]?.args.since, 86_400);

    await fireEvent.change(within(audit).getByLabelText("Period"), { target: { value: "hour" } });
    await waitFor(() => expect(of("audit_list")).toHaveLength(3));
    expect(of("audit_list")[2]?.args.channelId).toBe("ch-2");
    near(of("audit_list")[2]?.args.since, 3_600);

    await fireEvent.change(within(audit).getByLabelText("Period"), { target: { value: "week" } });
    await waitFor(() => expect(of("audit_list")).toHaveLength(4));
    near(of("audit_list")[3]?.args.since, 7 * 86_400);

    await fireEvent.change(within(audit).getByLabelText("Period"), { target: { value: "all" } });
    await waitFor(() => expect(of("audit_list")).toHaveLength(5));
    expect(of("audit_list")[4]?.args.since).toBeNull();

    await fireEvent.change(within(audit).getByLabelText("Account"), { target: { value: "" } });
    await waitFor(() => expect(of("audit_list")).toHaveLength(6));
    await fireEvent.click(await within(audit).findByRole("button", { name: "Refresh" }));
    await waitFor(() => expect(of("audit_list")).toHaveLength(7));
    expect(of("audit_list")[6]?.args).toMatchObject({ channelId: null, since: null });
  });

  it("shows an audit error without hiding the matrix", async () => {
    mockRecording({
      players_list: principals,
      channels_list: () => CHANNELS,
      audit_list: () => {
        throw { code: "database", message: "audit unavailable" };
      },
    });
    render(Players);
    expect((await screen.findByRole("alert")).textContent).toContain("audit unavailable");
    await waitFor(() => expect(screen.getAllByRole("checkbox")).toHaveLength(4));
  });
});

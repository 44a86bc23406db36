import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import type { FeedDto, NewFeedDto } from "../../ipc";
import { makePlayer, makePreviewReport, mockRecording } from "../../test-fixtures";
import { queryNames } from "../../feeds";
import FeedLinks from "./FeedLinks.svelte";

const LINK = "http://127.0.0.1:7443/v1/feeds/f1/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcd";

function feed(overrides: Partial<FeedDto> = {}): FeedDto {
  return {
    id: "f1",
    name: "Menu",
    playerId: "pl-1",
    url: "https://data.example.com/menu.json",
    allowQuery: [],
    createdAt: 1,
    rotatedAt: null,
    covered: true,
    ...overrides,
  };
}

function made(overrides: Partial<FeedDto> = {}, link = LINK): NewFeedDto {
  return { feed: feed(overrides), link, gateway: { url: "http://127.0.0.1:7443", source: "default" } };
}

const PLAYERS = [makePlayer(), makePlayer({ id: "pl-2", name: "Kiosk", serial: "K-2" })];

describe("Feed links", () => {
  it("lists each screen's links, and says when one is refused now", async () => {
    mockRecording({
      feeds_list: () => [feed(), feed({ id: "f2", name: "Board", playerId: "pl-2", covered: false })],
    });
    render(FeedLinks, { players: PLAYERS });
    const lobby = await screen.findByRole("region", { name: "Feed links of Lobby screen" });
    await waitFor(() => expect(within(lobby).getByText("Menu")).toBeTruthy());
    const kiosk = screen.getByRole("region", { name: "Feed links of Kiosk" });
    expect(within(kiosk).getByText("Board")).toBeTruthy();
    expect(within(kiosk).getByTestId("feed-refused")).toBeTruthy();
    expect(within(lobby).queryByTestId("feed-refused")).toBeNull();
    expect(screen.getByTestId("feed-link-base").textContent).toContain("http://127.0.0.1:7443");
  });

  it("makes a link for a screen and shows it once with a QR code and what it returns as that screen", async () => {
    const { of } = mockRecording({
      feed_add: ({ input }) => made({ ...(input as Partial<FeedDto>), id: "f9", name: "Menu" }),
      preview_send: () => makePreviewReport(),
    });
    render(FeedLinks, { players: PLAYERS });
    await fireEvent.click(await screen.findByRole("button", { name: "Make a feed link for Kiosk" }));
    await fireEvent.input(screen.getByLabelText("Data URL"), {
      target: { value: " https://data.example.com/menu.json " },
    });
    await fireEvent.input(screen.getByLabelText("Query parameters the widget may add (optional)"), {
      target: { value: "page, limit page" },
    });
    await fireEvent.click(screen.getByRole("button", { name: "Make feed link" }));
    await waitFor(() => expect(of("feed_add")).toHaveLength(1));
    expect(of("feed_add")[0]?.args).toEqual({
      input: { playerId: "pl-2", url: "https://data.example.com/menu.json", name: null, allowQuery: ["page", "limit"] },
    });
    const dialog = await screen.findByTestId("feed-link-dialog");
    expect((within(dialog).getByTestId("feed-link") as HTMLTextAreaElement).value).toBe(LINK);
    expect(within(dialog).getByRole("heading", { name: /Feed link for Kiosk/ })).toBeTruthy();
    await waitFor(() => expect(within(dialog).getByTestId("qr-code")).toBeTruthy());
    await waitFor(() => expect(of("preview_send")).toHaveLength(1));
    expect(of("preview_send")[0]?.args).toMatchObject({
      input: { url: "https://data.example.com/menu.json", method: "GET", asPrincipal: "player:pl-2" },
    });
    await waitFor(() => expect(within(dialog).getByTestId("feed-link-returns").textContent).toContain("200"));
    expect(of("qr_code")[0]?.args).toEqual({ text: LINK });

    await fireEvent.click(within(dialog).getByRole("button", { name: "Done" }));
    await waitFor(() => expect(screen.queryByTestId("feed-link-dialog")).toBeNull());
    expect(document.body.textContent).not.toContain(LINK);
  });

  it("shows the refusal the screen would get instead of data", async () => {
    mockRecording({
      feed_add: () => made(),
      preview_send: () => {
        throw { code: "not_covered", message: "not under an API base linked to this player" };
      },
    });
    render(FeedLinks, { players: PLAYERS });
    await fireEvent.input(await screen.findByLabelText("Data URL"), { target: { value: "https://x.example/a" } });
    await fireEvent.click(screen.getByRole("button", { name: "Make feed link" }));
    const dialog = await screen.findByTestId("feed-link-dialog");
    await waitFor(() => expect(within(dialog).getByRole("alert").textContent).toContain("not_covered"));
  });

  it("puts a refused URL next to its field and makes nothing", async () => {
    const { of } = mockRecording({
      feed_add: () => {
        throw { code: "invalid_input", message: "only http and https URLs", field: "url" };
      },
    });
    render(FeedLinks, { players: PLAYERS });
    await fireEvent.click(await screen.findByRole("button", { name: "Make feed link" }));
    expect(of("feed_add")).toHaveLength(0);
    await fireEvent.input(screen.getByLabelText("Data URL"), { target: { value: "ftp://x" } });
    await fireEvent.click(screen.getByRole("button", { name: "Make feed link" }));
    await waitFor(() => expect(screen.getByText("only http and https URLs")).toBeTruthy());
    expect(screen.queryByTestId("feed-link-dialog")).toBeNull();
  });

  it("gives a link a new key after asking, and removes one after asking", async () => {
    let list = [feed()];
    const { of } = mockRecording({
      feeds_list: () => list,
      feed_rotate: () => made({}, `${LINK}NEW`),
      feed_remove: () => {
        list = [];
        return null;
      },
      preview_send: () => makePreviewReport(),
    });
    render(FeedLinks, { players: PLAYERS });
    await fireEvent.click(await screen.findByRole("button", { name: "New link for Menu" }));
    await fireEvent.click(screen.getByRole("button", { name: "Make a new link" }));
    await waitFor(() => expect(of("feed_rotate")[0]?.args).toEqual({ id: "f1" }));
    const dialog = await screen.findByTestId("feed-link-dialog");
    expect((within(dialog).getByTestId("feed-link") as HTMLTextAreaElement).value).toBe(`${LINK}NEW`);
    await fireEvent.click(within(dialog).getByRole("button", { name: "Done" }));

    await fireEvent.click(screen.getByRole("button", { name: "Remove feed link Menu" }));
    await fireEvent.click(screen.getByRole("button", { name: "Remove feed link" }));
    await waitFor(() => expect(of("feed_remove")[0]?.args).toEqual({ id: "f1" }));
    await waitFor(() => expect(screen.queryByTestId("feed-row")).toBeNull());
  });

  it("saves the gateway's public address, and shows a refusal", async () => {
    const { of } = mockRecording({
      feed_gateway_set: ({ url }) => {
        if (String(url).startsWith("http://gw")) throw { code: "invalid_input", message: "must be https" };
        return { url: String(url), source: "setting" };
      },
    });
    render(FeedLinks, { players: PLAYERS });
    const field = await screen.findByLabelText("Gateway's public address");
    await fireEvent.input(field, { target: { value: "http://gw.example.com" } });
    await fireEvent.click(screen.getByRole("button", { name: "Save address" }));
    await waitFor(() => expect(screen.getByText("must be https")).toBeTruthy());
    await fireEvent.input(field, { target: { value: "https://gw.example.com" } });
    await fireEvent.click(screen.getByRole("button", { name: "Save address" }));
    await waitFor(() => expect(screen.getByTestId("feed-link-base").textContent).toContain("https://gw.example.com"));
    expect(of("feed_gateway_set").map((c) => c.args)).toEqual([
      { url: "http://gw.example.com" },
      { url: "https://gw.example.com" },
    ]);
  });

  it("reads allowed query names as typed", () => {
    expect(queryNames(" page, limit  page,,x ")).toEqual(["page", "limit", "x"]);
    expect(queryNames("")).toEqual([]);
  });
});

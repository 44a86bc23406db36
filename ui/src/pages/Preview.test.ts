import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import {
  makeChannel,
  makeHistoryEntry,
  makeLicense,
  makePlayer,
  makePreviewReport,
  mockRecording as mockFixtureRecording,
  type IpcHandlers,
} from "../lib/test-fixtures";
import Preview from "./Preview.svelte";

/** The recording mock with a preview report by default. */
function mockRecording(handlers: IpcHandlers = {}) {
  return mockFixtureRecording({ preview_send: () => makePreviewReport(), ...handlers });
}

const URL = "https://graph.microsoft.com/v1.0/sites/menu";

function field(label: string | RegExp): HTMLInputElement {
  return screen.getByLabelText(label) as HTMLInputElement;
}

async function typeUrl(value: string): Promise<void> {
  await fireEvent.input(field("URL"), { target: { value } });
}

async function sendWithEnter(value = URL): Promise<void> {
  await typeUrl(value);
  await fireEvent.keyDown(field("URL"), { key: "Enter" });
}

describe("Preview request", () => {
  it("previews as a player when one is chosen, and says what that means", async () => {
    const ipc = mockRecording({
      players_list: () => [makeLicense(), makePlayer({ id: "pl-1", name: "Lobby screen" })],
    });
    render(Preview);
    await screen.findByRole("option", { name: "Lobby screen (player)" });
    expect(screen.queryByTestId("preview-as-note")).toBeNull();
    await fireEvent.change(field("As"), { target: { value: "player:pl-1" } });
    expect(screen.getByTestId("preview-as-note").textContent).toContain("Exactly what this player gets");
    await sendWithEnter();
    await waitFor(() => expect(ipc.of("preview_send")).toHaveLength(1));
    expect((ipc.of("preview_send")[0]?.args.input as { asPrincipal: string }).asPrincipal).toBe("player:pl-1");
  });

  it("makes a feed link for the screen it previews as, shown once with what it returns", async () => {
    const link = "http://127.0.0.1:7443/v1/feeds/f1/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcd";
    const ipc = mockRecording({
      players_list: () => [makeLicense(), makePlayer({ id: "pl-1", name: "Lobby screen" })],
      feed_add: ({ input }) => ({
        feed: {
          id: "f1",
          name: "graph.microsoft.com/v1.0/sites/menu",
          playerId: (input as { playerId: string }).playerId,
          url: (input as { url: string }).url,
          allowQuery: [],
          createdAt: 1,
          rotatedAt: null,
          covered: true,
        },
        link,
        gateway: { url: "http://127.0.0.1:7443", source: "default" },
      }),
    });
    render(Preview);
    await screen.findByRole("option", { name: "Lobby screen (player)" });
    expect(screen.queryByTestId("make-feed-link")).toBeNull();
    await fireEvent.change(field("As"), { target: { value: "player:pl-1" } });
    await fireEvent.click(screen.getByTestId("make-feed-link"));
    expect(screen.getByTestId("feed-link-error").textContent).toContain("data URL");
    expect(ipc.of("feed_add")).toHaveLength(0);
    await typeUrl(URL);
    await fireEvent.click(screen.getByTestId("make-feed-link"));
    await waitFor(() => expect(ipc.of("feed_add")).toHaveLength(1));
    expect(ipc.of("feed_add")[0]?.args).toEqual({
      input: { playerId: "pl-1", url: URL, name: null, allowQuery: [] },
    });
    const dialog = await screen.findByTestId("feed-link-dialog");
    expect((within(dialog).getByTestId("feed-link") as HTMLTextAreaElement).value).toBe(link);
    await waitFor(() => expect(ipc.of("preview_send")).toHaveLength(1));
    expect((ipc.of("preview_send")[0]?.args.input as { asPrincipal: string }).asPrincipal).toBe("player:pl-1");
  });

  it("shows a player's refusal as the error it is", async () => {
    mockRecording({
      players_list: () => [makePlayer({ id: "pl-1", name: "Lobby screen" })],
      preview_send: () => {
        throw { code: "not_covered", message: "not under an API base or URL token prefix linked to this player" };
      },
    });
    render(Preview);
    await screen.findByRole("option", { name: "Lobby screen (player)" });
    await fireEvent.change(field("As"), { target: { value: "player:pl-1" } });
    await sendWithEnter();
    const alert = await screen.findByTestId("preview-error");
    expect(alert.textContent).toContain("not_covered");
  });

  it("sends method, URL, headers, body and the chosen channel", async () => {
    const ipc = mockRecording({ channels_list: () => [makeChannel()] });
    render(Preview);
    await screen.findByRole("option", { name: "alice@example.com (Contoso Microsoft 365)" });

    await fireEvent.change(field("Method"), { target: { value: "POST" } });
    await typeUrl(URL);
    await fireEvent.change(field("Account"), { target: { value: "ch-1" } });
    await fireEvent.click(screen.getByRole("button", { name: "Add header" }));
    await fireEvent.input(field("Header 1 name"), { target: { value: " Content-Type " } });
    await fireEvent.input(field("Header 1 value"), { target: { value: "application/json" } });
    await fireEvent.input(field("Body"), { target: { value: '{"a":1}' } });
    await fireEvent.click(screen.getByRole("button", { name: "Send" }));

    await waitFor(() => expect(ipc.of("preview_send")).toHaveLength(1));
    expect(ipc.of("preview_send")[0]?.args).toEqual({
      input: {
        url: URL,
        method: "POST",
        headers: [["Content-Type", "application/json"]],
        body: '{"a":1}',
        channelId: "ch-1",
        asPrincipal: "license",
      },
    });
  });

  it("sends on Enter in the URL field, automatic channel and no body for GET", async () => {
    const ipc = mockRecording();
    render(Preview);
    expect(screen.getByRole("option", { name: "Automatic (by address)" })).toBeTruthy();
    expect(screen.queryByLabelText("Body")).toBeNull();

    await sendWithEnter(`  ${URL}  `);

    await waitFor(() => expect(ipc.of("preview_send")).toHaveLength(1));
    expect(ipc.of("preview_send")[0]?.args).toEqual({
      input: { url: URL, method: "GET", headers: [], body: null, channelId: null, asPrincipal: "license" },
    });
    expect(await screen.findByTestId("preview-status")).toBeTruthy();
    expect(screen.getByTestId("preview-status").textContent).toBe("200");
    expect(screen.getByTestId("preview-status").classList.contains("success")).toBe(true);
  });

  it("shows a busy state and refuses an empty URL", async () => {
    let release: (value: unknown) => void = () => {};
    const ipc = mockRecording({
      preview_send: () => new Promise((resolve) => (release = resolve)),
    });
    render(Preview);

    await fireEvent.click(screen.getByRole("button", { name: "Send" }));
    expect(screen.getByRole("alert").textContent).toContain("Enter the data URL");
    expect(ipc.of("preview_send")).toHaveLength(0);

    await sendWithEnter();
    const busy = await screen.findByRole("button", { name: "Sending…" });
    expect((busy as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.keyDown(field("URL"), { key: "Enter" });
    expect(ipc.of("preview_send")).toHaveLength(1);

    release(makePreviewReport());
    const send = await screen.findByRole("button", { name: "Send" });
    expect((send as HTMLButtonElement).disabled).toBe(false);
  });

  it("adds and removes header rows", async () => {
    const ipc = mockRecording();
    render(Preview);

    await fireEvent.click(screen.getByRole("button", { name: "Add header" }));
    await fireEvent.click(screen.getByRole("button", { name: "Add header" }));
    expect(screen.getAllByTestId("header-row")).toHaveLength(2);
    await fireEvent.input(field("Header 1 name"), { target: { value: "Accept" } });
    await fireEvent.input(field("Header 1 value"), { target: { value: "text/xml" } });
    await fireEvent.input(field("Header 2 name"), { target: { value: "X-Trace" } });
    await fireEvent.input(field("Header 2 value"), { target: { value: "1" } });

    await fireEvent.click(screen.getByRole("button", { name: "Remove header 1" }));
    expect(screen.getAllByTestId("header-row")).toHaveLength(1);
    expect(field("Header 1 name").value).toBe("X-Trace");

    await sendWithEnter();
    await waitFor(() => expect(ipc.of("preview_send")).toHaveLength(1));
    expect((ipc.of("preview_send")[0]?.args.input as { headers: unknown }).headers).toEqual([["X-Trace", "1"]]);

    await fireEvent.click(screen.getByRole("button", { name: "Remove header 1" }));
    expect(screen.queryAllByTestId("header-row")).toHaveLength(0);
  });

  it("refuses a header value without a name", async () => {
    const ipc = mockRecording();
    render(Preview);
    await fireEvent.click(screen.getByRole("button", { name: "Add header" }));
    await fireEvent.input(field("Header 1 value"), { target: { value: "orphan" } });
    await sendWithEnter();
    expect(screen.getByRole("alert").textContent).toContain("Header 1 has a value but no name.");
    expect(ipc.of("preview_send")).toHaveLength(0);
  });
});

describe("Preview response", () => {
  it("renders the JSON body as a collapsible tree", async () => {
    mockRecording();
    render(Preview);
    await sendWithEnter();

    const tree = await screen.findByTestId("json-tree");
    expect(tree.textContent).toContain('"title"');
    expect(tree.textContent).toContain('"Lobby menu"');
    expect(tree.textContent).toContain("3 keys");
    expect(tree.textContent).toContain("2 items");
    expect(tree.querySelector(".boolean")?.textContent).toBe("true");
    expect(tree.querySelector(".null")?.textContent).toBe("null");
    expect(tree.querySelector(".number")?.textContent).toBe("2.5");

    const items = within(tree).getByRole("button", { name: "Collapse items" });
    expect(items.getAttribute("aria-expanded")).toBe("true");
    await fireEvent.click(items);
    expect(within(tree).getByRole("button", { name: "Expand items" }).getAttribute("aria-expanded")).toBe("false");
    expect(tree.textContent).not.toContain('"Coffee"');
    expect(tree.textContent).toContain("2 items");
    await fireEvent.click(within(tree).getByRole("button", { name: "Expand items" }));
    expect(tree.textContent).toContain('"Coffee"');
  });

  it("falls back to text when the JSON does not parse", async () => {
    mockRecording({
      preview_send: () => makePreviewReport({ body: { kind: "json", text: '{"cut": [1, 2' }, truncated: true }),
    });
    render(Preview);
    await sendWithEnter();
    expect((await screen.findByTestId("json-raw")).textContent).toBe('{"cut": [1, 2');
    expect(screen.getByTestId("truncated")).toBeTruthy();
  });

  it("shows an image body with a data: URL", async () => {
    mockRecording({
      preview_send: () => makePreviewReport({ body: { kind: "image", mime: "image/png", base64: "iVBORw0KGgo=" } }),
    });
    render(Preview);
    await sendWithEnter();
    const img = (await screen.findByRole("img", { name: "Response image (image/png)" })) as HTMLImageElement;
    expect(img.getAttribute("src")).toBe("data:image/png;base64,iVBORw0KGgo=");
  });

  it("notes a binary body with its size", async () => {
    mockRecording({
      preview_send: () =>
        makePreviewReport({ body: { kind: "binary", mime: "application/zip", base64: "UEsDBA==" }, size: 2048 }),
    });
    render(Preview);
    await sendWithEnter();
    expect((await screen.findByTestId("binary-note")).textContent).toContain("application/zip, 2.0 KB");
  });

  it("shows raw body, response headers and the request as sent", async () => {
    mockRecording();
    render(Preview);
    await sendWithEnter();
    await screen.findByTestId("json-tree");

    await fireEvent.click(screen.getByRole("tab", { name: "Raw" }));
    expect(screen.getByTestId("raw-body").textContent).toContain('"Lobby menu"');

    await fireEvent.click(screen.getByRole("tab", { name: "Headers" }));
    expect(screen.getByTestId("response-headers").textContent).toContain("application/json");

    await fireEvent.click(screen.getByRole("tab", { name: "Request" }));
    const sent = screen.getByTestId("sent-request").textContent ?? "";
    expect(sent).toContain("Bearer •••");
    expect(sent).toContain("graph.microsoft.com/v1.0/sites/menu");
    expect(screen.getByRole("tab", { name: "Request" }).getAttribute("aria-selected")).toBe("true");
  });

  it("lists hops with credentials, readable placements and not-sent reasons", async () => {
    mockRecording();
    render(Preview);
    await sendWithEnter();

    const hops = await screen.findAllByTestId("hop");
    expect(hops).toHaveLength(2);
    const [first, second] = hops as [HTMLElement, HTMLElement];
    expect(first.textContent).toContain("302");
    const creds = within(first)
      .getAllByTestId("credential")
      .map((li) => li.textContent?.replace(/\s+/g, " ").trim());
    expect(creds).toEqual(["Account alice@example.com → Authorization: Bearer", "URL token apikey → query parameter"]);
    expect(within(first).getByTestId("not-sent").textContent).toContain(
      "URL token username — the channel's grant takes the Authorization header",
    );
    expect(second.textContent).toContain("https://cdn.example.net/menu.json");
    expect(within(second).getByText("None.")).toBeTruthy();
    expect(within(second).getByTestId("not-sent").textContent).toContain("another origin");

    expect(screen.getByTestId("preview-notes").textContent).toContain("query parameters");
    expect(screen.getByTestId("channel-used").textContent).toContain("alice@example.com");
    expect(screen.getByTestId("timings").textContent).toContain("Connect");
    expect(screen.getByTestId("timings").textContent).toContain("121 ms");
  });

  it("shows a channel error as an alert linking to Channels", async () => {
    mockRecording({
      preview_send: () =>
        makePreviewReport({
          status: 401,
          channel: {
            channelId: "ch-1",
            accountLabel: "alice@example.com",
            grantExpiresAt: null,
            error: { code: "needs_reauth", message: "Re-authorize alice@example.com in Channels." },
          },
        }),
    });
    render(Preview);
    await sendWithEnter();

    const alert = await screen.findByTestId("channel-error");
    expect(alert.getAttribute("role")).toBe("alert");
    expect(alert.textContent).toContain("Re-authorize alice@example.com in Channels.");
    expect(alert.textContent).toContain("needs_reauth");
    expect(within(alert).getByRole("link", { name: "Open Accounts" }).getAttribute("href")).toBe("#/channels");
    expect(screen.getByTestId("preview-status").classList.contains("client")).toBe(true);
  });

  it("shows a transport error and marks the previous report stale", async () => {
    let fail = false;
    mockRecording({
      preview_send: () => {
        if (fail) throw { code: "request_failed", message: "connection refused" };
        return makePreviewReport();
      },
    });
    render(Preview);
    await sendWithEnter();
    await screen.findByTestId("preview-status");
    expect(screen.queryByTestId("stale-badge")).toBeNull();

    fail = true;
    await fireEvent.keyDown(field("URL"), { key: "Enter" });
    const error = await screen.findByTestId("preview-error");
    expect(error.textContent).toContain("connection refused");
    expect(error.textContent).toContain("request_failed");
    expect(screen.getByTestId("stale-badge")).toBeTruthy();

    fail = false;
    await fireEvent.keyDown(field("URL"), { key: "Enter" });
    await waitFor(() => expect(screen.queryByTestId("preview-error")).toBeNull());
    expect(screen.queryByTestId("stale-badge")).toBeNull();
  });
});

describe("Preview history", () => {
  it("lists entries, reloads after a send and fills the form on click", async () => {
    const ipc = mockRecording({
      preview_history: () => [
        makeHistoryEntry({ id: 2, method: "POST", url: "https://reports.example.org/q", status: 404 }),
        makeHistoryEntry({ id: 1, status: null, error: "request_failed", totalMs: null }),
      ],
    });
    render(Preview);

    const entries = await screen.findAllByTestId("history-entry");
    expect(entries).toHaveLength(2);
    const [post, failed] = entries as [HTMLElement, HTMLElement];
    expect(post.textContent).toContain("404");
    expect(post.textContent).toContain("2 minutes ago");
    expect(failed.textContent).toContain("request_failed");

    await fireEvent.click(post);
    expect(field("URL").value).toBe("https://reports.example.org/q");
    expect((field("Method") as unknown as HTMLSelectElement).value).toBe("POST");
    expect(ipc.of("preview_send")).toHaveLength(0);

    const before = ipc.of("preview_history").length;
    await fireEvent.keyDown(field("URL"), { key: "Enter" });
    await waitFor(() => expect(ipc.of("preview_history").length).toBe(before + 1));
  });

  it("clears the history after an in-page confirmation", async () => {
    let cleared = false;
    const ipc = mockRecording({
      preview_history: () => (cleared ? [] : [makeHistoryEntry()]),
      preview_history_clear: () => {
        cleared = true;
        return null;
      },
    });
    render(Preview);
    await screen.findByTestId("history-entry");

    await fireEvent.click(screen.getByRole("button", { name: "Clear history" }));
    const confirm = screen.getByRole("group", { name: "Confirm clearing the history" });
    await fireEvent.click(within(confirm).getByRole("button", { name: "Keep" }));
    expect(ipc.of("preview_history_clear")).toHaveLength(0);
    expect(screen.getByTestId("history-entry")).toBeTruthy();

    await fireEvent.click(screen.getByRole("button", { name: "Clear history" }));
    await fireEvent.click(
      within(screen.getByRole("group", { name: "Confirm clearing the history" })).getByRole("button", {
        name: "Clear",
      }),
    );
    await waitFor(() => expect(ipc.of("preview_history_clear")).toHaveLength(1));
    expect(await screen.findByTestId("history-empty")).toBeTruthy();
  });
});

describe("Preview keeps its state and links to URL tokens", () => {
  it("finds its request and response again after switching pages", async () => {
    mockRecording();
    const first = render(Preview);
    await sendWithEnter();
    await screen.findByTestId("preview-report");
    first.unmount();
    render(Preview);
    expect(field("URL").value).toBe(URL);
    expect(screen.getByTestId("preview-report")).toBeTruthy();
  });

  it("says under the URL bar which credentials will be added, by name only", async () => {
    const ipc = mockRecording({
      token_match: ({ url }) => ({
        url,
        method: "GET",
        formInQuery: true,
        attached: [
          {
            tokenId: "t1",
            prefix: "https://feeds.example.com/",
            key: "X-API-Key",
            attached: "query",
            reason: null,
            asksPermission: false,
            prompt: false,
          },
        ],
        ignored: [],
      }),
    });
    render(Preview);
    await typeUrl("https://feeds.example.com/menu.json");
    const line = await screen.findByTestId("preview-live-line", {}, { timeout: 2000 });
    expect(line.textContent).toBe("Will add: URL token “X-API-Key”.");
    expect(ipc.of("token_match")[0]?.args).toEqual({ url: "https://feeds.example.com/menu.json", method: "GET" });
    expect(ipc.of("preview_send")).toHaveLength(0);
  });

  it("offers a URL token for the address after a 401", async () => {
    mockRecording({
      preview_send: () => ({
        ...makePreviewReport(),
        status: 401,
        request: { ...makePreviewReport().request, url: "https://feeds.example.com/v2/menu.json" },
      }),
    });
    render(Preview);
    await sendWithEnter("https://feeds.example.com/v2/menu.json");
    const refused = await screen.findByTestId("preview-refused");
    await fireEvent.click(within(refused).getByRole("button", { name: "Add a URL token for this address" }));
    expect(window.location.hash).toBe("#/url-tokens");
    const { drafts } = await import("../lib/drafts.svelte");
    expect(drafts.token.prefix).toBe("https://feeds.example.com/v2/");
    expect(drafts.intent).toBe("add-token");
  });
});

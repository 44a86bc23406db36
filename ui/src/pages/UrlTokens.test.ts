import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import type { UrlTokenDto } from "../lib/ipc";
import { makeContact, makeDecision, makeMatchLine, makeToken, mockRecording } from "../lib/test-fixtures";
import UndoBar from "../lib/components/UndoBar.svelte";
import { flushRemoval } from "../lib/undo.svelte";
import UrlTokens from "./UrlTokens.svelte";

const DAVINCI = "https://davinci.example.com/api/";
const OTHER = "https://reports.example.org/";

function tokens(): UrlTokenDto[] {
  return [
    makeToken({ id: "tok-u", key: "username", placement: "header" }),
    makeToken({ id: "tok-p", key: "password", placement: "header", prompt: true }),
    makeToken({
      id: "tok-f",
      prefix: OTHER,
      key: "apikey",
      placement: "form",
      requiresPermission: true,
    }),
    makeToken({
      id: "tok-x",
      prefix: OTHER,
      key: "X-Api-Key",
      placement: "header",
      warning: "Only username, password and token are used in a header: X-Api-Key is ignored.",
    }),
    makeToken({
      id: "tok-r",
      prefix: OTHER,
      key: "session",
      placement: "form",
      origin: "received",
      viewable: false,
      receivedFrom: "contact-1",
    }),
  ];
}

function input(label: string | RegExp): HTMLInputElement {
  return screen.getByLabelText(label) as HTMLInputElement;
}

async function type(label: string | RegExp, value: string): Promise<void> {
  await fireEvent.input(input(label), { target: { value } });
}

describe("URL tokens list", () => {
  it("groups tokens by prefix with placement, flags and warnings", async () => {
    mockRecording({ tokens_list: tokens });
    render(UrlTokens);

    await waitFor(() => expect(screen.getAllByTestId("token-group")).toHaveLength(2));
    const [davinci, other] = screen.getAllByTestId("token-group") as [HTMLElement, HTMLElement];
    expect(within(davinci).getByRole("heading").textContent).toBe(DAVINCI);
    expect(within(other).getByRole("heading").textContent).toBe(OTHER);
    expect(within(davinci).getAllByTestId("token")).toHaveLength(2);
    expect(within(other).getAllByTestId("token")).toHaveLength(3);

    const rows = screen.getAllByTestId("token").map((row) => row.textContent ?? "");
    const row = (key: string) => rows.find((text) => text.includes(key)) ?? "";
    expect(row("username")).toContain("User name");
    expect(row("password")).toContain("Asked at use");
    expect(row("apikey")).toContain("Form field or address");
    expect(row("apikey")).toContain("Asks permission");
    expect(row("session")).toContain("Received");
    expect(row("X-Api-Key")).toContain("X-Api-Key is ignored");
    expect(screen.getAllByTestId("token-warning")).toHaveLength(1);
  });

  it("shows an empty state and a load error with Retry", async () => {
    let calls = 0;
    mockRecording({
      tokens_list: () => {
        calls += 1;
        if (calls === 1) throw { code: "database", message: "The database is locked." };
        return [];
      },
    });
    render(UrlTokens);
    expect((await screen.findByRole("alert")).textContent).toContain("The database is locked.");
    await fireEvent.click(screen.getByRole("button", { name: "Retry" }));
    expect(await screen.findByTestId("tokens-empty")).toBeTruthy();
  });

  it("removing asks first, hides the row with Undo, and removes when the time is over", async () => {
    let list = tokens();
    const { of } = mockRecording({
      tokens_list: () => list,
      token_remove: ({ id }) => {
        list = list.filter((t) => t.id !== id);
        return null;
      },
    });
    render(UrlTokens);
    render(UndoBar);
    await waitFor(() => expect(screen.getAllByTestId("token")).toHaveLength(5));

    await fireEvent.click(screen.getByRole("button", { name: `Remove apikey for ${OTHER}` }));
    let dialog = screen.getByRole("dialog");
    expect(dialog.textContent).toContain("Remove “apikey”");
    await fireEvent.click(within(dialog).getByRole("button", { name: "Keep token" }));
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(of("token_remove")).toHaveLength(0);

    // Remove, then Undo: the row comes back and nothing was removed.
    await fireEvent.click(screen.getByRole("button", { name: `Remove apikey for ${OTHER}` }));
    dialog = screen.getByRole("dialog");
    await fireEvent.click(within(dialog).getByRole("button", { name: "Remove token" }));
    await waitFor(() => expect(screen.getAllByTestId("token")).toHaveLength(4));
    expect(screen.getByTestId("undo-bar").textContent).toContain("Removed “apikey”");
    await fireEvent.click(screen.getByRole("button", { name: "Undo" }));
    await waitFor(() => expect(screen.getAllByTestId("token")).toHaveLength(5));
    expect(of("token_remove")).toHaveLength(0);

    // Remove, and let the time run out.
    await fireEvent.click(screen.getByRole("button", { name: `Remove apikey for ${OTHER}` }));
    await fireEvent.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Remove token" }));
    await flushRemoval();
    expect(of("token_remove").map((c) => c.args)).toEqual([{ id: "tok-f" }]);
    await waitFor(() => expect(screen.getAllByTestId("token")).toHaveLength(4));
    expect(screen.queryByTestId("undo-bar")).toBeNull();
  });
});

describe("URL tokens search", () => {
  it("Ctrl+K and / focus the search box, which filters the list; Escape clears it", async () => {
    mockRecording({ tokens_list: tokens });
    render(UrlTokens);
    await waitFor(() => expect(screen.getAllByTestId("token")).toHaveLength(5));
    const search = screen.getByLabelText("Search URL tokens") as HTMLInputElement;
    await fireEvent.keyDown(document.body, { key: "k", ctrlKey: true });
    expect(document.activeElement).toBe(search);
    search.blur();
    await fireEvent.keyDown(document.body, { key: "/" });
    expect(document.activeElement).toBe(search);
    await fireEvent.input(search, { target: { value: "apikey" } });
    expect(screen.getAllByTestId("token")).toHaveLength(1);
    await fireEvent.input(search, { target: { value: "nothing-like-this" } });
    expect(screen.getByTestId("tokens-no-match")).toBeTruthy();
    await fireEvent.keyDown(search, { key: "Escape" });
    expect(search.value).toBe("");
    expect(screen.getAllByTestId("token")).toHaveLength(5);
  });
});

describe("URL token form", () => {
  it("adds an API key in the address: the preset maps to a form token", async () => {
    const { of } = mockRecording({
      token_add: ({ input: sent }) => {
        const dto = sent as { prefix: string; key: string };
        return {
          token: makeToken({ id: "tok-new", prefix: dto.prefix, key: dto.key }),
          warnings: ["Plain http is allowed only on this computer (loopback)."],
        };
      },
    });
    render(UrlTokens);
    await screen.findByTestId("tokens-empty");
    expect(screen.getByRole("radio", { name: /API key in the address/ })).toHaveProperty("checked", true);

    const value = input("API key");
    expect(value.type).toBe("password");
    await type("Web address it is for", " http://127.0.0.1:8080/ ");
    await type("Parameter name", "api_key");
    await fireEvent.click(screen.getByLabelText("Ask me before sending it"));
    await type("API key", "s3cret");
    // Reveal while typing, and hide again.
    await fireEvent.click(screen.getByRole("button", { name: "Show the value" }));
    expect(input("API key").type).toBe("text");
    await fireEvent.click(screen.getByRole("button", { name: "Hide the value" }));
    expect(input("API key").type).toBe("password");
    expect(screen.getByTestId("token-model").textContent).toContain("placement form");
    await fireEvent.click(screen.getByRole("button", { name: "Add token" }));

    await waitFor(() => expect(of("token_add")).toHaveLength(1));
    expect(of("token_add")[0]?.args).toEqual({
      input: {
        prefix: "http://127.0.0.1:8080/",
        key: "api_key",
        placement: "form",
        requiresPermission: true,
        prompt: false,
        value: "s3cret",
      },
    });
    const notice = await screen.findByTestId("tokens-notice");
    expect(notice.textContent).toContain("Added “api_key”");
    expect(screen.getByTestId("save-warnings").textContent).toContain("Plain http is allowed");
    // The form is cleared, value included.
    expect(input("API key").value).toBe("");
    expect(input("Web address it is for").value).toBe("");
  });

  it("adds an API key in a header: the key is the header's name (named-header placement)", async () => {
    const { of } = mockRecording({
      token_add: ({ input: sent }) => ({
        token: makeToken({ key: (sent as { key: string }).key, placement: "named_header" }),
        warnings: [],
      }),
    });
    render(UrlTokens);
    await screen.findByTestId("tokens-empty");
    await fireEvent.click(screen.getByRole("radio", { name: /API key in a header/ }));
    await type("Web address it is for", DAVINCI);
    await type("Header name", "X-API-Key");
    await type("API key", "k3y");
    expect(screen.getByTestId("token-model").textContent).toContain("placement named_header");
    await fireEvent.click(screen.getByRole("button", { name: "Add token" }));
    await waitFor(() => expect(of("token_add")).toHaveLength(1));
    expect(of("token_add")[0]?.args).toEqual({
      input: {
        prefix: DAVINCI,
        key: "X-API-Key",
        placement: "named_header",
        requiresPermission: false,
        prompt: false,
        value: "k3y",
      },
    });
  });

  it("maps Bearer token and User name and password onto the model", async () => {
    const { of } = mockRecording({
      token_add: ({ input: sent }) => ({ token: makeToken({ key: (sent as { key: string }).key }), warnings: [] }),
    });
    render(UrlTokens);
    await screen.findByTestId("tokens-empty");

    await fireEvent.click(screen.getByRole("radio", { name: /Bearer token/ }));
    expect(screen.queryByLabelText("Parameter name")).toBeNull();
    await type("Web address it is for", DAVINCI);
    await type("Token", "t0ken");
    await fireEvent.click(screen.getByRole("button", { name: "Add token" }));
    await waitFor(() => expect(of("token_add")).toHaveLength(1));
    expect(of("token_add")[0]?.args).toMatchObject({ input: { key: "token", placement: "header", value: "t0ken" } });

    await fireEvent.click(screen.getByRole("radio", { name: /User name and password/ }));
    await type("Web address it is for", DAVINCI);
    await type("User name", "ada:x");
    await type("Password", "pw");
    await fireEvent.click(screen.getByRole("button", { name: "Add token" }));
    expect(screen.getByRole("alert").textContent).toContain("cannot contain “:”");
    await type("User name", "ada");
    await fireEvent.click(screen.getByRole("button", { name: "Add token" }));
    await waitFor(() => expect(of("token_add")).toHaveLength(3));
    expect(of("token_add")[1]?.args).toMatchObject({ input: { key: "username", placement: "header", value: "ada" } });
    expect(of("token_add")[2]?.args).toMatchObject({ input: { key: "password", placement: "header", value: "pw" } });
  });

  it("sends a null value for a prompt token and hides the value field", async () => {
    const { of } = mockRecording({
      token_add: () => ({ token: makeToken({ prompt: true }), warnings: [] }),
    });
    render(UrlTokens);
    await screen.findByTestId("tokens-empty");

    await fireEvent.click(screen.getByRole("radio", { name: /Form field/ }));
    await type("Web address it is for", DAVINCI);
    await type("Field name", "password");
    await type("Value", "typed before");
    await fireEvent.click(screen.getByLabelText("Ask for the value each time"));
    expect(screen.queryByLabelText("Value")).toBeNull();
    await fireEvent.click(screen.getByRole("button", { name: "Add token" }));

    await waitFor(() => expect(of("token_add")).toHaveLength(1));
    expect(of("token_add")[0]?.args).toEqual({
      input: {
        prefix: DAVINCI,
        key: "password",
        placement: "form",
        requiresPermission: false,
        prompt: true,
        value: null,
      },
    });
  });

  it("validates obvious mistakes inline without calling the backend", async () => {
    const { of } = mockRecording();
    render(UrlTokens);
    await screen.findByTestId("tokens-empty");

    await fireEvent.click(screen.getByRole("button", { name: "Add token" }));
    expect(screen.getByText(/Enter the URL prefix/)).toBeTruthy();
    expect(screen.getByText(/Enter the parameter name/)).toBeTruthy();
    expect(screen.getByText(/Enter the value/)).toBeTruthy();
    expect(input("Web address it is for").getAttribute("aria-invalid")).toBe("true");

    await type("Web address it is for", DAVINCI);
    await type("Parameter name", "token");
    await type("API key", "tab\there");
    await fireEvent.click(screen.getByRole("button", { name: "Add token" }));
    expect(screen.getAllByRole("alert")).toHaveLength(1);
    expect(screen.getByRole("alert").textContent).toContain("control characters");
    expect(of("token_add")).toHaveLength(0);
  });

  it("keeps a half-filled form across pages, but never a value to reveal later for a saved token", async () => {
    mockRecording({ tokens_list: tokens });
    const first = render(UrlTokens);
    await screen.findAllByTestId("token");
    await type("Web address it is for", "https://feeds.example.com/");
    await type("Parameter name", "key");
    first.unmount();
    render(UrlTokens);
    expect(((await screen.findByLabelText("Web address it is for")) as HTMLInputElement).value).toBe(
      "https://feeds.example.com/",
    );
    expect(input("Parameter name").value).toBe("key");
  });

  it("shows the backend's invalid_input and conflict messages inline", async () => {
    let attempt = 0;
    mockRecording({
      token_add: () => {
        attempt += 1;
        if (attempt === 1) {
          throw {
            code: "invalid_input",
            field: "prefix",
            message: "a URL prefix must use https (http only on loopback)",
          };
        }
        throw { code: "conflict", message: "a token with this prefix and key already exists" };
      },
    });
    render(UrlTokens);
    await screen.findByTestId("tokens-empty");

    await type("Web address it is for", "http://example.com/");
    await type("Parameter name", "token");
    await type("API key", "v");
    await fireEvent.click(screen.getByRole("button", { name: "Add token" }));
    const prefixError = await screen.findByRole("alert");
    expect(prefixError.id).toBe("token-prefix-error");
    expect(prefixError.textContent).toContain("must use https");
    expect(input("Web address it is for").value).toBe("http://example.com/");

    await fireEvent.click(screen.getByRole("button", { name: "Add token" }));
    await waitFor(() => expect(screen.getByRole("alert").id).toBe("token-key-error"));
    expect(screen.getByRole("alert").textContent).toContain("already exists");
  });

  it("edits without replacing the value: value null and only changed fields", async () => {
    const { of } = mockRecording({
      tokens_list: tokens,
      token_edit: ({ id }) => ({ token: makeToken({ id: String(id), key: "user" }), warnings: [] }),
    });
    render(UrlTokens);
    await waitFor(() => expect(screen.getAllByTestId("token")).toHaveLength(5));

    await fireEvent.click(screen.getByRole("button", { name: `Edit username for ${DAVINCI}` }));
    await waitFor(() => expect(input("Web address it is for").value).toBe(DAVINCI));
    expect(screen.getByRole("radio", { name: /User name and password/ })).toHaveProperty("checked", true);
    // The current value is never shown: there is no value field until "Replace value".
    expect(document.getElementById("token-value")).toBeNull();
    expect(screen.getByRole("button", { name: "Replace value" })).toBeTruthy();

    await fireEvent.click(screen.getByLabelText("Ask me before sending it"));
    await fireEvent.click(screen.getByRole("button", { name: "Save changes" }));
    await waitFor(() => expect(of("token_edit")).toHaveLength(1));
    expect(of("token_edit")[0]?.args).toEqual({
      id: "tok-u",
      edit: {
        prefix: null,
        key: null,
        placement: null,
        requiresPermission: true,
        prompt: null,
        value: null,
      },
    });
    expect((await screen.findByTestId("tokens-notice")).textContent).toContain("Saved");
  });

  it("Replace value reveals an empty password field and sends the new value", async () => {
    const { of } = mockRecording({
      tokens_list: tokens,
      token_edit: ({ id }) => ({ token: makeToken({ id: String(id) }), warnings: [] }),
    });
    render(UrlTokens);
    await waitFor(() => expect(screen.getAllByTestId("token")).toHaveLength(5));

    await fireEvent.click(screen.getByRole("button", { name: `Edit username for ${DAVINCI}` }));
    await fireEvent.click(await screen.findByRole("button", { name: "Replace value" }));
    const value = input("New value");
    expect(value.type).toBe("password");
    expect(value.value).toBe("");
    await type("New value", "ada");
    await fireEvent.click(screen.getByRole("button", { name: "Save changes" }));
    await waitFor(() => expect(of("token_edit")).toHaveLength(1));
    expect(of("token_edit")[0]?.args).toMatchObject({ id: "tok-u", edit: { value: "ada" } });
  });

  it("a new address asks for the value again (W2) and sends it with the move", async () => {
    const { of } = mockRecording({
      tokens_list: tokens,
      token_edit: ({ id }) => ({ token: makeToken({ id: String(id) }), warnings: [] }),
    });
    render(UrlTokens);
    await waitFor(() => expect(screen.getAllByTestId("token")).toHaveLength(5));

    await fireEvent.click(screen.getByRole("button", { name: `Edit username for ${DAVINCI}` }));
    await waitFor(() => expect(input("Web address it is for").value).toBe(DAVINCI));
    expect(document.getElementById("token-value")).toBeNull();
    await type("Web address it is for", "https://collector.example.net/");
    const value = input("Value for the new address");
    expect(value.value).toBe("");
    await fireEvent.click(screen.getByRole("button", { name: "Save changes" }));
    await waitFor(() => expect(document.getElementById("token-value-error")).not.toBeNull());
    expect(of("token_edit")).toEqual([]);
    await type("Value for the new address", "ada");
    await fireEvent.click(screen.getByRole("button", { name: "Save changes" }));
    await waitFor(() => expect(of("token_edit")).toHaveLength(1));
    expect(of("token_edit")[0]?.args).toMatchObject({
      id: "tok-u",
      edit: { prefix: "https://collector.example.net/", value: "ada" },
    });
  });

  it("each token row opens Preview with its address", async () => {
    mockRecording({ tokens_list: tokens });
    render(UrlTokens);
    await waitFor(() => expect(screen.getAllByTestId("token")).toHaveLength(5));
    await fireEvent.click(screen.getByRole("button", { name: `Preview ${OTHER} with apikey` }));
    expect(window.location.hash).toBe("#/preview");
    const { drafts } = await import("../lib/drafts.svelte");
    expect(drafts.preview.url).toBe(OTHER);
  });

  it("a received token can be removed, not edited or sent, and names its sender", async () => {
    mockRecording({
      tokens_list: tokens,
      contacts_list: () => [makeContact({ id: "contact-1", name: "Grace" })],
    });
    render(UrlTokens);
    await waitFor(() => expect(screen.getAllByTestId("token")).toHaveLength(5));
    const row = screen.getAllByTestId("token").find((r) => r.textContent?.includes("session"));
    if (!row) throw new Error("no received row");
    await waitFor(() => expect(row.textContent).toContain("Received from Grace · value hidden"));
    expect(within(row).queryByRole("button", { name: /Edit/ })).toBeNull();
    expect(within(row).queryByRole("button", { name: /Send/ })).toBeNull();
    expect(within(row).getByRole("button", { name: `Remove session for ${OTHER}` })).toBeTruthy();
  });

  it("passes url and method and renders attached and ignored lines", async () => {
    const { of } = mockRecording({
      token_match: ({ url, method }) => ({
        url: String(url),
        method: String(method),
        formInQuery: false,
        attached: [
          makeMatchLine({ tokenId: "u", key: "username", attached: "authorization_basic" }),
          makeMatchLine({
            tokenId: "p",
            key: "password",
            attached: "authorization_basic",
            prompt: true,
          }),
          makeMatchLine({
            tokenId: "f",
            key: "apikey",
            attached: "form_body",
            asksPermission: true,
          }),
        ],
        ignored: [
          makeMatchLine({
            tokenId: "x",
            key: "X-Api-Key",
            attached: null,
            reason: "not a supported header key",
          }),
        ],
      }),
    });
    render(UrlTokens);
    await screen.findByTestId("tokens-empty");

    await type("URL to test", " https://davinci.example.com/api/data ");
    await fireEvent.change(screen.getByLabelText("Method"), { target: { value: "POST" } });
    await fireEvent.click(screen.getByRole("button", { name: "Test" }));

    await waitFor(() => expect(screen.getAllByTestId("match-attached")).toHaveLength(3));
    expect(of("token_match").map((c) => c.args)).toEqual([
      { url: "https://davinci.example.com/api/data", method: "POST" },
    ]);
    const [user, password, form] = screen.getAllByTestId("match-attached").map((li) => li.textContent ?? "");
    expect(user).toContain("Authorization: Basic (user name, with password)");
    expect(password).toContain("Authorization: Basic (password)");
    expect(password).toContain("Value asked");
    expect(form).toContain("form body field");
    expect(form).toContain("Permission asked");
    const ignored = screen.getAllByTestId("match-ignored");
    expect(ignored).toHaveLength(1);
    expect(ignored[0]?.textContent).toContain("not a supported header key");
  });

  it("says when no token matches, and shows an invalid URL inline", async () => {
    let attempt = 0;
    mockRecording({
      token_match: ({ url, method }) => {
        attempt += 1;
        if (attempt === 2) throw { code: "invalid_input", message: "a URL cannot contain user info" };
        return { url, method, formInQuery: true, attached: [], ignored: [] };
      },
    });
    render(UrlTokens);
    await screen.findByTestId("tokens-empty");

    await type("URL to test", "https://nothing.example.net/");
    await fireEvent.click(screen.getByRole("button", { name: "Test" }));
    expect((await screen.findByTestId("no-match")).textContent).toContain("No token matches");

    await type("URL to test", "https://a.com@evil.net/");
    await fireEvent.click(screen.getByRole("button", { name: "Test" }));
    expect((await screen.findByRole("alert")).textContent).toContain("cannot contain user info");
    expect(screen.queryByTestId("match-report")).toBeNull();
  });
});

describe("Permissions", () => {
  it("lists stored Accept all decisions and revokes one", async () => {
    let list = [makeDecision(), makeDecision({ id: "dec-2", key: "apikey", prefix: OTHER, url: null })];
    const { of } = mockRecording({
      decisions_list: () => list,
      decision_revoke: ({ id }) => {
        list = list.filter((d) => d.id !== id);
        return null;
      },
    });
    render(UrlTokens);
    await waitFor(() => expect(screen.getAllByTestId("decision")).toHaveLength(2));
    const first = screen.getAllByTestId("decision")[0]?.textContent ?? "";
    expect(first).toContain("token");
    expect(first).toContain(DAVINCI);
    expect(first).toContain("https://davinci.example.com/api/data");

    await fireEvent.click(screen.getByRole("button", { name: `Revoke apikey for ${OTHER}` }));
    await waitFor(() => expect(screen.getAllByTestId("decision")).toHaveLength(1));
    expect(of("decision_revoke").map((c) => c.args)).toEqual([{ id: "dec-2" }]);
    expect(screen.getByTestId("tokens-notice").textContent).toContain("you will be asked again");
  });
});

import { mockIPC } from "@tauri-apps/api/mocks";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import { ipcRoutes, makeContact, makeToken } from "../test-fixtures";
import SendTokenDialog from "./SendTokenDialog.svelte";

describe("Send a token", () => {
  it("seals it for the chosen contact and shows the link", async () => {
    const calls: Record<string, unknown>[] = [];
    mockIPC(
      ipcRoutes({
        contacts_list: () => [makeContact(), makeContact({ id: "contact-2", name: "Linus" })],
        token_send: (args) => {
          calls.push(args);
          return {
            offerId: "offer-9",
            contactName: "Linus",
            contactFingerprint: "AAAA-BBBB",
            link: "lanyard://offer/abc.def",
            file: null,
            size: 23,
          };
        },
      }),
    );
    render(SendTokenDialog, { token: makeToken(), onclose: vi.fn() });
    const select = (await screen.findByLabelText("To")) as HTMLSelectElement;
    await fireEvent.change(select, { target: { value: "contact-2" } });
    await fireEvent.click(screen.getByRole("button", { name: "Create link" }));
    await waitFor(() => expect(calls[0]).toEqual({ id: "tok-1", to: "contact-2", saveFile: false }));
    expect(((await screen.findByTestId("sent-link")) as HTMLTextAreaElement).value).toBe("lanyard://offer/abc.def");
    expect(screen.getByRole("dialog").textContent).toContain("never see its value");
  });

  it("points to Contacts when there is nobody to send to", async () => {
    mockIPC(ipcRoutes());
    render(SendTokenDialog, { token: makeToken(), onclose: vi.fn() });
    expect(await screen.findByRole("link", { name: "Contacts" })).toBeTruthy();
  });

  it("says why an offer could not be made", async () => {
    mockIPC(
      ipcRoutes({
        contacts_list: () => [makeContact()],
        token_send: () => {
          throw { code: "invalid_input", message: "this offer is 30000 bytes, more than a link can carry" };
        },
      }),
    );
    render(SendTokenDialog, { token: makeToken(), onclose: vi.fn() });
    await fireEvent.click(await screen.findByRole("button", { name: "Create link" }));
    await waitFor(() => expect(screen.getByTestId("send-error").textContent).toContain("more than a link"));
  });
});

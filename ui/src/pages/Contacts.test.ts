import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { makeContact, makeIdentity, mockRecording } from "../lib/test-fixtures";
import Contacts from "./Contacts.svelte";

const CARD = "lanyard://contact/eyJuYW1lIjoiR3JhY2UifQ.c2ln";

describe("Contacts", () => {
  it("shows your card as text and as a QR code, and renames you", async () => {
    const { of } = mockRecording({
      identity_rename: ({ name }) => makeIdentity({ name: String(name) }),
    });
    render(Contacts);
    expect((await screen.findByTestId("my-fingerprint")).textContent).toBe("3F2A-91C0-7B44-0E1D-C6A8");
    expect((screen.getByTestId("my-card-text") as HTMLTextAreaElement).value).toBe(makeIdentity().card);
    const qr = (await screen.findByTestId("qr-code")) as HTMLImageElement;
    expect(qr.src.startsWith("data:image/svg+xml;base64,")).toBe(true);
    expect(of("qr_code")[0]?.args).toEqual({ text: makeIdentity().card });

    await fireEvent.click(screen.getByRole("button", { name: "Rename" }));
    await fireEvent.input(screen.getByLabelText("Name"), { target: { value: "Ada L." } });
    await fireEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(screen.getByTestId("my-name").textContent).toBe("Ada L."));
  });

  it("checks a pasted card, shows its fingerprint and adds it", async () => {
    let contacts = [] as ReturnType<typeof makeContact>[];
    const { of } = mockRecording({
      contacts_list: () => contacts,
      contact_preview: ({ card }) => ({
        card: String(card).trim(),
        name: "Grace",
        fingerprint: "0439-8999-C59F-41E3-931C",
        existing: null,
        own: false,
      }),
      contact_add: ({ name }) => {
        const added = makeContact({ name: name === null ? "Grace" : String(name) });
        contacts = [added];
        return added;
      },
    });
    render(Contacts);
    await screen.findByTestId("contacts-empty");
    const box = screen.getByLabelText("Paste their contact card");
    await fireEvent.input(box, { target: { value: "hello" } });
    await fireEvent.click(screen.getByRole("button", { name: "Check card" }));
    expect(screen.getByTestId("add-error").textContent).toContain("lanyard://contact/");

    await fireEvent.input(box, { target: { value: ` ${CARD}\n` } });
    await fireEvent.click(screen.getByRole("button", { name: "Check card" }));
    const preview = await screen.findByTestId("card-preview");
    expect(preview.textContent).toContain("0439-8999-C59F-41E3-931C");
    await fireEvent.input(within(preview).getByLabelText("Name (optional)"), { target: { value: "Grace H." } });
    await fireEvent.click(within(preview).getByRole("button", { name: "Add contact" }));
    await waitFor(() => expect(of("contact_add")[0]?.args).toEqual({ card: CARD, name: "Grace H." }));
    expect((await screen.findByTestId("contact")).textContent).toContain("Grace H.");
  });

  it("says when a card is your own or already a contact, and refuses a forged one", async () => {
    mockRecording({
      contact_preview: ({ card }) => {
        if (String(card).includes("forged")) {
          throw { code: "bad_signature", message: "the contact card's signature does not match" };
        }
        return { card: String(card), name: "Ada", fingerprint: "3F2A", existing: null, own: true };
      },
    });
    render(Contacts);
    const box = await screen.findByLabelText("Paste their contact card");
    await fireEvent.input(box, { target: { value: CARD } });
    await fireEvent.click(screen.getByRole("button", { name: "Check card" }));
    expect((await screen.findByTestId("card-preview")).textContent).toContain("your own card");
    expect(screen.queryByRole("button", { name: "Add contact" })).toBeNull();

    await fireEvent.input(box, { target: { value: "lanyard://contact/forged.sig" } });
    await fireEvent.click(screen.getByRole("button", { name: "Check card" }));
    await waitFor(() => expect(screen.getByTestId("add-error").textContent).toContain("signature"));
  });

  it("removes a contact after confirming", async () => {
    let contacts = [makeContact()];
    const { of } = mockRecording({
      contacts_list: () => contacts,
      contact_remove: () => {
        contacts = [];
        return null;
      },
    });
    render(Contacts);
    await fireEvent.click(await screen.findByRole("button", { name: "Remove Grace" }));
    const dialog = screen.getByRole("dialog");
    expect(dialog.textContent).toContain("still waiting in Token requests are dropped");
    await fireEvent.click(within(dialog).getByRole("button", { name: "Remove" }));
    await waitFor(() => expect(of("contact_remove")[0]?.args).toEqual({ id: "contact-1" }));
    expect(await screen.findByTestId("contacts-empty")).toBeTruthy();
  });
});

// Small pure helpers for the sharing pages.
import type { ContactDto } from "./bindings/ContactDto";
import type { OfferDto } from "./bindings/OfferDto";

export const CARD_PREFIX = "lanyard://contact/";
export const OFFER_PREFIX = "lanyard://offer/";

/** Whether pasted text looks like a contact card (the backend verifies it). */
export function looksLikeCard(text: string): boolean {
  return text.trim().startsWith(CARD_PREFIX);
}

/** Whether pasted text looks like an offer link (the backend verifies it). */
export function looksLikeOffer(text: string): boolean {
  return text.trim().startsWith(OFFER_PREFIX);
}

/** Who an offer is from (or for). */
export function offerParty(offer: OfferDto): string {
  return offer.contactName ?? "a removed contact";
}

/** The name of the contact a received token came from. */
export function receivedFromName(id: string | null, contacts: readonly ContactDto[]): string {
  if (id === null) return "a removed contact";
  return contacts.find((c) => c.id === id)?.name ?? "a removed contact";
}

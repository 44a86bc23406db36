// Small pure helpers for the sharing pages.
import type { ContactDto } from "./bindings/ContactDto";
import type { OfferDto } from "./bindings/OfferDto";
import type { PlacementDto } from "./bindings/PlacementDto";

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

/** How an offer's placement reads: where the value will really go once accepted. */
export function offerPlacement(placement: PlacementDto, key: string): string {
  if (placement === "form") return "Form field";
  // Its own header, named by the key (`X-Api-Key: …`).
  if (placement === "named_header") return `Header ${key}`;
  if (key === "token") return "Authorization: Bearer";
  if (key === "username" || key === "password") return "Authorization: Basic";
  return "Header (ignored: not username, password or token)";
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

/** A plural for counts in the UI. */
export function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

// What arrived from outside the window and waits for the user: a contact card opened by
// link or file (to confirm on the Contacts page), a provider file (to confirm in its own
// dialog, on any page), and the number of offers waiting in Token requests (the badge in
// the navigation).
import type { CardPreviewDto } from "./bindings/CardPreviewDto";
import type { ProviderFileEventDto } from "./bindings/ProviderFileEventDto";
import { providerFileChoose, toIpcError } from "./ipc";

export const incoming = $state<{
  card: CardPreviewDto | null;
  providerFile: ProviderFileEventDto | null;
  pending: number;
}>({
  card: null,
  providerFile: null,
  pending: 0,
});

/**
 * File → Open for a provider file: the system's file dialog, then (when one was chosen) its
 * own confirmation dialog through `incoming.providerFile`. Resolves to why it could not be
 * opened, or null.
 */
export async function chooseProviderFile(): Promise<string | null> {
  try {
    const offer = await providerFileChoose();
    if (offer) incoming.providerFile = { offer, error: null };
    return null;
  } catch (error: unknown) {
    return toIpcError(error).message;
  }
}

// What arrived from outside the window and waits for the user: a contact card opened by
// link or file (to confirm on the Contacts page), a provider file (to confirm in its own
// dialog, on any page), and the number of offers waiting in Token requests (the badge in
// the navigation).
import type { CardPreviewDto } from "./bindings/CardPreviewDto";
import type { ProviderFileEventDto } from "./bindings/ProviderFileEventDto";

export const incoming = $state<{
  card: CardPreviewDto | null;
  providerFile: ProviderFileEventDto | null;
  pending: number;
}>({
  card: null,
  providerFile: null,
  pending: 0,
});

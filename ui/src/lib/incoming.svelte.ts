// What arrived from outside the window and waits for the user: a contact card opened by
// link or file (to confirm on the Contacts page), and the number of offers waiting in
// Token requests (the badge in the navigation).
import type { CardPreviewDto } from "./bindings/CardPreviewDto";

export const incoming = $state<{ card: CardPreviewDto | null; pending: number }>({
  card: null,
  pending: 0,
});

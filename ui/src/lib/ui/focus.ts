// Focus handling for dialogs: trap Tab inside, close on Escape, give focus back on close.

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

export function focusables(root: HTMLElement): HTMLElement[] {
  return Array.from(root.querySelectorAll<HTMLElement>(FOCUSABLE)).filter((el) => !el.hasAttribute("inert"));
}

/**
 * A Svelte action for a modal dialog: focuses the element marked `data-autofocus` (or the
 * first focusable one), keeps Tab and Shift+Tab inside, calls `onescape` on Escape, and
 * returns focus to what had it before when the dialog goes away.
 */
export function trapFocus(node: HTMLElement, onescape?: () => void) {
  const before = document.activeElement as HTMLElement | null;
  let escape = onescape;
  const first = node.querySelector<HTMLElement>("[data-autofocus]") ?? focusables(node)[0] ?? node;
  first.focus();

  function onKeydown(event: KeyboardEvent): void {
    if (event.key === "Escape" && escape) {
      event.stopPropagation();
      event.preventDefault();
      escape();
      return;
    }
    if (event.key !== "Tab") return;
    const items = focusables(node);
    if (items.length === 0) {
      event.preventDefault();
      return;
    }
    const firstItem = items[0]!;
    const lastItem = items[items.length - 1]!;
    const active = document.activeElement;
    if (event.shiftKey && (active === firstItem || !node.contains(active))) {
      event.preventDefault();
      lastItem.focus();
    } else if (!event.shiftKey && (active === lastItem || !node.contains(active))) {
      event.preventDefault();
      firstItem.focus();
    }
  }
  node.addEventListener("keydown", onKeydown);
  return {
    update(next?: () => void) {
      escape = next;
    },
    destroy() {
      node.removeEventListener("keydown", onKeydown);
      if (before && document.contains(before)) before.focus();
    },
  };
}

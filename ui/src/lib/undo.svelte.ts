// Removals that can be taken back for a few seconds. The backend deletes at once and for
// good (a URL token's value leaves the keyring, a player's sessions end), so the window
// waits before asking it: the row disappears now, the call goes out when the Undo time is
// over. The pending removal lives here, above the pages, so switching pages does not lose
// it; quitting Lanyard within those seconds keeps the item.

export interface PendingRemoval {
  id: number;
  text: string;
  /** Set when the removal, once sent, failed. */
  error: string | null;
}

export const undoSettings = { ms: 6000 };

/** `pending`: what the bar shows; `hidden`: ids the pages leave out while they wait. */
export const undo = $state<{ pending: PendingRemoval | null; hidden: string[] }>({ pending: null, hidden: [] });

let hiddenId: string | null = null;

function unhide(): void {
  if (hiddenId !== null) undo.hidden = undo.hidden.filter((id) => id !== hiddenId);
  hiddenId = null;
}

let nextId = 1;
let timer: ReturnType<typeof setTimeout> | undefined;
let commitPending: (() => Promise<void>) | null = null;
let restorePending: (() => void) | null = null;

async function flush(): Promise<void> {
  clearTimeout(timer);
  const commit = commitPending;
  const restore = restorePending;
  const shown = undo.pending;
  const id = hiddenId;
  commitPending = null;
  restorePending = null;
  if (!commit || !shown) return;
  try {
    await commit();
    undo.hidden = undo.hidden.filter((other) => other !== id);
    if (undo.pending?.id === shown.id) undo.pending = null;
  } catch (error: unknown) {
    restore?.();
    undo.hidden = undo.hidden.filter((other) => other !== id);
    const message = (error as { message?: string })?.message ?? String(error);
    undo.pending = { id: shown.id, text: `Could not remove: ${message}`, error: message };
  }
}

/**
 * Shows `text` with Undo for a few seconds, then runs `commit`; Undo runs `restore`
 * instead. A new removal first sends the one still waiting.
 */
export function removeWithUndo(
  text: string,
  id: string,
  commit: () => Promise<void>,
  restore: () => void = () => {},
): void {
  if (commitPending) void flush();
  hiddenId = id;
  undo.hidden = [...undo.hidden, id];
  commitPending = commit;
  restorePending = restore;
  undo.pending = { id: nextId++, text, error: null };
  timer = setTimeout(() => void flush(), undoSettings.ms);
}

/** Takes the waiting removal back. */
export function undoRemoval(): void {
  clearTimeout(timer);
  restorePending?.();
  unhide();
  commitPending = null;
  restorePending = null;
  undo.pending = null;
}

/** Sends the waiting removal now (tests; before the window closes). */
export function flushRemoval(): Promise<void> {
  return flush();
}

export function dismissUndo(): void {
  if (!commitPending) undo.pending = null;
}

// The aria-describedby of a field inside a FormRow: its hint and its error, when shown.

export function describedby(id: string, hint?: unknown, error?: unknown): string | undefined {
  const ids = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter((x) => x !== null);
  return ids.length > 0 ? ids.join(" ") : undefined;
}

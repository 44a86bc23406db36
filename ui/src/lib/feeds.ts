// Feed links in the UI: the allowed query names as typed (comma or space separated).

/** `"page, limit"` → `["page", "limit"]`: blanks dropped, duplicates once. */
export function queryNames(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/[\s,]+/)) {
    const name = raw.trim();
    if (name !== "" && !out.includes(name)) out.push(name);
  }
  return out;
}

/**
 * Multi-line text in one-line places: the first line for a list column, and
 * an escaped form (`\n` for a line break) for a one-line input field.
 */

/** The first non-empty line of `text`, trimmed; "" when there is none. */
export function firstLine(text: string): string {
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() !== "") return line.trim();
  }
  return "";
}

/** Line breaks become `\n` and backslashes `\\`, so the text fits one input line and round-trips. */
export function escapeLines(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\r?\n/g, "\\n");
}

/** The inverse of `escapeLines`: `\n` is a line break, `\\` a backslash; any other backslash stays. */
export function unescapeLines(text: string): string {
  return text.replace(/\\(\\|n)/g, (_match, c: string) => (c === "n" ? "\n" : "\\"));
}

/**
 * The one status line under the lists: what just happened, or what went wrong
 * (in red), one message at a time.
 */
import { Text } from "ink";

/** A message for the status line; `error` is red, `success` green, `info` plain. */
export interface Status {
  tone: "info" | "success" | "error";
  text: string;
}

const colors = { info: undefined, success: "green", error: "red" } as const;

/** Renders `status`, or an empty line so the layout does not jump. */
export function StatusLine({ status }: { status: Status | undefined }) {
  if (!status) return <Text> </Text>;
  return (
    <Text color={colors[status.tone]} wrap="truncate-end">
      {status.tone === "error" ? "✗ " : ""}
      {status.text}
    </Text>
  );
}

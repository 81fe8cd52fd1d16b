/**
 * The footer: the keys that work right now, by what the tab is doing.
 */
import { Text } from "ink";

/** browse: the list has the keys; form: a form is open; confirm: a y/n question is asked. */
export type TabMode = "browse" | "form" | "confirm";

const hints: Record<TabMode, string> = {
  browse: "↑/↓ select  ←/→ tab switch  a add  e edit  d delete  r reload  q quit",
  form: "enter next field / save  tab/↓ next  shift-tab/↑ previous  esc cancel",
  confirm: "y delete  n/esc keep",
};

/** Renders the hints for `mode`, dimmed, cut to the terminal width. */
export function KeyHints({ mode }: { mode: TabMode }) {
  return (
    <Text dimColor wrap="truncate-end">
      {hints[mode]}
    </Text>
  );
}

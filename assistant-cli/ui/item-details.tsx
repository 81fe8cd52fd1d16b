/**
 * The selected item in full: title, summary lines (an event's span), the
 * description (up to `height` lines), and who created and last changed it.
 */
import { Box, Text } from "ink";
import type { Item } from "./collection.js";
import { formatWhen } from "../local-time.js";

export interface ItemDetailsProps {
  item: Item | undefined;
  summary: string[];
  /** Lines the description may take; longer ones end with "… n more lines". */
  height: number;
}

/** Renders the details box; a placeholder line when nothing is selected. */
export function ItemDetails({ item, summary, height }: ItemDetailsProps) {
  if (!item) {
    return (
      <Box borderStyle="single" borderDimColor paddingX={1}>
        <Text dimColor>nothing selected — press a to add</Text>
      </Box>
    );
  }
  const lines = item.description === "" ? [] : item.description.split(/\r?\n/);
  const shown = lines.length > height ? lines.slice(0, height - 1) : lines;
  const more = lines.length - shown.length;
  return (
    <Box borderStyle="single" borderDimColor paddingX={1} flexDirection="column">
      <Text bold wrap="truncate-end">
        {item.title}
      </Text>
      {summary.map((line, n) => (
        <Text key={`s${n}`} wrap="truncate-end">
          {line}
        </Text>
      ))}
      {shown.length === 0 ? <Text dimColor>(no description)</Text> : null}
      {shown.map((line, n) => (
        <Text key={`d${n}`} wrap="truncate-end">
          {line === "" ? " " : line}
        </Text>
      ))}
      {more > 0 ? <Text dimColor>… {more} more lines</Text> : null}
      <Text dimColor wrap="truncate-end">
        created by {item.createdBy || "?"} at {formatWhen(item.createTime)} · updated by {item.updatedBy || "?"} at {formatWhen(item.updateTime)}
      </Text>
    </Box>
  );
}

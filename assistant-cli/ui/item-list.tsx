/**
 * A scrolling list of rows with one selected, in columns; text that does not
 * fit its column is cut with an ellipsis rather than wrapped.
 */
import { Box, Text } from "ink";
import { useRef } from "react";
import type { Cell } from "./collection.js";
import { scrollTop } from "./list-changes.js";

export interface ItemListProps {
  header: Cell[];
  rows: { id: string; cells: Cell[] }[];
  selected: number;
  /** Rows shown at once (not counting the header); more scroll. */
  height: number;
  /** Shown instead of rows when there are none. */
  empty: string;
}

/** Renders the header, a window of rows around the selection, and "n more" when scrolled. */
export function ItemList({ header, rows, selected, height, empty }: ItemListProps) {
  const top = useRef(0);
  top.current = scrollTop(selected, top.current, height, rows.length);
  const visible = rows.slice(top.current, top.current + height);
  const hidden = rows.length - visible.length;
  return (
    <Box flexDirection="column">
      <Row cells={header} marker=" " bold dimAll />
      {rows.length === 0 ? (
        <Text dimColor>  {empty}</Text>
      ) : (
        visible.map((row, n) => {
          const isSelected = top.current + n === selected;
          return <Row key={row.id} cells={row.cells} marker={isSelected ? "›" : " "} bold={isSelected} color={isSelected ? "cyan" : undefined} />;
        })
      )}
      {Array.from({ length: Math.max(0, height - Math.max(visible.length, 1)) }, (_, n) => (
        <Text key={`pad-${n}`}> </Text>
      ))}
      <Text dimColor>{hidden > 0 ? `  ${top.current + 1}–${top.current + visible.length} of ${rows.length}` : " "}</Text>
    </Box>
  );
}

interface RowProps {
  cells: Cell[];
  marker: string;
  bold?: boolean;
  color?: string | undefined;
  dimAll?: boolean;
}

function Row({ cells, marker, bold, color, dimAll }: RowProps) {
  return (
    <Box>
      <Box width={2} flexShrink={0}>
        <Text color={color} bold>
          {marker}
        </Text>
      </Box>
      {cells.map((cell, n) => (
        <Box key={n} width={cell.width} flexGrow={cell.width === undefined ? 1 : 0} flexShrink={cell.width === undefined ? 1 : 0} flexBasis={cell.width === undefined ? 0 : undefined} paddingRight={1}>
          <Text wrap="truncate-end" bold={bold} color={color} dimColor={(dimAll || cell.dim) && !color}>
            {cell.text === "" ? " " : cell.text}
          </Text>
        </Box>
      ))}
    </Box>
  );
}

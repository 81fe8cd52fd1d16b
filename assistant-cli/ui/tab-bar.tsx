/**
 * The top line: one tab per collection with its item count and a live /
 * reconnecting indicator, the active tab highlighted.
 */
import { Box, Text } from "ink";
import type { Connection } from "./use-live-list.js";

export interface TabInfo {
  title: string;
  count: number;
  connection: Connection;
}

const indicator: Record<Connection, { mark: string; label: string; color: string }> = {
  connecting: { mark: "○", label: "connecting", color: "yellow" },
  live: { mark: "●", label: "live", color: "green" },
  reconnecting: { mark: "○", label: "reconnecting", color: "red" },
};

/** Renders the tabs; `active` is the index of the shown one. */
export function TabBar({ tabs, active }: { tabs: TabInfo[]; active: number }) {
  return (
    <Box>
      {tabs.map((tab, n) => {
        const state = indicator[tab.connection];
        return (
          <Box key={tab.title} marginRight={3}>
            <Text bold={n === active} inverse={n === active}>
              {` ${tab.title} (${tab.count}) `}
            </Text>
            <Text color={state.color}>{` ${state.mark} ${state.label}`}</Text>
          </Box>
        );
      })}
      <Box flexGrow={1} />
      <Text dimColor>m2m assistant</Text>
    </Box>
  );
}

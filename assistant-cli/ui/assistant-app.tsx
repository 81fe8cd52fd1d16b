/**
 * The assistant's terminal UI: an Events tab and a Notes tab, each a live
 * list with details and add/edit/delete, a status line and key hints.
 */
import { Box, useApp, useInput } from "ink";
import { useCallback, useMemo, useState } from "react";
import type { AssistantSession } from "../session.js";
import { CollectionTab } from "./collection-tab.js";
import { createEventCollection } from "./event-collection.js";
import { createNoteCollection } from "./note-collection.js";
import { StatusLine, type Status } from "./status-line.js";
import { TabBar } from "./tab-bar.js";
import { useLiveList } from "./use-live-list.js";
import { useTerminalSize } from "./use-terminal-size.js";

export interface AssistantAppProps {
  session: AssistantSession;
  /** Called once when the user quits (q in a list, or Ctrl-C anywhere), before Ink unmounts. */
  onExit?: () => void;
}

// Lines the layout uses besides the list and the description: tab bar, list header and
// scroll line, details border/title/summary/meta, confirm, status, hints, and one spare
// so the frame never fills the screen (Ink would then clear it on every update).
const chrome = 12;
const detailsHeight = 4;

/** The root component; rendering it opens both watch streams, unmounting closes them. */
export function AssistantApp({ session, onExit }: AssistantAppProps) {
  const { exit } = useApp();
  const { rows } = useTerminalSize();
  const collections = useMemo(() => ({ events: createEventCollection(session), notes: createNoteCollection(session) }), [session]);
  const [status, setStatus] = useState<Status>();
  const [tab, setTab] = useState(0);
  const events = useLiveList(collections.events, setStatus);
  const notes = useLiveList(collections.notes, setStatus);

  const quit = useCallback(() => {
    onExit?.();
    exit();
  }, [onExit, exit]);
  useInput((input, key) => {
    if (key.ctrl && input === "c") quit();
  });

  const switchTab = (by: 1 | -1) => setTab((t) => (t + by + 2) % 2);
  const listHeight = Math.max(3, rows - chrome - detailsHeight);
  const shared = { listHeight, detailsHeight, onStatus: setStatus, onSwitchTab: switchTab, onQuit: quit };
  const statusLine = <StatusLine status={status} />;
  return (
    <Box flexDirection="column">
      <TabBar
        active={tab}
        tabs={[
          { title: collections.events.title, count: events.items.length, connection: events.connection },
          { title: collections.notes.title, count: notes.items.length, connection: notes.connection },
        ]}
      />
      <Box display={tab === 0 ? "flex" : "none"} flexDirection="column">
        <CollectionTab collection={collections.events} live={events} active={tab === 0} {...shared}>
          {statusLine}
        </CollectionTab>
      </Box>
      <Box display={tab === 1 ? "flex" : "none"} flexDirection="column">
        <CollectionTab collection={collections.notes} live={notes} active={tab === 1} {...shared}>
          {statusLine}
        </CollectionTab>
      </Box>
    </Box>
  );
}

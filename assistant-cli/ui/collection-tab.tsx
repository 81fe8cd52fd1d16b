/**
 * One tab: the list of a collection, the selected item's details, and the
 * add/edit form or delete question. It owns its keys while shown; the tab
 * switch and quit keys it passes up, and only while no form is open.
 */
import { Box, Text, useInput } from "ink";
import { useRef, useState, type ReactNode } from "react";
import type { Collection, FormValues, Item } from "./collection.js";
import { FieldForm } from "./field-form.js";
import { ItemDetails } from "./item-details.js";
import { ItemList } from "./item-list.js";
import { KeyHints, type TabMode } from "./key-hints.js";
import { selectionIndex } from "./list-changes.js";
import type { Status } from "./status-line.js";
import { describeError, type LiveList } from "./use-live-list.js";

export interface CollectionTabProps<T extends Item> {
  collection: Collection<T>;
  live: LiveList<T>;
  /** Only the shown tab reads keys. */
  active: boolean;
  listHeight: number;
  detailsHeight: number;
  onStatus(status: Status): void;
  /** ←/→, Tab, Shift-Tab in the list: +1 next tab, -1 previous. */
  onSwitchTab(by: 1 | -1): void;
  onQuit(): void;
  /** The status line, placed above the key hints. */
  children?: ReactNode;
}

type Mode<T> = { kind: "browse" } | { kind: "form"; item?: T; initial: FormValues; key: number } | { kind: "confirm"; item: T };

/** Renders the tab and handles a, e, d, r, ↑/↓ and the form and confirm keys. */
export function CollectionTab<T extends Item>(props: CollectionTabProps<T>) {
  const { collection, live, active, onStatus } = props;
  const [selectedId, setSelectedId] = useState<string>();
  const [mode, setMode] = useState<Mode<T>>({ kind: "browse" });
  const [busy, setBusy] = useState(false);
  const lastIndex = useRef(0);
  const forms = useRef(0);
  const index = selectionIndex(live.items, selectedId, lastIndex.current);
  lastIndex.current = index;
  const selected = live.items[index];
  const noun = collection.noun;

  useInput(
    (input, key) => {
      if (mode.kind === "confirm") {
        if (input === "y") void remove(mode.item);
        else if (input === "n" || key.escape) {
          setMode({ kind: "browse" });
          onStatus({ tone: "info", text: `kept ${noun} "${mode.item.title}"` });
        }
        return;
      }
      if (key.upArrow || input === "k") setSelectedId(live.items[Math.max(0, index - 1)]?.id);
      else if (key.downArrow || input === "j") setSelectedId(live.items[Math.min(live.items.length - 1, index + 1)]?.id);
      else if (key.pageUp) setSelectedId(live.items[Math.max(0, index - props.listHeight)]?.id);
      else if (key.pageDown) setSelectedId(live.items[Math.min(live.items.length - 1, index + props.listHeight)]?.id);
      else if (key.rightArrow || (key.tab && !key.shift)) props.onSwitchTab(1);
      else if (key.leftArrow || (key.tab && key.shift)) props.onSwitchTab(-1);
      else if (input === "q") props.onQuit();
      else if (input === "r") void live.reload();
      else if (input === "a") setMode({ kind: "form", initial: collection.formValues(), key: ++forms.current });
      else if (input === "e" && selected) setMode({ kind: "form", item: selected, initial: collection.formValues(selected), key: ++forms.current });
      else if (input === "d" && selected) setMode({ kind: "confirm", item: selected });
    },
    { isActive: active && !busy && mode.kind !== "form" },
  );

  async function save(values: FormValues) {
    if (mode.kind !== "form") return;
    setBusy(true);
    onStatus({ tone: "info", text: `saving ${noun}…` });
    try {
      const saved = mode.item ? await collection.update(mode.item, mode.initial, values) : await collection.create(values);
      setMode({ kind: "browse" });
      if (!saved) {
        onStatus({ tone: "info", text: "nothing changed" });
        return;
      }
      live.apply({ type: "upsert", item: saved });
      setSelectedId(saved.id);
      onStatus({ tone: "success", text: `${mode.item ? "saved" : "added"} ${noun} "${saved.title}"` });
    } catch (err) {
      onStatus({ tone: "error", text: describeError(collection, err) });
    } finally {
      setBusy(false);
    }
  }

  async function remove(item: T) {
    setBusy(true);
    try {
      await collection.remove(item);
      live.apply({ type: "deleted", item });
      onStatus({ tone: "success", text: `deleted ${noun} "${item.title}"` });
    } catch (err) {
      onStatus({ tone: "error", text: describeError(collection, err) });
    } finally {
      setMode({ kind: "browse" });
      setBusy(false);
    }
  }

  const tabMode: TabMode = mode.kind;
  return (
    <Box flexDirection="column">
      <ItemList
        header={collection.header}
        rows={live.items.map((item) => ({ id: item.id, cells: collection.row(item) }))}
        selected={index}
        height={props.listHeight}
        empty={live.connection === "live" ? `no ${collection.title.toLowerCase()} yet — press a to add one` : "loading…"}
      />
      {mode.kind === "form" ? (
        <FieldForm
          key={mode.key}
          title={mode.item ? `Edit ${noun} "${mode.item.title}"` : `Add ${noun}`}
          fields={collection.fields}
          initial={mode.initial}
          busy={busy}
          active={active}
          onSubmit={(values) => void save(values)}
          onCancel={() => {
            setMode({ kind: "browse" });
            onStatus({ tone: "info", text: "cancelled" });
          }}
        />
      ) : (
        <ItemDetails item={selected} summary={selected ? collection.summary(selected) : []} height={props.detailsHeight} />
      )}
      {mode.kind === "confirm" ? (
        <Text color="yellow" bold wrap="truncate-end">
          Delete {noun} "{mode.item.title}"? (y/n)
        </Text>
      ) : null}
      {props.children}
      <KeyHints mode={tabMode} />
    </Box>
  );
}

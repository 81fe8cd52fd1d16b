/**
 * What the terminal UI needs to know about one kind of item (events, notes):
 * how to load, watch, show, create, change and delete it. The tab, list and
 * form components are generic over this.
 */
import type { Timestamp } from "@bufbuild/protobuf/wkt";

/** The fields events and notes share, which the generic parts of the UI read. */
export interface Item {
  id: string;
  title: string;
  description: string;
  createTime?: Timestamp | undefined;
  updateTime?: Timestamp | undefined;
  createdBy: string;
  updatedBy: string;
  /** Sent back with an edit, so an edit of a stale copy fails (ABORTED) rather than overwrite a newer one. */
  etag?: string;
}

/**
 * One message of a watch stream, reduced to what the list needs. `sequence`: of the change, or on `started` the
 * one to resume from.
 */
export type Change<T extends Item> = ({ type: "started" } | { type: "upsert"; item: T } | { type: "deleted"; item: T }) & { sequence?: bigint };

/** One column of a list row; a column without `width` takes the remaining space. */
export interface Cell {
  text: string;
  width?: number;
  dim?: boolean;
}

/** One input of the add/edit form. */
export interface FieldSpec {
  name: string;
  label: string;
  /** Shown greyed while the field is empty. */
  placeholder?: string;
}

/** Form contents by field name. */
export type FormValues = Record<string, string>;

export interface Collection<T extends Item> {
  /** The tab's name: "Events". */
  title: string;
  /** One item, for messages: "event". */
  noun: string;
  /** For error messages: "calendar service". */
  service: string;
  /** Where the service is, for error messages. */
  url: string;
  /** The column headings, matching `row`. */
  header: Cell[];
  /** Every item, all pages, in display order. */
  list(signal?: AbortSignal): Promise<T[]>;
  /**
   * The changes from now on, or after `sinceSequence` (replayed first); the first is `started`. Ends or throws
   * when the stream does (OUT_OF_RANGE when the changes after `sinceSequence` are no longer kept).
   */
  watch(signal: AbortSignal, sinceSequence?: bigint): AsyncIterable<Change<T>>;
  /** Display order. */
  compare(a: T, b: T): number;
  row(item: T): Cell[];
  /** Extra detail lines shown above the description (e.g. an event's time span). */
  summary(item: T): string[];
  fields: FieldSpec[];
  /** The form's initial values: empty (or defaults) to add, the item's values to edit. */
  formValues(item?: T): FormValues;
  /** Creates an item from the form; a bad value throws a CliError naming the field. */
  create(values: FormValues): Promise<T>;
  /** Sends the fields that differ from `initial`; undefined when nothing changed. */
  update(item: T, initial: FormValues, values: FormValues): Promise<T | undefined>;
  remove(item: T): Promise<void>;
}

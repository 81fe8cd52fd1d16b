/**
 * Validation of the note fields a client sends. Every failure is an
 * INVALID_ARGUMENT naming the field, checked before anything is written.
 */
import type { Note } from "../gen/m2m/notes/v1/notes_pb.js";
import { checkText, checkTitle } from "../service-runtime/field-validation.js";
import type { NoteFields } from "./note-store.js";

export const maxTitleLength = 200;
export const maxDescriptionLength = 100_000;

/** The fields an update mask may name. */
export const updatableNoteFields = ["title", "description"] as const;
export type UpdatableNoteField = (typeof updatableNoteFields)[number];

/** Checks a complete set of note fields; `prefix` is the message field ("note"). */
export function checkNoteFields(prefix: string, note: Pick<Note, "title" | "description">): NoteFields {
  return {
    title: checkTitle(`${prefix}.title`, note.title, maxTitleLength),
    description: checkText(`${prefix}.description`, note.description, maxDescriptionLength),
  };
}

/** The fields of `note` that hold a value (for an update without a mask). */
export function setNoteFields(note: Note): UpdatableNoteField[] {
  return updatableNoteFields.filter((field) => note[field] !== "");
}

/** `current` with the masked fields taken from `patch`, validated as a whole. */
export function mergeNote(current: Note, patch: Note, paths: ReadonlySet<UpdatableNoteField>): NoteFields {
  return checkNoteFields("note", {
    title: paths.has("title") ? patch.title : current.title,
    description: paths.has("description") ? patch.description : current.description,
  });
}

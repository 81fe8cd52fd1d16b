/**
 * The note's field rules: what a client may set and how it is checked. Every
 * failure is an INVALID_ARGUMENT naming the field, checked before anything is
 * written.
 */
import type { Note } from "../gen/m2m/notes/v1/notes_pb.js";
import { checkText, checkTitle } from "../service-runtime/field-validation.js";
import type { FieldRules } from "../service-runtime/resources/resource-methods.js";

/** The fields a client chooses. */
export interface NoteFields {
  title: string;
  description: string;
}

export const maxTitleLength = 200;
export const maxDescriptionLength = 100_000;

const updatable = ["title", "description"] as const;

/** The note's field rules, for the shared resource methods. */
export const noteRules: FieldRules<Note, NoteFields, (typeof updatable)[number]> = {
  field: "note",
  updatable,
  check: (prefix, note) => ({
    title: checkTitle(`${prefix}.title`, note.title, maxTitleLength),
    description: checkText(`${prefix}.description`, note.description, maxDescriptionLength),
  }),
  setFields: (note) => updatable.filter((field) => note[field] !== ""),
  merge: (current, patch, paths) =>
    noteRules.check("note", {
      ...current,
      title: paths.has("title") ? patch.title : current.title,
      description: paths.has("description") ? patch.description : current.description,
    }),
};

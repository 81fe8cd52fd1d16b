/**
 * The event's field rules: what a client may set and how it is checked (an
 * event must not end before it starts). Every failure is an INVALID_ARGUMENT
 * naming the field, checked before anything is written.
 */
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { Event } from "../gen/m2m/calendar/v1/calendar_pb.js";
import { checkText, checkTitle, compareTimestamps, invalidArgument, requireTimestamp } from "../service-runtime/field-validation.js";
import type { FieldRules } from "../service-runtime/resources/resource-methods.js";

/** The fields a client chooses. */
export interface EventFields {
  title: string;
  description: string;
  startTime: Timestamp;
  endTime: Timestamp;
}

export const maxTitleLength = 200;
export const maxDescriptionLength = 10_000;

/** The fields an update mask may name. */
const updatable = ["title", "description", "start_time", "end_time"] as const;
type UpdatableEventField = (typeof updatable)[number];

/** Checks a complete set of event fields; `prefix` is the message field ("event"). */
function checkEventFields(prefix: string, event: Pick<Event, "title" | "description" | "startTime" | "endTime">): EventFields {
  const fields: EventFields = {
    title: checkTitle(`${prefix}.title`, event.title, maxTitleLength),
    description: checkText(`${prefix}.description`, event.description, maxDescriptionLength),
    startTime: requireTimestamp(`${prefix}.start_time`, event.startTime),
    endTime: requireTimestamp(`${prefix}.end_time`, event.endTime),
  };
  if (compareTimestamps(fields.endTime, fields.startTime) < 0) {
    throw invalidArgument(`${prefix}.end_time`, "must not be before start_time");
  }
  return fields;
}

/** The event's field rules, for the shared resource methods. */
export const eventRules: FieldRules<Event, EventFields, UpdatableEventField> = {
  field: "event",
  updatable,
  check: checkEventFields,
  setFields(event) {
    const set: UpdatableEventField[] = [];
    if (event.title !== "") set.push("title");
    if (event.description !== "") set.push("description");
    if (event.startTime !== undefined) set.push("start_time");
    if (event.endTime !== undefined) set.push("end_time");
    return set;
  },
  merge: (current, patch, paths) =>
    checkEventFields("event", {
      title: paths.has("title") ? patch.title : current.title,
      description: paths.has("description") ? patch.description : current.description,
      startTime: paths.has("start_time") ? patch.startTime : current.startTime,
      endTime: paths.has("end_time") ? patch.endTime : current.endTime,
    }),
};

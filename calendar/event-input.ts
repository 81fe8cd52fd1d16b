/**
 * Validation of the event fields a client sends. Every failure is an
 * INVALID_ARGUMENT naming the field, checked before anything is written.
 */
import type { Event } from "../gen/m2m/calendar/v1/calendar_pb.js";
import { checkText, checkTitle, compareTimestamps, invalidArgument, requireTimestamp } from "../service-runtime/field-validation.js";
import type { EventFields } from "./event-store.js";

export const maxTitleLength = 200;
export const maxDescriptionLength = 10_000;

/** The fields an update mask may name. */
export const updatableEventFields = ["title", "description", "start_time", "end_time"] as const;
export type UpdatableEventField = (typeof updatableEventFields)[number];

/** Checks a complete set of event fields; `prefix` is the message field ("event"). */
export function checkEventFields(prefix: string, event: Pick<Event, "title" | "description" | "startTime" | "endTime">): EventFields {
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

/** The fields of `event` that hold a value (for an update without a mask). */
export function setEventFields(event: Event): UpdatableEventField[] {
  const set: UpdatableEventField[] = [];
  if (event.title !== "") set.push("title");
  if (event.description !== "") set.push("description");
  if (event.startTime !== undefined) set.push("start_time");
  if (event.endTime !== undefined) set.push("end_time");
  return set;
}

/** `current` with the masked fields taken from `patch`, validated as a whole. */
export function mergeEvent(current: Event, patch: Event, paths: ReadonlySet<UpdatableEventField>): EventFields {
  return checkEventFields("event", {
    title: paths.has("title") ? patch.title : current.title,
    description: paths.has("description") ? patch.description : current.description,
    startTime: paths.has("start_time") ? patch.startTime : current.startTime,
    endTime: paths.has("end_time") ? patch.endTime : current.endTime,
  });
}

/**
 * The calendar service: its identity, its table (events in start order) and
 * the time-range filter of ListEvents. Its methods are the shared resource
 * methods (service-runtime/resources/); its field rules are in event-input.ts.
 */
import { create } from "@bufbuild/protobuf";
import { CalendarService, EventSchema, type ListEventsRequest } from "../gen/m2m/calendar/v1/calendar_pb.js";
import { checkTimestamp, compareTimestamps, invalidArgument } from "../service-runtime/field-validation.js";
import { defineResourceService } from "../service-runtime/resources/resource-service.js";
import type { ListFilter } from "../service-runtime/resources/resource-handlers.js";
import type { Condition } from "../service-runtime/resources/resource-store.js";
import type { ResourceTable } from "../service-runtime/resources/resource-table.js";
import { eventRules, type EventFields } from "./event-input.js";

/**
 * Events: timestamps stored as (seconds, nanos) so nothing a client sends is rounded; keyset pagination on
 * (start seconds, start nanos, id).
 */
export const eventTable: ResourceTable<typeof EventSchema, EventFields> = {
  schema: EventSchema,
  name: "events",
  noun: "event",
  fieldColumns: { title: "text", description: "text", start_seconds: "integer", start_nanos: "integer", end_seconds: "integer", end_nanos: "integer" },
  listIndex: { name: "events_by_start", columns: ["start_seconds", "start_nanos", "id"] },
  columnsOf: (f) => ({
    title: f.title,
    description: f.description,
    start_seconds: Number(f.startTime.seconds),
    start_nanos: f.startTime.nanos,
    end_seconds: Number(f.endTime.seconds),
    end_nanos: f.endTime.nanos,
  }),
  fromRow: (common, row) =>
    create(EventSchema, {
      ...common,
      title: String(row["title"]),
      description: String(row["description"]),
      startTime: { seconds: BigInt(row["start_seconds"]!), nanos: Number(row["start_nanos"]) },
      endTime: { seconds: BigInt(row["end_seconds"]!), nanos: Number(row["end_nanos"]) },
    }),
  cursorOf: (event) => [Number(event.startTime!.seconds), event.startTime!.nanos, event.id],
};

/** ListEvents' time range as list conditions (events that end after time_min and start before time_max), and its key. */
export function timeRange(req: Pick<ListEventsRequest, "timeMin" | "timeMax">): ListFilter {
  const timeMin = req.timeMin && checkTimestamp("time_min", req.timeMin);
  const timeMax = req.timeMax && checkTimestamp("time_max", req.timeMax);
  if (timeMin && timeMax && compareTimestamps(timeMax, timeMin) < 0) throw invalidArgument("time_max", "must not be before time_min");
  const where: Condition[] = [];
  if (timeMin) where.push({ columns: ["end_seconds", "end_nanos"], op: ">", values: [Number(timeMin.seconds), timeMin.nanos] });
  if (timeMax) where.push({ columns: ["start_seconds", "start_nanos"], op: "<", values: [Number(timeMax.seconds), timeMax.nanos] });
  const filterKey = `min=${timeMin?.seconds ?? ""}.${timeMin?.nanos ?? ""};max=${timeMax?.seconds ?? ""}.${timeMax?.nanos ?? ""}`;
  return { filterKey, where };
}

export const calendarService = defineResourceService({
  name: "calendar",
  envPrefix: "CALENDAR",
  defaultPort: 3011,
  defaultAudience: "calendar-service",
  table: eventTable,
  rules: eventRules,
  service: CalendarService,
  listFilter: timeRange,
});

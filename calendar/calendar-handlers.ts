/**
 * The CalendarService methods: validate, call the store, publish changes.
 * The caller's client id (from the verified token) is recorded on writes.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  CalendarService,
  ChangeType,
  WatchEventsResponseSchema,
  type Event,
  type WatchEventsResponse,
} from "../gen/m2m/calendar/v1/calendar_pb.js";
import { requirePrincipal } from "../interceptor/connect-auth-interceptor.js";
import type { ChangeFeed } from "../service-runtime/change-feed.js";
import { checkTimestamp, compareTimestamps, invalidArgument, requireId } from "../service-runtime/field-validation.js";
import { decodePageToken, encodePageToken, resolvePageSize } from "../service-runtime/pagination.js";
import { resolveUpdatePaths } from "../service-runtime/update-mask.js";
import { watchChanges } from "../service-runtime/watch-stream.js";
import { checkEventFields, mergeEvent, setEventFields, updatableEventFields } from "./event-input.js";
import { eventCursor, type EventStore } from "./event-store.js";

export interface EventChange {
  type: ChangeType;
  event: Event;
  changedBy: string;
}

function notFound(id: string): ConnectError {
  return new ConnectError(`event "${id}" not found`, Code.NotFound);
}

export function createCalendarHandlers(store: EventStore, feed: ChangeFeed<EventChange>): ServiceImpl<typeof CalendarService> {
  return {
    listEvents(req) {
      const limit = resolvePageSize(req.pageSize);
      const timeMin = req.timeMin && checkTimestamp("time_min", req.timeMin);
      const timeMax = req.timeMax && checkTimestamp("time_max", req.timeMax);
      if (timeMin && timeMax && compareTimestamps(timeMax, timeMin) < 0) throw invalidArgument("time_max", "must not be before time_min");
      const filterKey = `min=${timeMin?.seconds ?? ""}.${timeMin?.nanos ?? ""};max=${timeMax?.seconds ?? ""}.${timeMax?.nanos ?? ""}`;
      const after = decodePageToken(req.pageToken, filterKey, ["number", "number", "string"]);
      const { events, hasMore } = store.list({ limit, ...(after && { after }), ...(timeMin && { timeMin }), ...(timeMax && { timeMax }) });
      const last = events.at(-1);
      return { events, nextPageToken: hasMore && last ? encodePageToken(eventCursor(last), filterKey) : "" };
    },

    getEvent(req) {
      const id = requireId("id", req.id);
      const event = store.get(id);
      if (!event) throw notFound(id);
      return { event };
    },

    createEvent(req, ctx) {
      const principal = requirePrincipal(ctx);
      if (!req.event) throw invalidArgument("event", "is required");
      const event = store.insert(checkEventFields("event", req.event), principal.clientId);
      feed.publish({ type: ChangeType.CREATED, event, changedBy: principal.clientId });
      return { event };
    },

    updateEvent(req, ctx) {
      const principal = requirePrincipal(ctx);
      const patch = req.event;
      if (!patch) throw invalidArgument("event", "is required");
      const id = requireId("event.id", patch.id);
      const paths = resolveUpdatePaths(req.updateMask, updatableEventFields, setEventFields(patch));
      const event = store.update(id, (current) => mergeEvent(current, patch, paths), principal.clientId);
      if (!event) throw notFound(id);
      feed.publish({ type: ChangeType.UPDATED, event, changedBy: principal.clientId });
      return { event };
    },

    deleteEvent(req, ctx) {
      const principal = requirePrincipal(ctx);
      const id = requireId("id", req.id);
      const event = store.delete(id);
      if (!event) throw notFound(id);
      feed.publish({ type: ChangeType.DELETED, event, changedBy: principal.clientId });
      return {};
    },

    watchEvents(_req, ctx) {
      const started = create(WatchEventsResponseSchema, { changeType: ChangeType.WATCH_STARTED });
      return watchChanges(feed, ctx, requirePrincipal(ctx), started, (change): WatchEventsResponse =>
        create(WatchEventsResponseSchema, { changeType: change.type, event: change.event, changedBy: change.changedBy }),
      );
    },
  };
}

/** The calendar service's wiring: its identity, tables, store, change feed and routes. */
import { CalendarService } from "../gen/m2m/calendar/v1/calendar_pb.js";
import { createChangeFeed } from "../service-runtime/change-feed.js";
import type { ServiceDefinition } from "../service-runtime/run-service.js";
import { createCalendarHandlers, type EventChange } from "./calendar-handlers.js";
import { createEventStore, eventSchema } from "./event-store.js";

export const calendarService: ServiceDefinition = {
  name: "calendar",
  envPrefix: "CALENDAR",
  defaultPort: 3011,
  defaultAudience: "calendar-service",
  schema: eventSchema,
  build(db, logger) {
    const feed = createChangeFeed<EventChange>({ onUnsubscribe: (watchers) => logger.info("watch ended", { watchers }) });
    const handlers = createCalendarHandlers(createEventStore(db), feed);
    return {
      services: [CalendarService],
      routes: (router) => router.service(CalendarService, handlers),
      stopStreams: () => feed.close(),
    };
  },
};

/** Starts the calendar service (CALENDAR_PORT, default 3011). */
import { runService } from "../service-runtime/run-service.js";
import { calendarService } from "./calendar-service.js";

await runService(calendarService);

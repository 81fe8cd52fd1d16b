/**
 * The benchmark's notes service: the real notes service, composed from the
 * runtime's parts as `notes/main.ts` is, except that SIGUSR2 turns its token
 * guard off and on (see `switchable-auth.ts`). Started only by the benchmark;
 * it says so loudly at start-up and at every switch.
 */
import { notesService } from "../notes/notes-service.js";
import { runService } from "../service-runtime/run-service.js";
import { createSwitchedAuthInterceptor } from "./switchable-auth.js";

await runService(notesService, {
  wrapAuthInterceptor: (guard, logger) => {
    logger.error("AUTHENTICATION CAN BE SWITCHED OFF: this is the benchmark's notes service; SIGUSR2 turns auth off and on");
    return createSwitchedAuthInterceptor(guard, (on) =>
      on ? logger.error("authentication is on again (SIGUSR2)") : logger.error("AUTHENTICATION IS OFF (SIGUSR2): every call is accepted without a token"),
    );
  },
});

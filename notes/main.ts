/** Starts the notes service (NOTES_PORT, default 3012). */
import { runService } from "../service-runtime/run-service.js";
import { notesService } from "./notes-service.js";

await runService(notesService);

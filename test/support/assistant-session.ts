/**
 * The assistant's session against a test system, with its token cache in a
 * temporary directory (never the user's), and frame polling for terminal UI
 * tests rendered with ink-testing-library.
 */
import { stripVTControlCharacters } from "node:util";
import { createAssistantSession, type AssistantSession } from "../../assistant/session.js";
import { resolveSettings } from "../../assistant/settings.js";
import { tempDataDir } from "./processes.js";
import type { TestSystem } from "./system.js";

export interface TestAssistantSession {
  session: AssistantSession;
  /** Deletes the temporary cache directory. */
  remove(): void;
}

/** A session for the system's URLs and assistant credentials; XDG_CACHE_HOME is a fresh temp dir. */
export function createTestAssistantSession(system: TestSystem): TestAssistantSession {
  const cache = tempDataDir();
  const env = {
    XDG_CACHE_HOME: cache.path,
    DATA_DIR: system.dataDir,
    ASSISTANT_CLIENT_ID: system.credentials.clientId,
    ASSISTANT_CLIENT_SECRET: system.credentials.clientSecret,
  };
  const settings = resolveSettings({ authUrl: system.auth.url, calendarUrl: system.calendar.url, notesUrl: system.notes.url }, env);
  return { session: createAssistantSession(settings, env), remove: cache.remove };
}

/**
 * Polls `lastFrame` (colours stripped) until `predicate` holds and returns that
 * frame; after `timeoutMs` fails with the last frame in the message.
 */
export async function waitForFrame(lastFrame: () => string | undefined, predicate: (frame: string) => boolean, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let frame = "";
  for (;;) {
    frame = stripVTControlCharacters(lastFrame() ?? "");
    if (predicate(frame)) return frame;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for the frame; last frame:\n${frame}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

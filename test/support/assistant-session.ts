/**
 * The assistant's session against a test system, with its token cache in a
 * temporary directory (never the user's), and frame polling for terminal UI
 * tests rendered with ink-testing-library.
 */
import { stripVTControlCharacters } from "node:util";
import { createAssistantSession, type AssistantSession } from "../../assistant-cli/session.js";
import { resolveSettings } from "../../assistant-cli/settings.js";
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
 * Polls `lastFrame` (colours stripped) every 10 ms until `predicate` holds, then
 * lets one more tick pass so React has run the effects that re-bind input
 * handlers (keys written earlier would reach the previous handlers), and
 * returns that frame; after `timeoutMs` fails with the last frame in the message.
 */
export async function waitForFrame(lastFrame: () => string | undefined, predicate: (frame: string) => boolean, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const frame = stripVTControlCharacters(lastFrame() ?? "");
    if (predicate(frame)) {
      await tick(settleMs);
      return frame;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for the frame; last frame:\n${frame}`);
    await tick(10);
  }
}

// Long enough for React's passive effects even on a busy machine.
const settleMs = 25;

function tick(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

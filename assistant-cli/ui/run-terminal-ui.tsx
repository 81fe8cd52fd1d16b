/**
 * `assistant start`: the terminal UI in the current terminal until the user
 * quits.
 */
import { render } from "ink";
import { CliError } from "../../common/cli-error.js";
import type { AssistantSession } from "../session.js";
import { AssistantApp } from "./assistant-app.js";

/**
 * Renders the UI on stdin/stdout and resolves when the user quits (q or
 * Ctrl-C); unmounting aborts the watch streams. Fails with a usage CliError
 * when stdin is not a terminal (the UI needs raw key input).
 */
export async function runTerminalUi(session: AssistantSession): Promise<void> {
  if (!process.stdin.isTTY) throw new CliError("usage", "assistant start needs an interactive terminal; use the other commands in scripts");
  // Ctrl-C is handled by the app so that it quits the same way as q.
  const instance = render(<AssistantApp session={session} />, { exitOnCtrlC: false });
  try {
    await instance.waitUntilExit();
  } finally {
    instance.unmount();
    instance.cleanup();
  }
}

/**
 * What went wrong between us and the SuperTokens core, in one line that says
 * what to do. supertokens-node reports failures as plain Errors; their
 * messages are the only signal, so they are matched here and nowhere else.
 */

export type CoreProblem = "unreachable" | "api_key" | "licence" | "incompatible" | "other";

export interface CoreFailure {
  problem: CoreProblem;
  /** One line for logs and health: what happened and what to do. */
  message: string;
}

export function describeCoreError(err: unknown, connectionUri: string): CoreFailure {
  const text = err instanceof Error ? err.message : String(err);
  const status = /status code: (\d{3})/.exec(text)?.[1];
  if (/No SuperTokens core available|ECONNREFUSED|fetch failed|ENOTFOUND|EAI_AGAIN/i.test(text)) {
    return { problem: "unreachable", message: `cannot reach the SuperTokens core at ${connectionUri}: check SUPERTOKENS_CONNECTION_URI and that the core is running` };
  }
  if (status === "401") {
    return { problem: "api_key", message: `the SuperTokens core at ${connectionUri} refused the API key: set SUPERTOKENS_API_KEY to one of the core's API keys` };
  }
  if (status === "402" || /licen[cs]e|feature/i.test(text)) {
    return {
      problem: "licence",
      message: `the SuperTokens core at ${connectionUri} does not offer the OAuth feature: it needs a licence key with OAuth (or the managed service) and Ory Hydra behind the core`,
    };
  }
  if (/not compatible with this NodeJS SDK/i.test(text)) {
    return { problem: "incompatible", message: `the SuperTokens core at ${connectionUri} speaks a version this supertokens-node does not support: upgrade the core` };
  }
  return { problem: "other", message: `the SuperTokens core at ${connectionUri} failed: ${text.replace(/\s+/g, " ").slice(0, 300)}` };
}

/** Whether an error came from talking to the core (as opposed to a bug of ours). */
export function isCoreError(err: unknown): boolean {
  return err instanceof Error && /SuperTokens core/.test(err.message);
}

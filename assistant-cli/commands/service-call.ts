/**
 * What the calendar and note commands share: how a call's failure becomes a
 * CliError, the deadline of unary calls, and how a watch runs until Ctrl-C.
 */
import { cliErrorFromRpc } from "../rpc-errors.js";

/** Unary calls give up after this long (watch streams have no deadline). */
export const unaryCall = { timeoutMs: 10_000 };

/** Lists fetch pages of this size. */
export const listPageSize = 100;

/** Runs calls to one service; any failure becomes a CliError naming the service and its URL. */
export async function callService<T>(service: string, url: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw cliErrorFromRpc(err, service, url);
  }
}

/** Hands every message of a watch stream to `onChange`; resolves when `signal` aborts (the user stopped it). */
export async function watchUntilAborted<T>(stream: AsyncIterable<T>, signal: AbortSignal, onChange: (change: T) => void): Promise<void> {
  try {
    for await (const change of stream) onChange(change);
  } catch (err) {
    if (!signal.aborted) throw err;
  }
}

/**
 * What the calendar and note commands share: how a call's failure becomes a
 * CliError, the deadline of unary calls and the page size of lists.
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

/** Every item of a paged list, or the first `limit`: `fetchPage` fetches one page of at most `pageSize` items. */
export async function collectPages<T>(
  limit: number | undefined,
  fetchPage: (pageSize: number, pageToken: string) => Promise<{ items: T[]; nextPageToken: string }>,
): Promise<T[]> {
  const items: T[] = [];
  let pageToken = "";
  do {
    const page = await fetchPage(limit === undefined ? listPageSize : Math.min(listPageSize, limit - items.length), pageToken);
    items.push(...page.items);
    pageToken = page.nextPageToken;
  } while (pageToken !== "" && (limit === undefined || items.length < limit));
  return items;
}

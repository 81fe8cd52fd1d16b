/**
 * Reads what callgrind writes: the total of one event (Ir, instructions
 * executed) from a dump file. A dump taken with `callgrind_control --dump`
 * holds the counts since the previous dump or zeroing, so one dump is one
 * measured window.
 */

/**
 * The total of `event` (default "Ir") in a callgrind dump: the `totals:` line,
 * or the `summary:` line when there is none, read in the order the `events:`
 * line names the events. Throws when the text is not a callgrind dump or lacks
 * the event.
 */
export function callgrindTotal(text: string, event = "Ir"): number {
  const field = (name: string) => new RegExp(`^${name}:[ \\t]*(.*)$`, "m").exec(text)?.[1]?.trim();
  const events = field("events")?.split(/\s+/);
  if (events === undefined) throw new Error("not a callgrind dump: no `events:` line");
  const index = events.indexOf(event);
  if (index < 0) throw new Error(`the callgrind dump counts ${events.join(", ")}, not ${event}`);
  const values = (field("totals") ?? field("summary"))?.split(/\s+/);
  if (values === undefined) throw new Error("callgrind dump without a `totals:` or `summary:` line");
  // A trailing event with no count is written as nothing at all: it is zero.
  const value = Number(values[index] ?? "0");
  if (!Number.isSafeInteger(value)) throw new Error(`callgrind dump: ${event} total is not a count: ${values[index]}`);
  return value;
}

/**
 * The self cost (first event, Ir by default) of every function in a callgrind dump, by name, summed over objects and
 * files; inclusive costs of calls (the line after `calls=`) are not counted, so the values add up to the total.
 */
export function callgrindSelfCosts(text: string): Map<string, number> {
  const names = new Map<string, string>();
  const costs = new Map<string, number>();
  let current = "";
  let skipNext = false;
  // `fn=(12) name` defines id 12, `fn=(12)` refers to it; `cfn=` shares the ids.
  const nameOf = (value: string) => {
    const match = /^\((\d+)\)(?: (.*))?$/.exec(value);
    if (match === null) return value;
    if (match[2] !== undefined) names.set(match[1]!, match[2]);
    return names.get(match[1]!) ?? value;
  };
  for (const line of text.split("\n")) {
    if (line.startsWith("fn=")) current = nameOf(line.slice(3));
    else if (line.startsWith("cfn=")) nameOf(line.slice(4));
    else if (line.startsWith("calls=")) skipNext = true;
    else if (/^[0-9+*-]/.test(line)) {
      if (skipNext) {
        skipNext = false;
        continue;
      }
      const fields = line.trim().split(/\s+/);
      const cost = Number(fields[1] ?? "0");
      costs.set(current, (costs.get(current) ?? 0) + cost);
    }
  }
  return costs;
}

/** Work V8 does now and then rather than on every call: its optimising compiler, and full (mark-compact) collections. */
export interface OccasionalWork {
  /** Self cost of V8's optimising compiler (TurboFan) and deoptimiser. */
  compiler: number;
  /** Self cost of the mark-compact collector's marking, sweeping and evacuation. */
  fullGc: number;
}

const compilerFunction = /v8::internal::(compiler::|maglev::|Deoptimizer::|OptimizingCompileDispatcher)/;
const fullGcFunction = /v8::internal::(MarkCompact|Marking|MainMarkingVisitor|ConcurrentMarking|IncrementalMarking|Sweeper|Evacuat|FullEvacuator)/;

/** How much of a dump's self costs is occasional work (see OccasionalWork), by function name. */
export function occasionalWork(selfCosts: ReadonlyMap<string, number>): OccasionalWork {
  let compiler = 0;
  let fullGc = 0;
  for (const [name, cost] of selfCosts) {
    if (compilerFunction.test(name)) compiler += cost;
    else if (fullGcFunction.test(name)) fullGc += cost;
  }
  return { compiler, fullGc };
}

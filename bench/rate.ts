/**
 * Operations per second of synchronous code, measured fairly between implementations: each is warmed up
 * (JIT, caches) for a tenth of its time, then timed in rounds that alternate which goes first, so that a
 * burst of load from a neighbour slows all of them; the median round is reported. One thread.
 *
 * @example
 * const rates = interleavedRates({ native: () => a.sign(m), noble: () => b.sign(m) }, 1, 5);
 * rates.native / rates.noble; // the speed-up, from one run
 */
import { median } from "./stats.ts";

// Every result feeds this, so no engine can drop a call whose result is unused.
let sink = 0;
function consume(result: unknown): void {
  if (result instanceof Uint8Array) sink ^= result[0] ?? 0;
  else if (typeof result === "boolean") sink ^= result ? 1 : 0;
  else if (typeof result === "object" && result !== null) sink ^= Object.keys(result).length;
}

/**
 * Calls `run` back to back for `ms` milliseconds (at least once); operations per second.
 *
 * @example
 * opsPerSecond(() => backend.verify(alg, pk, message, signature), 200);
 */
export function opsPerSecond(run: () => unknown, ms: number): number {
  let count = 0;
  let elapsed: number;
  const started = performance.now();
  do {
    consume(run());
    count++;
    elapsed = performance.now() - started;
  } while (elapsed < ms);
  return count / (elapsed / 1000);
}

/**
 * The median rate of each of `runs` over `rounds` rounds that alternate the order (as given in even
 * rounds, reversed in odd ones), `seconds` per run in all, after a warm-up of a tenth of that.
 *
 * @example
 * interleavedRates({ native: sign(nativeSignature), noble: sign(nobleSignature) }, 1, 5); // { native: 871, noble: 95 }
 */
export function interleavedRates<K extends string>(
  runs: Readonly<Partial<Record<K, () => unknown>>>,
  seconds: number,
  rounds: number,
): Partial<Record<K, number>> {
  const entries = (Object.entries(runs) as [K, (() => unknown) | undefined][]).flatMap(
    ([k, run]) => (run ? [[k, run] as const] : []),
  );
  for (const [, run] of entries) opsPerSecond(run, (seconds * 1000) / 10);
  const samples = new Map<K, number[]>(entries.map(([k]) => [k, []]));
  for (let round = 0; round < rounds; round++) {
    for (const [k, run] of round % 2 ? [...entries].reverse() : entries)
      samples.get(k)!.push(opsPerSecond(run, (seconds * 1000) / rounds));
  }
  const result: Partial<Record<K, number>> = {};
  for (const [k, values] of samples) result[k] = median(values);
  return result;
}

/**
 * A number derived from every result measured so far, to print once at the end: it keeps every call's
 * result observable.
 *
 * @example
 * process.stderr.write(`checksum ${resultChecksum()}\n`);
 */
export function resultChecksum(): number {
  return sink;
}

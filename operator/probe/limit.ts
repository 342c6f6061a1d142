/**
 * Bounds on promises: how many run at once (the handshake probe's `--probe-concurrency` and its status
 * writes; work waits in order of arrival, a rejection passes through to the caller and frees the slot),
 * and how long one is waited for ({@link deadline}, on an injected clock).
 *
 * @example
 * const limit = limiter(8);
 * const results = await Promise.all(endpoints.map((e) => limit(() => probeEndpoint(e, options))));
 */
import type { Clock } from "../runtime/clock.ts";

/**
 * A function that runs `work` once fewer than `max` others run.
 *
 * @example
 * const limit: Limit = limiter(2);
 */
export type Limit = <T>(work: () => Promise<T>) => Promise<T>;

/**
 * A {@link Limit} of `max` (a positive integer) at once.
 *
 * @example
 * await limiter(1)(() => Promise.resolve(42)); // 42
 */
export function limiter(max: number): Limit {
  if (!(Number.isInteger(max) && max >= 1))
    throw new RangeError("`max` must be a positive integer");
  let running = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    running--;
    waiting.shift()?.();
  };
  return async <T>(work: () => Promise<T>): Promise<T> => {
    if (running >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await work();
    } finally {
      release();
    }
  };
}

/**
 * `work`, or `late()` once `ms` pass on `clock` or `signal` aborts, whichever comes first: the probe's
 * bound on an endpoint whose probe does not settle. `work` goes on unwatched; its timer is cancelled
 * when it settles first.
 *
 * @example
 * await deadline(clock, 11_000, signal, probe(endpoint), () => silent);
 */
export function deadline<T>(
  clock: Clock,
  ms: number,
  signal: AbortSignal,
  work: Promise<T>,
  late: () => T,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const give = () => {
      timer.cancel();
      signal.removeEventListener("abort", give);
      resolve(late());
    };
    const timer = clock.setTimer(ms, give);
    signal.addEventListener("abort", give, { once: true });
    work.then(
      (value) => {
        timer.cancel();
        signal.removeEventListener("abort", give);
        resolve(value);
      },
      (error: Error) => {
        timer.cancel();
        signal.removeEventListener("abort", give);
        reject(error);
      },
    );
  });
}

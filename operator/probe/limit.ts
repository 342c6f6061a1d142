/**
 * A bound on how many promises run at once: the handshake probe's `--probe-concurrency` and its status
 * writes. Work waits in order of arrival; a rejection passes through to the caller and frees the slot.
 *
 * @example
 * const limit = limiter(8);
 * const results = await Promise.all(endpoints.map((e) => limit(() => probeEndpoint(e, options))));
 */

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

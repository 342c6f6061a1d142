/**
 * Capped exponential backoff, shared by the work queue (per-key retries) and the informer (restarts).
 *
 * @example
 * const policy = { baseMs: 1000, capMs: 300_000 };
 * backoffDelay(policy, 1); // 1000
 * backoffDelay(policy, 4); // 8000
 */

/**
 * How retries slow down: `baseMs` after the first failure, doubling with each further one, up to `capMs`.
 *
 * @example
 * const informerRestarts: BackoffPolicy = { baseMs: 1000, capMs: 30_000 };
 */
export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

/**
 * The delay before retry number `failures` (1 for the first failure).
 *
 * @example
 * backoffDelay({ baseMs: 1000, capMs: 300_000 }, 20); // 300000
 */
export function backoffDelay(policy: BackoffPolicy, failures: number): number {
  if (failures < 1) return 0;
  // 2 ** 60 milliseconds is far beyond any cap; stopping there keeps the arithmetic finite.
  return Math.min(policy.baseMs * 2 ** Math.min(failures - 1, 60), policy.capMs);
}

/**
 * Checks a backoff policy given by a caller, naming the bad field.
 *
 * @example
 * checkBackoff({ baseMs: 0, capMs: 10 }, "backoff"); // throws: `backoff.baseMs` must be ...
 */
export function checkBackoff(policy: BackoffPolicy, name: string): BackoffPolicy {
  if (!(Number.isFinite(policy.baseMs) && policy.baseMs > 0)) {
    throw new RangeError(`\`${name}.baseMs\` must be a positive number of milliseconds`);
  }
  if (!(Number.isFinite(policy.capMs) && policy.capMs >= policy.baseMs)) {
    throw new RangeError(`\`${name}.capMs\` must be at least \`${name}.baseMs\``);
  }
  return policy;
}

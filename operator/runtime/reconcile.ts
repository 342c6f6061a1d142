/**
 * The contract between a reconciler and the work queue that drives it: the function's shape, what it
 * may return, and the one error that stops retries. Reconcilers depend on this module, not on the queue.
 *
 * @example
 * const reconcile: Reconcile = async (key) => {
 *   const server = servers.get(key);
 *   if (!server) return;
 *   if (!valid(server)) throw new TerminalError("`spec.port` must name a container port");
 *   return { requeueAfter: 60_000 };
 * };
 */

/**
 * What a reconcile may ask for: nothing (done), or to run again after `requeueAfter` milliseconds
 * (time-driven work; the queue raises values below its minimum, see `queue.ts`).
 *
 * @example
 * const result: ReconcileResult = { requeueAfter: nextRotation.getTime() - now.getTime() };
 */
export type ReconcileResult = { requeueAfter?: number } | void;

/**
 * The function a queue drives; it receives only the key, never the event that queued it.
 *
 * @example
 * const reconcile: Reconcile = async (key) => ({ requeueAfter: 60_000 });
 */
export type Reconcile = (key: string) => Promise<ReconcileResult>;

/**
 * How one reconcile ended, for metrics: `success`, `requeue` (success with `requeueAfter`), `error`
 * (retried with backoff) or `terminal` (a {@link TerminalError}, not retried).
 *
 * @example
 * metrics.reconciles.inc({ controller: "mcpserver", result: outcome satisfies Outcome });
 */
export type Outcome = "success" | "requeue" | "error" | "terminal";

/**
 * An error that retrying cannot fix (an invalid spec). The reconciler reports it in a condition first;
 * the queue then does not retry the key until it is added again.
 *
 * @example
 * if (!allowed.includes(spec.kem.algorithm)) {
 *   throw new TerminalError(`\`spec.kem.algorithm\` must be one of ${allowed.join(", ")}`);
 * }
 */
export class TerminalError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TerminalError";
  }
}

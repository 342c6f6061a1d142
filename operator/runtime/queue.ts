/**
 * The keyed work queue between informers and a reconciler, with the semantics of client-go's workqueue
 * as controller-runtime uses it.
 *
 * Semantics:
 * - Keys, not events. `add(key)` of a key that is already queued does nothing: however many events arrive
 *   for one object before a worker is free, it is reconciled once, against the latest cache.
 * - One key is never reconciled concurrently. A key added while its reconcile runs is remembered and
 *   queued again when that reconcile ends, so the change behind the add is never missed.
 * - Up to `concurrency` different keys are reconciled at once, in the order they were queued.
 * - Outcome of a reconcile:
 *   - resolves with nothing: done; the key's failure count is reset.
 *   - resolves with `{ requeueAfter }`: done, and the key is queued again after that many milliseconds
 *     (time-driven work such as the next key rotation). A `requeueAfter` below `minRequeueAfterMs`
 *     (default 1 s) — including zero, negative and NaN — is raised to it: work whose moment has come runs
 *     again soon, never in a hot loop. Delays beyond `setTimeout`'s range are handled by the clock.
 *   - throws {@link TerminalError}: the object cannot be reconciled as it is (an invalid spec); it is not
 *     retried until something adds the key again (an edit of the object).
 *   - throws anything else: retried after a per-key exponential backoff (1 s, doubling to a 5 min cap by
 *     default), reset by the key's next success.
 * - Delayed adds (`addAfter`, requeues, retries): when a key already waits, the earliest time wins. A
 *   pending delayed add is not cancelled by an earlier reconcile of the key: reconciles are level-based
 *   and idempotent, so the worst case is one extra reconcile, never a lost one.
 * - Bounded: the queue holds at most `maxKeys` distinct keys (queued, in flight or waiting; default
 *   10 000). Because keys are deduplicated this is reached only when more objects than that need work at
 *   once, or a mapper runs away; then keys the queue does not already hold are dropped, counted in
 *   `stats().dropped`
 *   and reported to `hooks.onDropped`. Keys already held (including retries) are never dropped. The
 *   controller's periodic resync queues every object again, so a dropped key is reconciled later.
 *   Everything the queue keeps (ready, in flight, added again, waiting with one timer each, failure
 *   counts) is per held key, so its memory grows with the number of objects that need work, never with
 *   the number of events: a storm of updates to one object is one entry.
 * - Workers run only between `start()` and `pause()` (a controller pauses while it is not the leader);
 *   keys added meanwhile wait. `shutDown()` drains gracefully: reconciles in flight finish, nothing new
 *   starts, queued and delayed keys are discarded, later adds are ignored.
 *
 * @example
 * const queue = new WorkQueue(async (key) => reconcileServer(key), { concurrency: 2 });
 * queue.start();
 * queue.add("mcp/weather");
 * await queue.shutDown();
 */
import { logger, type Logger } from "../log.ts";
import { backoffDelay, checkBackoff, type BackoffPolicy } from "./backoff.ts";
import { realClock, type Clock, type Timer } from "./clock.ts";
import { TerminalError, type Outcome, type Reconcile, type ReconcileResult } from "./reconcile.ts";

// Reconcilers import these from here or from reconcile.ts alike.
export { TerminalError, type Outcome, type Reconcile, type ReconcileResult } from "./reconcile.ts";

/**
 * Callbacks for metrics; the queue holds no metrics registry of its own. Hooks must not throw.
 *
 * @example
 * const hooks: QueueHooks = {
 *   onReconciled: (_key, outcome, ms) => metrics.reconciles.inc({ controller, result: outcome }),
 * };
 */
export interface QueueHooks {
  /** After each reconcile: for reconcile counters and a duration histogram. */
  onReconciled?(key: string, outcome: Outcome, durationMs: number): void;
  /** When a key is dropped because the queue is full. */
  onDropped?(key: string): void;
}

/**
 * A point-in-time view of the queue, for gauges and tests.
 *
 * @example
 * metrics.queueDepth.set({ controller: "mcpserver" }, queue.stats().depth);
 */
export interface QueueStats {
  /** Keys queued and waiting for a worker (the usual "queue depth"). */
  depth: number;
  /** Keys scheduled for later (requeues, retries, `addAfter`). */
  waiting: number;
  /** Keys being reconciled now. */
  inFlight: number;
  /** Distinct keys held, the number bounded by `maxKeys`. */
  size: number;
  /** Keys dropped because the queue was full, since it was made. */
  dropped: number;
  /** Reconciles by outcome, since the queue was made. */
  reconciles: Record<Outcome, number>;
}

/**
 * Options of a {@link WorkQueue}; every field has a default.
 *
 * @example
 * const options: QueueOptions = { concurrency: 4, backoff: { baseMs: 1000, capMs: 300_000 } };
 */
export interface QueueOptions {
  /** Names the queue in logs (usually the controller's name). */
  name?: string;
  /** How many different keys may be reconciled at once; default 1. */
  concurrency?: number;
  /** Retry delays after errors; default 1 s doubling to 5 min. */
  backoff?: BackoffPolicy;
  /** The least `requeueAfter` honoured; default 1000 ms. */
  minRequeueAfterMs?: number;
  /** The most distinct keys held; default 10 000. */
  maxKeys?: number;
  clock?: Clock;
  log?: Logger;
  hooks?: QueueHooks;
}

const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1000, capMs: 5 * 60_000 };

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`\`${name}\` must be a positive integer`);
  return value;
}

/**
 * A deduplicating, per-key serialised, rate-limited work queue (see the module notes for semantics).
 *
 * @example
 * const queue = new WorkQueue(reconcile, { name: "mcpserver", hooks: { onReconciled: observe } });
 */
export class WorkQueue {
  private readonly reconcile: Reconcile;
  private readonly concurrency: number;
  private readonly backoff: BackoffPolicy;
  private readonly minRequeueAfterMs: number;
  private readonly maxKeys: number;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly hooks: QueueHooks;
  /** Keys ready for a worker, in insertion (FIFO) order. */
  private readonly ready = new Set<string>();
  private readonly inFlight = new Set<string>();
  /** Keys added again while in flight. */
  private readonly again = new Set<string>();
  private readonly waiting = new Map<string, { due: number; timer: Timer }>();
  /** Every key held in `ready`, `inFlight` or `waiting`. */
  private readonly members = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly drained: (() => void)[] = [];
  private readonly counts: Record<Outcome, number> = {
    success: 0,
    requeue: 0,
    error: 0,
    terminal: 0,
  };
  private dropped = 0;
  private full = false;
  private running = false;
  private closed = false;

  constructor(reconcile: Reconcile, options: QueueOptions = {}) {
    this.reconcile = reconcile;
    this.concurrency = positiveInteger(options.concurrency ?? 1, "concurrency");
    this.backoff = checkBackoff(options.backoff ?? DEFAULT_BACKOFF, "backoff");
    this.minRequeueAfterMs = options.minRequeueAfterMs ?? 1000;
    if (!(this.minRequeueAfterMs > 0)) throw new RangeError("`minRequeueAfterMs` must be positive");
    this.maxKeys = positiveInteger(options.maxKeys ?? 10_000, "maxKeys");
    this.clock = options.clock ?? realClock;
    this.log =
      options.log ?? logger.child({ component: "workqueue", queue: options.name ?? "default" });
    this.hooks = options.hooks ?? {};
  }

  /** Queues `key` now. Returns false if it was dropped (queue full or shut down). */
  add(key: string): boolean {
    if (!this.admit(key)) return false;
    if (this.inFlight.has(key)) this.again.add(key);
    else this.ready.add(key);
    this.pump();
    return true;
  }

  /** Queues `key` after `ms` milliseconds (now if `ms` <= 0); an earlier pending time for it wins. */
  addAfter(key: string, ms: number): boolean {
    if (!(ms > 0)) return this.add(key);
    if (!this.admit(key)) return false;
    const due = this.clock.now().getTime() + ms;
    const pending = this.waiting.get(key);
    if (pending && pending.due <= due) return true;
    pending?.timer.cancel();
    const timer = this.clock.setTimer(ms, () => {
      this.waiting.delete(key);
      this.add(key);
    });
    this.waiting.set(key, { due, timer });
    return true;
  }

  /** Lets workers take keys. Does nothing after `shutDown()`. */
  start(): void {
    if (this.closed) return;
    this.running = true;
    this.pump();
  }

  /** Stops workers from taking keys; resolves when reconciles in flight have finished. */
  pause(): Promise<void> {
    this.running = false;
    return this.whenDrained();
  }

  /** Stops for good: discards queued and delayed keys, lets reconciles in flight finish, then resolves. */
  shutDown(): Promise<void> {
    this.closed = true;
    this.running = false;
    for (const { timer } of this.waiting.values()) timer.cancel();
    this.waiting.clear();
    this.ready.clear();
    this.again.clear();
    this.failures.clear();
    this.members.clear();
    for (const key of this.inFlight) this.members.add(key);
    return this.whenDrained();
  }

  /** Counts for metrics. */
  stats(): QueueStats {
    return {
      depth: this.ready.size,
      waiting: this.waiting.size,
      inFlight: this.inFlight.size,
      size: this.members.size,
      dropped: this.dropped,
      reconciles: { ...this.counts },
    };
  }

  /** Checks whether `key` may enter the queue, and records it as held. */
  private admit(key: string): boolean {
    if (this.closed) return false;
    if (this.members.has(key)) return true;
    if (this.members.size >= this.maxKeys) {
      this.dropped++;
      if (!this.full) this.log.warn({ maxKeys: this.maxKeys }, "Dropped keys from full work queue");
      this.full = true;
      this.call(() => this.hooks.onDropped?.(key));
      return false;
    }
    this.full = false;
    this.members.add(key);
    return true;
  }

  private pump(): void {
    while (this.running && this.inFlight.size < this.concurrency) {
      const key = this.ready.values().next().value;
      if (key === undefined) return;
      this.ready.delete(key);
      this.inFlight.add(key);
      void this.process(key);
    }
  }

  private async process(key: string): Promise<void> {
    const started = performance.now();
    let outcome: Outcome;
    try {
      outcome = this.succeeded(key, await this.reconcile(key));
    } catch (error) {
      outcome = this.failed(key, error);
    }
    this.counts[outcome]++;
    this.inFlight.delete(key);
    if (this.again.delete(key)) this.ready.add(key);
    else if (!this.ready.has(key) && !this.waiting.has(key)) this.members.delete(key);
    this.call(() => this.hooks.onReconciled?.(key, outcome, performance.now() - started));
    if (this.inFlight.size === 0) for (const resolve of this.drained.splice(0)) resolve();
    this.pump();
  }

  private succeeded(key: string, result: ReconcileResult): Outcome {
    this.failures.delete(key);
    if (result?.requeueAfter === undefined) return "success";
    const ms = result.requeueAfter;
    this.addAfter(key, ms >= this.minRequeueAfterMs ? ms : this.minRequeueAfterMs);
    return "requeue";
  }

  private failed(key: string, error: unknown): Outcome {
    if (error instanceof TerminalError) {
      this.failures.delete(key);
      this.log.warn({ key, err: error }, "Stopped retrying key after terminal error");
      return "terminal";
    }
    const failures = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, failures);
    const retryInMs = backoffDelay(this.backoff, failures);
    this.log.error({ key, err: error, failures, retryInMs }, "Reconcile failed");
    this.addAfter(key, retryInMs);
    return "error";
  }

  private whenDrained(): Promise<void> {
    if (this.inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  private call(hook: () => void): void {
    try {
      hook();
    } catch (error) {
      this.log.error({ err: error }, "Work queue hook failed");
    }
  }
}

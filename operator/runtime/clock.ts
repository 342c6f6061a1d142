/**
 * Time as a dependency. Controllers, the work queue and leader election read the time and set timers
 * only through a {@link Clock}, so unit tests drive time with a {@link FakeClock} instead of sleeping.
 *
 * @example
 * const clock = new FakeClock(new Date("2030-01-01T00:00:00Z"));
 * clock.setTimer(1000, () => log.info("Fired timer"));
 * await clock.advance(1000);
 */

/**
 * A scheduled callback that can be cancelled; cancelling twice, or after it fired, does nothing.
 *
 * @example
 * const timer = clock.setTimer(renewDeadlineMs, () => stepDown());
 * timer.cancel(); // renewed in time
 */
export interface Timer {
  cancel(): void;
}

/**
 * The time source and timer factory every runtime component takes.
 *
 * @example
 * function expired(clock: Clock, notAfter: Date): boolean {
 *   return clock.now() >= notAfter;
 * }
 */
export interface Clock {
  /** The current time. */
  now(): Date;
  /** Calls `fn` once after `ms` milliseconds (negative or NaN counts as 0). */
  setTimer(ms: number, fn: () => void): Timer;
  /** Resolves after `ms` milliseconds, or early (without rejecting) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The longest delay `setTimeout` takes; longer ones fire at once (with a warning) unless split. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

function sleepWith(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      timer.cancel();
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = clock.setTimer(ms, done);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Wall-clock time and Node timers. Delays longer than `setTimeout` allows (about 24.8 days, which a
 * `requeueAfter` of a rotation period can exceed) are split into shorter timers instead of firing at once.
 *
 * @example
 * const queue = new WorkQueue(reconcile, { clock: realClock });
 */
export class RealClock implements Clock {
  now(): Date {
    return new Date();
  }

  setTimer(ms: number, fn: () => void): Timer {
    const due = Date.now() + (ms > 0 ? ms : 0);
    let handle: NodeJS.Timeout;
    const arm = () => {
      const left = due - Date.now();
      handle = setTimeout(
        left > MAX_TIMEOUT_MS ? arm : fn,
        Math.min(Math.max(left, 0), MAX_TIMEOUT_MS),
      );
    };
    arm();
    return { cancel: () => clearTimeout(handle) };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }
}

/**
 * The process-wide real clock; components use it unless given another.
 *
 * @example
 * const clock = options.clock ?? realClock;
 */
export const realClock: Clock = new RealClock();

interface Pending {
  due: number;
  seq: number;
  fn: () => void;
}

/**
 * A clock that moves only when told to. `advance` fires due timers in time order and lets promise chains
 * settle after each, so code under test that awaits between timers makes progress as it would in real time.
 *
 * @example
 * const clock = new FakeClock();
 * const slept = clock.sleep(5000);
 * await clock.advance(5000); // `slept` has resolved
 */
export class FakeClock implements Clock {
  private time: number;
  private seq = 0;
  private readonly timers = new Set<Pending>();
  private readonly waiters: { count: number; resolve: () => void }[] = [];

  constructor(start: Date = new Date("2030-01-01T00:00:00Z")) {
    this.time = start.getTime();
  }

  now(): Date {
    return new Date(this.time);
  }

  setTimer(ms: number, fn: () => void): Timer {
    const pending = { due: this.time + (ms > 0 ? ms : 0), seq: this.seq++, fn };
    this.timers.add(pending);
    for (const waiter of [...this.waiters])
      if (this.timers.size >= waiter.count) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    return { cancel: () => this.timers.delete(pending) };
  }

  /**
   * Resolves once at least `count` timers are waiting (at once if they already are): how a test waits
   * for code that runs on real I/O to reach its next sleep, without polling against a real-time deadline.
   *
   * @example
   * clock.setTimer(1000, tick);
   * await clock.whenTimers(1); // already true
   */
  whenTimers(count = 1): Promise<void> {
    if (this.timers.size >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }

  /** How many timers are waiting to fire. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, earliest first. */
  async advance(ms: number): Promise<void> {
    const until = this.time + ms;
    await settle();
    for (let next = this.earliest(until); next; next = this.earliest(until)) {
      this.timers.delete(next);
      this.time = next.due;
      next.fn();
      await settle();
    }
    this.time = until;
  }

  private earliest(until: number): Pending | undefined {
    let best: Pending | undefined;
    for (const t of this.timers) {
      if (t.due > until) continue;
      if (!best || t.due < best.due || (t.due === best.due && t.seq < best.seq)) best = t;
    }
    return best;
  }
}

/**
 * Resolves once promise callbacks queued so far have run (one macrotask turn).
 *
 * @example
 * queue.add("ns/a");
 * await settle(); // the reconcile of ns/a has started
 */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

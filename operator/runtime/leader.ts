/**
 * Leader election on a `coordination.k8s.io/v1` Lease, with client-go's semantics and cert-manager's
 * default timings (lease 60 s, renew deadline 40 s, retry 15 s). Decisions are in `lease-decision.ts`;
 * this module reads and writes the Lease and keeps time.
 *
 * - A candidate reads the Lease every `retryPeriod` (with client-go's jitter, up to 2.2x), creates it if
 *   missing, and takes it when it is free or has not changed for its `leaseDurationSeconds`. Every write
 *   carries the resourceVersion it read, so of two candidates racing only one succeeds (409 Conflict).
 * - The leader renews every `retryPeriod`. If no renewal succeeds for `renewDeadline` (a hanging API
 *   server, a partition) it stops leading, without waiting for the request; it also stops at once if it
 *   sees another holder. Others take over only `leaseDuration` after the last renewal they saw, so the
 *   gap `leaseDuration - renewDeadline` is what in-flight work has to finish.
 * - `stop()` stops leading first (awaiting `onStoppedLeading`, where controllers drain their workers) and
 *   then releases the Lease (no holder, 1 s duration), so the next candidate takes over at its next
 *   attempt, with no overlap. A process that dies without `stop()` is replaced after the lease expires.
 * - After losing the lease (not after `stop()`), the elector campaigns again.
 *
 * @example
 * const elector = new LeaderElector(kc, { namespace: "latticeguard-system", name: "latticeguard" });
 * elector.subscribe({ onStartedLeading: () => queue.start(), onStoppedLeading: () => queue.pause() });
 * elector.start();
 * process.once("SIGTERM", () => void elector.stop());
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { KubeConfig } from "@kubernetes/client-node";
import { logger, type Logger } from "../log.ts";
import { realClock, type Clock, type Timer } from "./clock.ts";
import { LeaseClient, isConflict } from "./lease-client.ts";
import { decideLease, releasedRecord, type LeaseRecord } from "./lease-decision.ts";

/**
 * What a component does when this replica starts or stops leading; may be async. The elector awaits
 * `onStoppedLeading` before it releases the Lease, so work can drain first.
 *
 * @example
 * const callbacks: LeaderCallbacks = { onStartedLeading: () => queue.start(), onStoppedLeading: () => queue.pause() };
 */
export interface LeaderCallbacks {
  onStartedLeading?(): void | Promise<void>;
  onStoppedLeading?(): void | Promise<void>;
}

/**
 * Where the Lease lives, who we are, and the timings (milliseconds; each defaults to
 * {@link LEADER_ELECTION_DEFAULTS}). Needs `leaseDuration > renewDeadline > 1.2 x retryPeriod`.
 *
 * @example
 * const options: LeaderElectionOptions = { namespace: "latticeguard-system", name: "latticeguard" };
 */
export interface LeaderElectionOptions extends LeaderCallbacks {
  namespace: string;
  name: string;
  /** Unique per replica; default `<hostname>_<random UUID>`. */
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  clock?: Clock;
  log?: Logger;
  /** Source of jitter, for tests; default `Math.random`. */
  random?: () => number;
}

/**
 * cert-manager's defaults (milliseconds): a crashed leader is replaced within about a minute, and a
 * healthy one writes the Lease only every 15 s.
 *
 * @example
 * const renewDeadlineMs = flags.renewDeadlineMs ?? LEADER_ELECTION_DEFAULTS.renewDeadlineMs;
 */
export const LEADER_ELECTION_DEFAULTS = {
  leaseDurationMs: 60_000,
  renewDeadlineMs: 40_000,
  retryPeriodMs: 15_000,
} as const;

/** client-go's jitter factor for retries while not leading. */
const JITTER = 1.2;

function checkTimings(lease: number, renew: number, retry: number): void {
  if (!(retry > 0)) throw new RangeError("`retryPeriodMs` must be positive");
  if (!(renew > retry * JITTER))
    throw new RangeError("`renewDeadlineMs` must exceed 1.2 x `retryPeriodMs`");
  if (!(lease > renew)) throw new RangeError("`leaseDurationMs` must exceed `renewDeadlineMs`");
  if (lease % 1000 !== 0) throw new RangeError("`leaseDurationMs` must be whole seconds");
}

/**
 * Elects one leader among the replicas that share a Lease (see the module notes).
 *
 * @example
 * const elector = new LeaderElector(kc, {
 *   namespace, name: "latticeguard", onStartedLeading: () => log.info("Started leading"),
 * });
 */
export class LeaderElector {
  readonly identity: string;
  private readonly lease: LeaseClient;
  private readonly leaseSeconds: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly random: () => number;
  private readonly subscribers = new Set<LeaderCallbacks>();
  private readonly halt = new AbortController();
  private leading = false;
  private started = false;
  private stopping: Promise<void> | undefined;
  private loop: Promise<void> = Promise.resolve();
  private deadline: Timer | undefined;
  private observedKey = "";
  private observedAt = new Date(0);
  private transitions: Promise<void> = Promise.resolve();

  constructor(kc: KubeConfig, options: LeaderElectionOptions) {
    const leaseDurationMs = options.leaseDurationMs ?? LEADER_ELECTION_DEFAULTS.leaseDurationMs;
    const renewDeadlineMs = options.renewDeadlineMs ?? LEADER_ELECTION_DEFAULTS.renewDeadlineMs;
    const retryPeriodMs = options.retryPeriodMs ?? LEADER_ELECTION_DEFAULTS.retryPeriodMs;
    checkTimings(leaseDurationMs, renewDeadlineMs, retryPeriodMs);
    // A request that outlasts the renew deadline cannot keep the lease anyway.
    this.lease = new LeaseClient(kc, options, renewDeadlineMs);
    this.identity = options.identity ?? `${hostname()}_${randomUUID()}`;
    this.leaseSeconds = leaseDurationMs / 1000;
    this.renewDeadlineMs = renewDeadlineMs;
    this.retryPeriodMs = retryPeriodMs;
    this.clock = options.clock ?? realClock;
    this.random = options.random ?? Math.random;
    this.log = (options.log ?? logger).child({
      component: "leader-election",
      lease: `${options.namespace}/${options.name}`,
      identity: this.identity,
    });
    if (options.onStartedLeading || options.onStoppedLeading) this.subscribers.add(options);
  }

  /** Whether this replica leads now. */
  get isLeader(): boolean {
    return this.leading;
  }

  /** Adds callbacks (called at once if already leading); returns the function that removes them. */
  subscribe(callbacks: LeaderCallbacks): () => void {
    this.subscribers.add(callbacks);
    if (this.leading) this.notify("onStartedLeading", [callbacks]);
    return () => this.subscribers.delete(callbacks);
  }

  /** Starts campaigning. Calling it again, or after {@link stop}, does nothing. */
  start(): void {
    if (this.started || this.stopping) return;
    this.started = true;
    this.loop = this.run();
  }

  /** Stops campaigning; if leading, stops leading (awaiting the callbacks) and releases the Lease. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.halt.abort();
      await this.loop;
      this.lose("elector stopped", "info");
      await this.transitions;
      if (this.started) await this.release();
    })();
    return this.stopping;
  }

  private async run(): Promise<void> {
    while (!this.halt.signal.aborted) {
      const started = this.clock.now();
      if (await this.tryAcquireOrRenew(started)) this.renewed(started);
      if (this.halt.signal.aborted) return;
      const jitter = this.leading ? 1 : 1 + this.random() * JITTER;
      await this.clock.sleep(this.retryPeriodMs * jitter, this.halt.signal);
    }
  }

  /** Reads the Lease, decides, and writes it if ours to write. True if we hold it now. */
  private async tryAcquireOrRenew(now: Date): Promise<boolean> {
    try {
      const read = await this.lease.read(this.halt.signal);
      const observedAt = this.observe(read?.record, now);
      const decision = decideLease({
        current: read?.record,
        observedAt,
        now,
        identity: this.identity,
        leaseDurationSeconds: this.leaseSeconds,
      });
      if (decision.kind === "held") {
        this.lose(`lease is held by ${decision.holder}`);
        return false;
      }
      const written = await this.lease.write(read, decision.record, this.halt.signal);
      this.observe(written.record, this.clock.now());
      if (decision.kind === "acquire") this.log.debug("Acquired leader lease");
      return true;
    } catch (error) {
      if (this.halt.signal.aborted) return false;
      if (isConflict(error)) this.log.debug("Lost race for leader lease");
      else this.log.warn({ err: error }, "Leader lease update failed");
      return false;
    }
  }

  private renewed(attemptStarted: Date): void {
    this.deadline?.cancel();
    const left = attemptStarted.getTime() + this.renewDeadlineMs - this.clock.now().getTime();
    this.deadline = this.clock.setTimer(left, () => this.lose("renew deadline passed"));
    if (this.leading) return;
    this.leading = true;
    this.log.info("Started leading");
    this.notify("onStartedLeading");
  }

  private lose(reason: string, level: "info" | "warn" = "warn"): void {
    this.deadline?.cancel();
    this.deadline = undefined;
    if (!this.leading) return;
    this.leading = false;
    this.log[level]({ reason }, "Stopped leading");
    this.notify("onStoppedLeading");
  }

  /** Runs callbacks in order, one transition after the other; a failing callback is logged. */
  private notify(which: keyof LeaderCallbacks, targets = [...this.subscribers]): void {
    this.transitions = this.transitions.then(async () => {
      for (const callbacks of targets) {
        try {
          await callbacks[which]?.();
        } catch (error) {
          this.log.error({ err: error, callback: which }, "Leader election callback failed");
        }
      }
    });
  }

  /** When we first saw the record as it is; client-go's `observedTime`. */
  private observe(record: LeaseRecord | undefined, now: Date): Date {
    const key = record ? JSON.stringify(record) : "";
    if (key !== this.observedKey) [this.observedKey, this.observedAt] = [key, now];
    return this.observedAt;
  }

  private async release(): Promise<void> {
    try {
      const read = await this.lease.read();
      if (read?.record.holderIdentity !== this.identity) return;
      await this.lease.write(read, releasedRecord(read.record, this.clock.now()));
      this.log.info("Released leader lease");
    } catch (error) {
      this.log.warn({ err: error }, "Leader lease release failed");
    }
  }
}

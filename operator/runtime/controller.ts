/**
 * A controller: informers feed object keys into one work queue, and workers run the reconcile function
 * on them. It is where the runtime's parts meet, and where their lifecycles are ordered:
 *
 * - Events become keys. The reconciler receives a key, never an event type: a watched object's own key,
 *   or keys a mapper derives from another kind's object (a CryptoPolicy change queues every MCPServer;
 *   a child Secret queues its owner), so cross-kind triggers need no special path.
 * - Workers start only when every source has synced (a reconcile against a half-filled cache would act
 *   on objects it believes missing), and, with a leader elector, only while this replica leads; losing
 *   the lease pauses them, and the elector awaits the drain before it releases the Lease.
 * - Every `resyncPeriodMs` (10 h by default, as controller-runtime) every object of the sources watched
 *   without a mapper is queued again: a safety net for keys the bounded queue dropped.
 * - Sources may be shared between controllers, so a controller starts them (`start()` is idempotent)
 *   but never stops them; their owner stops them after the controllers.
 * - Fan-out is kept in proportion. A mapper can be wrapped in {@link whenChanged}, so that only changes to
 *   what the target reads pass (a CryptoPolicy's spec, not its status: the policy controller's own
 *   coverage writes must not reconcile every MCPServer), and a source can be watched with `delayMs`, so
 *   that a burst of changes becomes one reconcile per key at most every `delayMs` (the queue keeps the
 *   earliest pending time of a key): a CryptoPolicy's coverage is recomputed at most once a second
 *   however many of its 5,000 MCPServers change.
 *
 * @example
 * const controller = new Controller({ name: "mcpserver", reconcile, leader: elector });
 * controller.watch(servers);
 * controller.watch(policies, allKeysOf(servers));
 * controller.start();
 * // on shutdown
 * await controller.stop();
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import { logger, type Logger } from "../log.ts";
import { realClock, type Clock, type Timer } from "./clock.ts";
import { refKey } from "./key.ts";
import type { LeaderCallbacks } from "./leader.ts";
import { WorkQueue, type QueueOptions, type QueueStats, type Reconcile } from "./queue.ts";

/**
 * What a controller needs from an informer; {@link Informer} is one. Unit tests pass a fake source.
 *
 * @example
 * const source: Source<MCPServer> = new Informer<MCPServer>(kc, { resource });
 */
export interface Source<T = KubernetesObject> {
  readonly synced: boolean;
  whenSynced(): Promise<void>;
  onChange(handler: (key: string, obj: T) => void): () => void;
  keys(): string[];
  start(): void;
}

/**
 * What a controller needs from leader election; {@link LeaderElector} is one.
 *
 * @example
 * const gate: LeaderGate = new LeaderElector(kc, { namespace, name: "latticeguard" });
 */
export interface LeaderGate {
  subscribe(callbacks: LeaderCallbacks): () => void;
}

/**
 * Turns a changed object of one kind into the keys to reconcile (of the controller's own kind).
 *
 * @example
 * const sameNamespace: KeyMapper<V1Pod> = (_key, pod) =>
 *   servers.keys().filter((key) => key.startsWith(`${pod.metadata?.namespace}/`));
 */
export type KeyMapper<T> = (key: string, obj: T) => Iterable<string>;

/**
 * How a watched source's changes are queued.
 *
 * @example
 * controller.watch(servers, allKeysOf(policies), { delayMs: 1000 });
 */
export interface WatchOptions {
  /**
   * Queue the keys this long after the change instead of at once; further changes meanwhile add
   * nothing (the pending time stands), so bursts are coalesced. Default 0: at once.
   */
  delayMs?: number;
}

/**
 * A controller's reconcile function and how to run it.
 *
 * @example
 * const options: ControllerOptions = { name: "mcpserver", reconcile, leader, queue: { concurrency: 4 } };
 */
export interface ControllerOptions {
  /** Names the controller in logs, e.g. "mcpserver". */
  name: string;
  reconcile: Reconcile;
  /** Run workers only while this elector leads; omit to run them always. */
  leader?: LeaderGate;
  /** Concurrency, backoff, bound and metrics hooks of the work queue. */
  queue?: Omit<QueueOptions, "name" | "clock" | "log">;
  /** How often to queue every object again; default 10 h, 0 to never. */
  resyncPeriodMs?: number;
  clock?: Clock;
  log?: Logger;
}

const TEN_HOURS_MS = 10 * 60 * 60 * 1000;

/**
 * Drives one reconcile function from informer events (see the module notes).
 *
 * @example
 * const controller = new Controller({ name: "cryptopolicy", reconcile: reconcilePolicy });
 * controller.watch(policies).start();
 */
export class Controller {
  readonly name: string;
  private readonly queue: WorkQueue;
  private readonly leader: LeaderGate | undefined;
  private readonly resyncPeriodMs: number;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly sources: {
    source: Source<never>;
    map?: KeyMapper<never>;
    delayMs: number;
  }[] = [];
  private readonly cleanups: (() => void)[] = [];
  private resync: Timer | undefined;
  private started = false;
  private stopped = false;

  constructor(options: ControllerOptions) {
    this.name = options.name;
    this.leader = options.leader;
    this.resyncPeriodMs = options.resyncPeriodMs ?? TEN_HOURS_MS;
    this.clock = options.clock ?? realClock;
    this.log = (options.log ?? logger).child({ controller: options.name });
    this.queue = new WorkQueue(options.reconcile, {
      ...options.queue,
      name: options.name,
      clock: this.clock,
      log: this.log,
    });
  }

  /** Reconciles the keys of `source`'s objects, or the keys `map` derives from them. Before `start()`. */
  watch<T>(source: Source<T>, map?: KeyMapper<T>, options: WatchOptions = {}): this {
    if (this.started)
      throw new Error(`Controller "${this.name}" must get its sources before start()`);
    const delayMs = options.delayMs ?? 0;
    if (!(delayMs >= 0)) throw new RangeError("`delayMs` must be zero or positive");
    this.sources.push({ source, map, delayMs } as (typeof this.sources)[number]);
    return this;
  }

  /** True once every source has synced: for `/readyz`. */
  get synced(): boolean {
    return this.sources.every(({ source }) => source.synced);
  }

  /** The work queue's counts, for metrics. */
  stats(): QueueStats {
    return this.queue.stats();
  }

  /** Subscribes to the sources and starts them; workers follow once synced (and leading). */
  start(): this {
    if (this.started) return this;
    this.started = true;
    for (const { source, map, delayMs } of this.sources) {
      this.cleanups.push(source.onChange((key, obj) => this.enqueue(key, obj, map, delayMs)));
      source.start();
    }
    void Promise.all(this.sources.map(({ source }) => source.whenSynced())).then(() =>
      this.synced_(),
    );
    return this;
  }

  /** Stops for good: no new reconciles start, and resolves once those in flight have finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.resync?.cancel();
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    await this.queue.shutDown();
    this.log.info("Stopped controller");
  }

  private synced_(): void {
    if (this.stopped) return;
    this.log.info("Synced controller caches");
    this.scheduleResync();
    if (!this.leader) {
      this.queue.start();
      return;
    }
    this.cleanups.push(
      this.leader.subscribe({
        onStartedLeading: () => this.queue.start(),
        onStoppedLeading: () => this.queue.pause(),
      }),
    );
  }

  private enqueue(
    key: string,
    obj: never,
    map: KeyMapper<never> | undefined,
    delayMs: number,
  ): void {
    const add = (k: string) => (delayMs > 0 ? this.queue.addAfter(k, delayMs) : this.queue.add(k));
    if (!map) {
      add(key);
      return;
    }
    try {
      for (const mapped of map(key, obj)) add(mapped);
    } catch (error) {
      this.log.error({ err: error, key }, "Key mapper failed");
    }
  }

  private scheduleResync(): void {
    if (!(this.resyncPeriodMs > 0) || this.stopped) return;
    this.resync = this.clock.setTimer(this.resyncPeriodMs, () => {
      for (const { source, map } of this.sources)
        if (!map) for (const key of source.keys()) this.queue.add(key);
      this.scheduleResync();
    });
  }
}

/**
 * A mapper that answers any change with every key of `target`: a CryptoPolicy change can affect every
 * MCPServer, so all are reconciled.
 *
 * @example
 * controller.watch(policies, allKeysOf(servers));
 */
export function allKeysOf(target: Pick<Source, "keys">): KeyMapper<unknown> {
  return () => target.keys();
}

/**
 * A mapper from a child object to the keys of its owners of `kind` (same namespace): a change to the
 * Secret `<name>-kem` reconciles the MCPServer that owns it.
 *
 * @example
 * controller.watch(secrets, ownerKeysOf("MCPServer"));
 */
export function ownerKeysOf(kind: string): KeyMapper<KubernetesObject> {
  return (_key, obj) =>
    (obj.metadata?.ownerReferences ?? [])
      .filter((ref) => ref.kind === kind)
      .map((ref) => refKey({ namespace: obj.metadata?.namespace, name: ref.name }));
}

/**
 * Passes a change on to `map` only when it changes what the target reads: `fingerprint(obj)` differs
 * from the one last seen for that key, or the object has left `source` (deleted). The first sight of an
 * object always passes. Changes that leave the fingerprint alone (a status write, a resourceVersion)
 * queue nothing.
 *
 * @example
 * // A CryptoPolicy's status changes with every coverage count; only its spec concerns MCPServers.
 * controller.watch(policies, whenChanged(policies, specFingerprint, allKeysOf(servers)));
 */
export function whenChanged<T extends KubernetesObject>(
  source: { get(key: string): T | undefined },
  fingerprint: (obj: T) => string,
  map: KeyMapper<T>,
): KeyMapper<T> {
  const seen = new Map<string, string>();
  return (key, obj) => {
    if (source.get(key) === undefined) {
      seen.delete(key);
      return map(key, obj);
    }
    const print = fingerprint(obj);
    if (seen.get(key) === print) return [];
    seen.set(key, print);
    return map(key, obj);
  };
}

/**
 * The fingerprint of what a controller reads from an object's spec: `metadata.generation` (which the API
 * server increments on every spec change of a resource with a status subresource), with the deletion
 * timestamp.
 *
 * @example
 * specFingerprint({ metadata: { generation: 3 } }); // "3|"
 */
export function specFingerprint(obj: KubernetesObject): string {
  const deleting = obj.metadata?.deletionTimestamp;
  return `${obj.metadata?.generation ?? ""}|${deleting ? String(deleting) : ""}`;
}

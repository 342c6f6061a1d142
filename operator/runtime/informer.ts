/**
 * The informer: a cache of one resource kept current by list+watch, which tells its subscribers the key
 * of every object that was added, changed or deleted. It owns resilience, so reconcilers never touch a
 * watch. Built on client-node's `ListWatch` (what `makeInformer` returns), which handles on its own:
 * relisting when the API server answers 410 Gone (an expired resourceVersion, as an HTTP status or as an
 * ERROR event), reconnecting when its 30 s inactivity timeout fires, and delete events for objects that
 * vanished while it was disconnected. What this wrapper adds:
 *
 * - Restart on any other error. `ListWatch` stops for good on every other error (a failed list, a reset
 *   connection, a 5xx); this informer starts it again after a capped exponential backoff (1 s doubling
 *   to 30 s by default), reset once a restart lists and connects. The restart resumes from the last
 *   resourceVersion; if that has expired meanwhile the server says 410 and `ListWatch` relists.
 * - A clean stop. `ListWatch.stop()` reports an abort error to its error handlers, and can leave a watch
 *   open when called during a list or connect; errors after `stop()` are ignored and {@link GuardedWatch}
 *   aborts whatever is still open.
 * - Objects as the API server sent them, from the list and from the watch alike (see `resource.ts`),
 *   less what `transform` drops, and handlers that receive keys and cannot break the informer by
 *   throwing.
 * - `synced`: true once the first list has filled the cache and the watch connected, for `/readyz`.
 * - Lean objects. Every object passes through `transform` before it is cached, from the list and from the
 *   watch alike (as client-go's `SetTransform`): by default {@link stripManagedFields} drops
 *   `metadata.managedFields` and kubectl's last-applied annotation, which no reconciler reads and which
 *   can outweigh the rest of a small object; {@link metadataOnly} keeps just the metadata (pods, of
 *   which the operator reads labels and annotations only).
 * - One namespace at a time: `inNamespace(ns)` reads the objects of one namespace from the store,
 *   which keeps them by namespace, without visiting the others.
 *
 * @example
 * const servers = new Informer<MCPServer>(kc, {
 *   resource: { apiVersion: "latticeguard.dev/v1alpha1", plural: "mcpservers" },
 * });
 * servers.onChange((key) => queue.add(key));
 * servers.start();
 */
import {
  ListWatch,
  type KubeConfig,
  type KubernetesObject,
  type Watch,
} from "@kubernetes/client-node";
import { logger, type Logger } from "../log.ts";
import { backoffDelay, checkBackoff, type BackoffPolicy } from "./backoff.ts";
import { realClock, type Clock, type Timer } from "./clock.ts";
import { GuardedWatch } from "./guarded-watch.ts";
import { objectKey, parseKey } from "./key.ts";
import { listJson, resourcePath, type ResourceType } from "./resource.ts";

/**
 * Called with the key (and latest, or last known, object) of each added, changed or deleted object. It
 * is told that something changed, never what: the reconciler reads the cache for the current state.
 *
 * @example
 * const handler: ChangeHandler<MCPServer> = (key) => queue.add(key);
 */
export type ChangeHandler<T> = (key: string, obj: T) => void;

/**
 * Callbacks for metrics and tests; the informer holds no metrics registry. Hooks must not throw.
 *
 * @example
 * const hooks: InformerHooks = { onRestartScheduled: () => metrics.informerRestarts.inc({ resource }) };
 */
export interface InformerHooks {
  /** After every successful list (the first, and each relist), with the number of objects. */
  onListed?(count: number): void;
  /** When the informer failed and will restart after `delayMs`. */
  onRestartScheduled?(delayMs: number, error: unknown): void;
}

/**
 * What to watch, and how to recover.
 *
 * @example
 * const options: InformerOptions = {
 *   resource: { apiVersion: "v1", plural: "secrets" },
 *   labelSelector: "app.kubernetes.io/managed-by=latticeguard",
 * };
 */
export interface InformerOptions<T extends KubernetesObject = KubernetesObject> {
  resource: ResourceType;
  /** Only this namespace; omit for cluster-scoped resources or all namespaces. */
  namespace?: string;
  /** Only objects with these labels, e.g. `app.kubernetes.io/managed-by=latticeguard`. */
  labelSelector?: string;
  /**
   * Only objects whose fields match, e.g. `metadata.name=mcp-demo`: a list and watch of one object by
   * name, which RBAC authorizes with `resourceNames` where it would refuse the whole collection.
   */
  fieldSelector?: string;
  /** Delay between restarts after errors; default 1 s doubling to 30 s. */
  backoff?: BackoffPolicy;
  clock?: Clock;
  log?: Logger;
  hooks?: InformerHooks;
  /**
   * Applied to every object before it is cached or handed to handlers; must return an object with the
   * same namespace, name and resourceVersion. Default {@link stripManagedFields}.
   */
  transform?: (obj: T) => T;
}

/** kubectl's client-side apply annotation: a full copy of the object as last applied. */
const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

/**
 * The object without `metadata.managedFields` and kubectl's last-applied annotation (both bookkeeping
 * of the API server and kubectl, and often the larger part of a small object). The default transform.
 *
 * @example
 * const lean = stripManagedFields(await readSecret()); // lean.metadata.managedFields === undefined
 */
export function stripManagedFields<T extends KubernetesObject>(obj: T): T {
  const metadata = obj.metadata;
  if (!metadata || (!metadata.managedFields && !metadata.annotations?.[LAST_APPLIED])) return obj;
  const { managedFields: _managed, ...rest } = metadata;
  if (rest.annotations?.[LAST_APPLIED]) {
    const { [LAST_APPLIED]: _applied, ...annotations } = rest.annotations;
    rest.annotations = annotations;
  }
  return { ...obj, metadata: rest };
}

/**
 * Only `apiVersion`, `kind` and the lean metadata of the object: for kinds of which only labels,
 * annotations and names are read.
 *
 * @example
 * new Informer<V1Pod>(kc, { resource: { apiVersion: "v1", plural: "pods" }, transform: metadataOnly });
 */
export function metadataOnly<T extends KubernetesObject>(obj: T): T {
  const { apiVersion, kind, metadata } = stripManagedFields(obj);
  return { apiVersion, kind, metadata } as T;
}

const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1000, capMs: 30_000 };

/**
 * A self-healing cache of one resource (see the module notes).
 *
 * @example
 * const configMaps = new Informer<V1ConfigMap>(kc, {
 *   resource: { apiVersion: "v1", plural: "configmaps" },
 *   namespace: "latticeguard-system",
 *   labelSelector: "latticeguard.dev/trust-bundle=true",
 * });
 */
export class Informer<T extends KubernetesObject> {
  /** The collection path, which also names the informer in logs. */
  readonly path: string;
  private readonly watch: GuardedWatch;
  private readonly lw: ListWatch<T>;
  private readonly backoff: BackoffPolicy;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly hooks: InformerHooks;
  private readonly handlers = new Set<ChangeHandler<T>>();
  private readonly syncWaiters: (() => void)[] = [];
  private started = false;
  private stopped = false;
  private isSynced = false;
  private errors = 0;
  private failures = 0;
  private restart: Timer | undefined;

  constructor(kc: KubeConfig, options: InformerOptions<T>) {
    this.path = resourcePath(options.resource, options.namespace);
    this.backoff = checkBackoff(options.backoff ?? DEFAULT_BACKOFF, "backoff");
    this.clock = options.clock ?? realClock;
    this.log = options.log ?? logger.child({ component: "informer", path: this.path });
    this.hooks = options.hooks ?? {};
    this.watch = new GuardedWatch(kc);
    const { labelSelector, fieldSelector } = options;
    const transform = options.transform ?? stripManagedFields;
    const list = async () => {
      const result = await listJson<T>(kc, this.path, { labelSelector, fieldSelector });
      this.call(() => this.hooks.onListed?.(result.items.length));
      return { ...result, items: result.items.map(transform) };
    };
    this.lw = new ListWatch<T>(
      this.path,
      transformed(this.watch, transform),
      list,
      false,
      labelSelector,
      fieldSelector,
    );
    for (const verb of ["add", "update", "delete"] as const)
      this.lw.on(verb, (obj) => this.emit(obj));
    this.lw.on("error", (error) => this.failed(error));
  }

  /** True once the first list has filled the cache (and stays true through restarts). */
  get synced(): boolean {
    return this.isSynced;
  }

  /** The resourceVersion the cache reflects (of the last list, event or bookmark); empty before. */
  get resourceVersion(): string {
    return this.lw.latestResourceVersion();
  }

  /** Resolves once {@link synced} is true. */
  whenSynced(): Promise<void> {
    if (this.isSynced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /** The cached object with this key (`namespace/name` or `name`). */
  get(key: string): T | undefined {
    const { namespace, name } = parseKey(key);
    return this.lw.get(name, namespace);
  }

  /** Every cached object. */
  list(): T[] {
    // ListWatch builds a new array on every call: nothing here aliases the store.
    return this.lw.list() as T[];
  }

  /** Every cached object in `namespace` (read from the store's per-namespace map, not filtered). */
  inNamespace(namespace: string): T[] {
    return namespace ? (this.lw.list(namespace) as T[]) : [];
  }

  /** The keys of every cached object. */
  keys(): string[] {
    return this.lw.list().map((obj) => objectKey(obj));
  }

  /** Subscribes to changes; returns the function that unsubscribes. */
  onChange(handler: ChangeHandler<T>): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** Lists, then watches, restarting on errors until {@link stop}. Calling it again does nothing. */
  start(): void {
    if (this.started) return;
    this.started = true;
    void this.run();
  }

  /**
   * Stops watching and cancels a pending restart; no handler is called afterwards. The cache keeps its
   * last contents. An informer is started once: make a new one to watch again.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.restart?.cancel();
    await this.lw.stop();
    this.watch.close();
  }

  private async run(): Promise<void> {
    this.restart = undefined;
    if (this.stopped) return;
    const errorsBefore = this.errors;
    await this.lw.start().catch((error: unknown) => this.failed(error));
    if (this.stopped || this.errors !== errorsBefore) return;
    this.failures = 0;
    if (this.isSynced) {
      this.log.info("Restarted informer");
      return;
    }
    this.isSynced = true;
    this.log.info({ objects: this.lw.list().length }, "Synced informer cache");
    for (const resolve of this.syncWaiters.splice(0)) resolve();
  }

  private failed(error: unknown): void {
    // After stop(), ListWatch reports the abort of its own request as an error: not a failure.
    if (this.stopped) return;
    this.errors++;
    if (this.restart) return;
    this.failures++;
    const delayMs = backoffDelay(this.backoff, this.failures);
    this.log.warn({ err: error, failures: this.failures, retryInMs: delayMs }, "Informer failed");
    this.call(() => this.hooks.onRestartScheduled?.(delayMs, error));
    this.restart = this.clock.setTimer(delayMs, () => void this.run());
  }

  private emit(obj: T): void {
    if (this.stopped) return;
    const key = objectKey(obj);
    for (const handler of this.handlers) this.call(() => handler(key, obj));
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.log.error({ err: error }, "Informer handler failed");
    }
  }
}

/**
 * A watch whose added, modified and deleted objects pass through `transform` before `ListWatch` caches
 * them; bookmarks and errors (a `Status`, whose `code` tells a 410) pass unchanged.
 */
function transformed<T>(watch: GuardedWatch, transform: (obj: T) => T): Watch {
  const wrapper: Pick<Watch, "watch"> = {
    watch: (path, params, callback, done) =>
      watch.watch(
        path,
        params,
        (phase, obj: T, raw) =>
          callback(
            phase,
            phase === "ADDED" || phase === "MODIFIED" || phase === "DELETED" ? transform(obj) : obj,
            raw,
          ),
        done,
      ),
  };
  return wrapper as Watch;
}

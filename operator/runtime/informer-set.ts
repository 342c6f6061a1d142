/**
 * One resource watched in a fixed set of namespaces, read as one cache: an informer per namespace behind
 * the interface of one. It exists for namespace-scoped installs (`--watch-namespaces`), where RBAC grants
 * the operator its Secrets, ConfigMaps, pods and MCPServers in those namespaces only, so a cluster-wide
 * list would be refused; for the cluster-scoped Namespaces themselves, each member watches the namespace
 * of its name (a field selector), which RBAC can grant by `resourceNames`.
 *
 * Members are keyed by namespace and never overlap, so every read goes to one member: `get` to the member
 * of the key's namespace (or, for a cluster-scoped key, of its name), `inNamespace` to the member of that
 * namespace. The set is synced once every member is; each member recovers on its own (see informer.ts).
 *
 * @example
 * const secrets = new InformerSet(
 *   new Map(["mcp-a", "mcp-b"].map((ns) => [ns, new Informer<V1Secret>(kc, { resource, namespace: ns })])),
 * );
 * secrets.start();
 * secrets.inNamespace("mcp-a");
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import type { NamespacedCache } from "../kube/cache.ts";
import type { Source } from "./controller.ts";
import { parseKey } from "./key.ts";

/**
 * What the operator watches and reads through: an {@link Informer}, or an {@link InformerSet} of them.
 *
 * @example
 * const pods: WatchedCache<V1Pod> = scoped ? new InformerSet(members) : new Informer(kc, options);
 */
export interface WatchedCache<T> extends Source<T>, NamespacedCache<T> {
  stop(): Promise<void>;
}

/**
 * Informers of one resource, one per namespace, as one cache (see the module notes).
 *
 * @example
 * const namespaces = new InformerSet(new Map([["mcp-a", informerOfNamespace("mcp-a")]]));
 * namespaces.get("mcp-a")?.metadata?.labels;
 */
export class InformerSet<T extends KubernetesObject> implements WatchedCache<T> {
  /** The namespaces watched, one member each, in the order given. */
  readonly namespaces: readonly string[];
  private readonly members: ReadonlyMap<string, WatchedCache<T>>;

  /** `members`: by the namespace each one watches (or, for Namespaces, the name). */
  constructor(members: ReadonlyMap<string, WatchedCache<T>>) {
    if (members.size === 0) throw new RangeError("`members` must name at least one namespace");
    this.members = members;
    this.namespaces = [...members.keys()];
  }

  /** True once every member has synced. */
  get synced(): boolean {
    return [...this.members.values()].every((m) => m.synced);
  }

  /** Resolves once every member has synced. */
  async whenSynced(): Promise<void> {
    await Promise.all([...this.members.values()].map((m) => m.whenSynced()));
  }

  /** The object with this key, from the member of its namespace (or name, when cluster-scoped). */
  get(key: string): T | undefined {
    const { namespace, name } = parseKey(key);
    return this.members.get(namespace ?? name)?.get(key);
  }

  /** Every cached object of every member. */
  list(): T[] {
    return [...this.members.values()].flatMap((m) => m.list());
  }

  /** Every cached object in `namespace`; empty for a namespace no member watches. */
  inNamespace(namespace: string): T[] {
    return this.members.get(namespace)?.inNamespace(namespace) ?? [];
  }

  /** The keys of every cached object. */
  keys(): string[] {
    return [...this.members.values()].flatMap((m) => m.keys());
  }

  /** Subscribes to every member's changes; returns the function that unsubscribes from all. */
  onChange(handler: (key: string, obj: T) => void): () => void {
    const unsubscribes = [...this.members.values()].map((m) => m.onChange(handler));
    return () => {
      for (const unsubscribe of unsubscribes) unsubscribe();
    };
  }

  /** Starts every member (idempotent, as each member's start is). */
  start(): void {
    for (const member of this.members.values()) member.start();
  }

  /** Stops every member. */
  async stop(): Promise<void> {
    await Promise.all([...this.members.values()].map((m) => m.stop()));
  }
}

import type { KubernetesObject } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { cacheOf } from "../kube/cache.ts";
import { InformerSet, type WatchedCache } from "./informer-set.ts";
import { objectKey } from "./key.ts";

/** A member whose objects, sync and events the test drives (standing in for one informer). */
class FakeMember implements WatchedCache<KubernetesObject> {
  synced = false;
  started = 0;
  stopped = 0;
  private readonly handlers = new Set<(key: string, obj: KubernetesObject) => void>();
  private readonly waiters: (() => void)[] = [];
  private readonly objects: KubernetesObject[];

  constructor(...objects: KubernetesObject[]) {
    this.objects = objects;
  }
  private get cache() {
    return cacheOf(this.objects);
  }
  get = (key: string) => this.cache.get(key);
  list = () => this.cache.list();
  inNamespace = (namespace: string) => this.cache.inNamespace(namespace);
  keys = () => this.objects.map((o) => objectKey(o));
  whenSynced(): Promise<void> {
    return this.synced ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }
  sync(): void {
    this.synced = true;
    for (const resolve of this.waiters.splice(0)) resolve();
  }
  onChange(handler: (key: string, obj: KubernetesObject) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }
  emit(obj: KubernetesObject): void {
    for (const handler of this.handlers) handler(objectKey(obj), obj);
  }
  start(): void {
    this.started++;
  }
  stop(): Promise<void> {
    this.stopped++;
    return Promise.resolve();
  }
}

const inNs = (namespace: string, name: string) => ({ metadata: { namespace, name } });
const namespace = (name: string) => ({ metadata: { name } });

describe("InformerSet", () => {
  const a = new FakeMember(inNs("mcp-a", "weather"), inNs("mcp-a", "search"));
  const b = new FakeMember(inNs("mcp-b", "weather"));
  const set = new InformerSet(
    new Map([
      ["mcp-a", a],
      ["mcp-b", b],
    ]),
  );

  it("reads every member as one cache", () => {
    expect(set.get("mcp-a/search")).toEqual(inNs("mcp-a", "search"));
    expect(set.get("mcp-b/weather")).toEqual(inNs("mcp-b", "weather"));
    expect(set.get("mcp-c/weather")).toBeUndefined();
    expect(set.keys().sort()).toEqual(["mcp-a/search", "mcp-a/weather", "mcp-b/weather"]);
    expect(set.list()).toHaveLength(3);
  });

  it("reads one namespace from its member alone, and nothing for a namespace it does not watch", () => {
    expect(set.inNamespace("mcp-a").map((o) => o.metadata?.name)).toEqual(["weather", "search"]);
    expect(set.inNamespace("mcp-b")).toHaveLength(1);
    expect(set.inNamespace("kube-system")).toEqual([]);
  });

  it("finds a cluster-scoped object in the member named after it (Namespaces by name)", () => {
    const namespaces = new InformerSet(
      new Map([
        ["mcp-a", new FakeMember(namespace("mcp-a"))],
        ["mcp-b", new FakeMember()],
      ]),
    );
    expect(namespaces.get("mcp-a")).toEqual(namespace("mcp-a"));
    expect(namespaces.get("mcp-b")).toBeUndefined();
    expect(namespaces.list()).toEqual([namespace("mcp-a")]);
    expect(namespaces.inNamespace("mcp-a")).toEqual([]);
  });

  it("is synced once every member is", async () => {
    let resolved = false;
    const waiting = set.whenSynced().then(() => (resolved = true));
    a.sync();
    await Promise.resolve();
    expect(set.synced).toBe(false);
    expect(resolved).toBe(false);
    b.sync();
    await waiting;
    expect(set.synced).toBe(true);
  });

  it("passes on every member's changes until unsubscribed", () => {
    const keys: string[] = [];
    const unsubscribe = set.onChange((key) => keys.push(key));
    a.emit(inNs("mcp-a", "weather"));
    b.emit(inNs("mcp-b", "weather"));
    unsubscribe();
    a.emit(inNs("mcp-a", "search"));
    expect(keys).toEqual(["mcp-a/weather", "mcp-b/weather"]);
  });

  it("starts and stops every member", async () => {
    set.start();
    await set.stop();
    expect([a.started, b.started, a.stopped, b.stopped]).toEqual([1, 1, 1, 1]);
  });

  it("needs a member", () => {
    expect(() => new InformerSet(new Map())).toThrow("`members` must name at least one namespace");
  });
});

/**
 * The informer against the real API server: it lists what exists, follows creates, updates and deletes,
 * honours a label selector, caches the server's JSON unchanged, and recovers when its connections are
 * cut (through a proxy the test controls), catching up on what changed meanwhile.
 */
import { CoreV1Api, type KubeConfig, type V1ConfigMap } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { Informer, type InformerOptions } from "../../operator/runtime/informer.ts";
import { FaultProxy } from "../../operator/runtime/testing/fault-proxy.ts";
import { testNamespace } from "./harness.ts";

const log = pino({ level: "silent" });
const poll = { timeout: 30_000, interval: 100 };

let kc: KubeConfig;
let namespace: string;
let core: CoreV1Api;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  ({ kc, namespace } = await testNamespace("rt-informer"));
  core = kc.makeApiClient(CoreV1Api);
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Starts an informer on this file's ConfigMaps, recording the keys its handler receives. */
function configMaps(options: Partial<InformerOptions> = {}, config = kc) {
  const informer = new Informer<V1ConfigMap>(config, {
    resource: { apiVersion: "v1", plural: "configmaps" },
    namespace,
    log,
    ...options,
  });
  const keys: string[] = [];
  informer.onChange((key) => keys.push(key));
  informer.start();
  cleanups.push(() => informer.stop());
  return { informer, keys };
}

async function create(name: string, data: Record<string, string>, labels?: Record<string, string>) {
  await core.createNamespacedConfigMap({ namespace, body: { metadata: { name, labels }, data } });
}

describe("the informer", () => {
  it("lists existing objects, then sees creates, updates and deletes", async () => {
    await create("existing", { v: "1" });
    const { informer, keys } = configMaps();
    await informer.whenSynced();
    expect(informer.synced).toBe(true);
    expect(informer.get(`${namespace}/existing`)?.data).toEqual({ v: "1" });
    expect(keys).toContain(`${namespace}/existing`);

    await create("created", { v: "1" });
    await vi.waitFor(
      () => expect(informer.get(`${namespace}/created`)?.data).toEqual({ v: "1" }),
      poll,
    );
    const seen = keys.filter((k) => k === `${namespace}/created`).length;
    await core.replaceNamespacedConfigMap({
      name: "created",
      namespace,
      body: { metadata: { name: "created" }, data: { v: "2" } },
    });
    await vi.waitFor(
      () => expect(informer.get(`${namespace}/created`)?.data).toEqual({ v: "2" }),
      poll,
    );
    expect(keys.filter((k) => k === `${namespace}/created`).length).toBe(seen + 1);

    await core.deleteNamespacedConfigMap({ name: "existing", namespace });
    await vi.waitFor(() => expect(informer.get(`${namespace}/existing`)).toBeUndefined(), poll);
    expect(keys.filter((k) => k === `${namespace}/existing`)).toHaveLength(2);
    expect(informer.keys()).toContain(`${namespace}/created`);
  });

  it("keeps objects as the API server's JSON, whether listed or watched", async () => {
    await create("json-listed", {}, { json: "yes" });
    const { informer } = configMaps({ labelSelector: "json=yes" });
    await informer.whenSynced();
    await create("json-watched", {}, { json: "yes" });
    await vi.waitFor(() => expect(informer.list()).toHaveLength(2), poll);
    for (const obj of informer.list()) {
      expect(typeof obj.metadata?.creationTimestamp).toBe("string");
      expect([obj.apiVersion, obj.kind]).toEqual(["v1", "ConfigMap"]);
    }
  });

  it("caches only the objects its label selector matches", async () => {
    const { informer, keys } = configMaps({ labelSelector: "role=selected" });
    await informer.whenSynced();
    // Created in this order, the unlabelled one would have arrived first if it were going to.
    await create("unselected", {}, { role: "other" });
    await create("selected", {}, { role: "selected" });
    await vi.waitFor(() => expect(keys).toContain(`${namespace}/selected`), poll);
    expect(informer.keys()).toEqual([`${namespace}/selected`]);
    expect(keys).not.toContain(`${namespace}/unselected`);
  });

  it("restarts after its connection is cut, and catches up on what changed meanwhile", async () => {
    const proxy = await FaultProxy.start(kc);
    cleanups.push(() => proxy.close());
    await create("doomed", {}, { outage: "yes" });
    let restarts = 0;
    const hooks = { onRestartScheduled: () => void restarts++ };
    const { informer, keys } = configMaps(
      { labelSelector: "outage=yes", backoff: { baseMs: 100, capMs: 500 }, hooks },
      proxy.kubeConfig,
    );
    await informer.whenSynced();
    expect(informer.keys()).toEqual([`${namespace}/doomed`]);

    proxy.cut();
    await create("born-in-outage", {}, { outage: "yes" });
    await core.deleteNamespacedConfigMap({ name: "doomed", namespace });
    // client-node's own informer would stop for good at the first of these failures.
    await vi.waitFor(() => expect(restarts).toBeGreaterThanOrEqual(3), poll);
    expect(informer.get(`${namespace}/doomed`)).toBeDefined();

    proxy.restore();
    await vi.waitFor(() => expect(informer.keys()).toEqual([`${namespace}/born-in-outage`]), poll);
    expect(keys).toEqual([
      `${namespace}/doomed`,
      `${namespace}/born-in-outage`,
      `${namespace}/doomed`,
    ]);
    // The watch is live again.
    await create("after-outage", {}, { outage: "yes" });
    await vi.waitFor(() => expect(informer.get(`${namespace}/after-outage`)).toBeDefined(), poll);
  });

  it("leaves no connection open when stopped while it lists", async () => {
    const proxy = await FaultProxy.start(kc);
    cleanups.push(() => proxy.close());
    proxy.latencyMs = 1000;
    let listed = false;
    const hooks = { onListed: () => void (listed = true) };
    const { informer, keys } = configMaps(
      { labelSelector: "early-stop=yes", hooks },
      proxy.kubeConfig,
    );
    await vi.waitFor(() => expect(proxy.connections).toBeGreaterThan(0), poll);
    expect(listed).toBe(false);
    await informer.stop();
    await vi.waitFor(() => expect(listed).toBe(true), poll);
    // client-node's ListWatch would go on to open a watch once its list returned, and keep it.
    await create("after-early-stop", {}, { "early-stop": "yes" });
    await vi.waitFor(() => expect(proxy.connections).toBe(0), poll);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(proxy.connections).toBe(0);
    expect(keys).toEqual([]);
  });

  it("calls no handler after stop()", async () => {
    const { informer, keys } = configMaps({ labelSelector: "stop=yes" });
    await informer.whenSynced();
    await informer.stop();
    await create("after-stop", {}, { stop: "yes" });
    // A second informer sees the object, so the first one had every chance to.
    const { informer: witness } = configMaps({ labelSelector: "stop=yes" });
    await vi.waitFor(() => expect(witness.keys()).toEqual([`${namespace}/after-stop`]), poll);
    await create("after-stop-2", {}, { stop: "yes" });
    await vi.waitFor(() => expect(witness.keys()).toHaveLength(2), poll);
    expect(keys).toEqual([]);
    expect(informer.keys()).toEqual([]);
  });
});

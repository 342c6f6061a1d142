/**
 * The informer relists after a real 410 Gone. The shared API server answers watches from its watch cache,
 * which forgets a resourceVersion only once the events after it are older than 75 s; so this file starts
 * a control plane of its own whose API server serves ConfigMaps without the watch cache (watches go to
 * etcd) and compacts etcd every second. A resourceVersion then expires a few seconds after the next
 * write, exactly as an old one does in a long-running cluster: the test keeps the informer disconnected
 * until a watch from its resourceVersion is refused with 410, and only then lets it reconnect.
 */
import { CoreV1Api, Watch, type KubeConfig, type V1ConfigMap } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { Informer } from "../../operator/runtime/informer.ts";
import { FaultProxy } from "../../operator/runtime/testing/fault-proxy.ts";
import { dedicatedControlPlane } from "./dedicated-control-plane.ts";

const log = pino({ level: "silent" });
const poll = { timeout: 30_000, interval: 100 };
const namespace = "rt-expiry";

let kc: KubeConfig;
let core: CoreV1Api;
let proxy: FaultProxy;

beforeAll(async () => {
  ({ kc } = await dedicatedControlPlane({
    apiserverArgs: ["--watch-cache-sizes=configmaps#0", "--etcd-compaction-interval=1s"],
  }));
  core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  proxy = await FaultProxy.start(kc);
});

afterAll(async () => {
  await proxy?.close();
});

/** Whether the API server refuses a watch from `resourceVersion` as expired (410 Gone). */
async function expired(path: string, resourceVersion: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    let gone = false;
    const onEvent = (type: string, obj: { code?: number }) => {
      if (type === "ERROR" && obj.code === 410) gone = true;
      controller?.abort();
    };
    const onDone = (err: (Error & { statusCode?: number }) | null) => {
      if (err?.statusCode === 410) gone = true;
      else if (err && err.name !== "AbortError")
        reject(new Error("probe watch failed", { cause: err }));
      resolve(gone);
    };
    let controller: AbortController | undefined;
    void new Watch(kc).watch(path, { resourceVersion }, onEvent, onDone).then((c) => {
      controller = c;
      setTimeout(() => c.abort(), 2000);
    });
  });
}

it("relists when the API server has forgotten its resourceVersion (410 Gone)", async () => {
  const create = (name: string) =>
    core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name, labels: { expiry: "yes" } } },
    });
  await create("doomed");
  const lists: number[] = [];
  const informer = new Informer<V1ConfigMap>(proxy.kubeConfig, {
    resource: { apiVersion: "v1", plural: "configmaps" },
    namespace,
    labelSelector: "expiry=yes",
    backoff: { baseMs: 500, capMs: 2000 },
    log,
    hooks: { onListed: (count) => lists.push(count) },
  });
  const keys: string[] = [];
  informer.onChange((key) => keys.push(key));
  informer.start();
  try {
    await informer.whenSynced();
    const resourceVersion = informer.resourceVersion;
    expect(lists).toEqual([1]);

    proxy.cut();
    await create("born-in-outage");
    await core.deleteNamespacedConfigMap({ name: "doomed", namespace });
    // etcd is compacted past the informer's resourceVersion within two compaction intervals.
    await vi.waitFor(async () => expect(await expired(informer.path, resourceVersion)).toBe(true), {
      timeout: 30_000,
      interval: 500,
    });

    proxy.restore();
    await vi.waitFor(() => expect(informer.keys()).toEqual([`${namespace}/born-in-outage`]), poll);
    expect(lists).toEqual([1, 1]);
    expect(keys.sort()).toEqual([
      `${namespace}/born-in-outage`,
      `${namespace}/doomed`,
      `${namespace}/doomed`,
    ]);
  } finally {
    await informer.stop();
  }
});

/**
 * The informer relists after a real 410 Gone. The API server answers watches from its watch cache, which
 * in a young cluster still holds every event since it started; it forgets a resourceVersion only once
 * the events after it are older than 75 s and the cache is full. So this test is slow (about 90 s): it
 * keeps the informer disconnected while it waits out those 75 s, churns events until a watch from the
 * informer's resourceVersion is refused with 410, and only then lets the informer reconnect.
 */
import { CoreV1Api, Watch, type KubeConfig, type V1ConfigMap } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { Informer } from "../../operator/runtime/informer.ts";
import { FaultProxy } from "../../operator/runtime/testing/fault-proxy.ts";
import { testNamespace } from "./harness.ts";

const log = pino({ level: "silent" });
const poll = { timeout: 30_000, interval: 100 };
/** How long the API server's watch cache keeps events before it may evict them. */
const EVENT_FRESH_MS = 75_000;

let kc: KubeConfig;
let namespace: string;
let core: CoreV1Api;
let proxy: FaultProxy;

beforeAll(async () => {
  ({ kc, namespace } = await testNamespace("rt-expiry"));
  core = kc.makeApiClient(CoreV1Api);
  proxy = await FaultProxy.start(kc);
});

afterAll(async () => {
  await proxy.close();
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

/** Writes `count` events (updates of one ConfigMap) to push old events out of the watch cache. */
async function churn(count: number): Promise<void> {
  const name = "churn";
  await core
    .createNamespacedConfigMap({ namespace, body: { metadata: { name } } })
    .catch(() => undefined);
  for (let i = 0; i < count; i++) {
    const body = { metadata: { name }, data: { i: String(i) } };
    await core.replaceNamespacedConfigMap({ name, namespace, body });
  }
}

it(
  "relists when the API server has forgotten its resourceVersion (410 Gone)",
  { timeout: 300_000 },
  async () => {
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
      await new Promise((resolve) => setTimeout(resolve, EVENT_FRESH_MS + 1000));
      let rounds = 0;
      while (!(await expired(informer.path, resourceVersion))) {
        if (++rounds > 40) throw new Error(`resourceVersion ${resourceVersion} never expired`);
        await churn(100);
      }

      proxy.restore();
      await vi.waitFor(
        () => expect(informer.keys()).toEqual([`${namespace}/born-in-outage`]),
        poll,
      );
      expect(lists).toEqual([1, 1]);
      expect(keys.sort()).toEqual([
        `${namespace}/born-in-outage`,
        `${namespace}/doomed`,
        `${namespace}/doomed`,
      ]);
    } finally {
      await informer.stop();
    }
  },
);

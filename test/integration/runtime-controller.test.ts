/**
 * Controllers against the real API server, asserting the objects they leave behind. The reconciler
 * under test writes `data.output` = `data.input` + the suffix from a settings Secret into each labelled
 * ConfigMap, so it is triggered by its own kind and, through a mapper, by another kind. Two replicas
 * share a Lease: only the leader's reconciler writes, and the work moves with the lease.
 */
import {
  ApiException,
  CoreV1Api,
  type KubeConfig,
  type V1ConfigMap,
  type V1Secret,
} from "@kubernetes/client-node";
import { pino } from "pino";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { Controller, allKeysOf } from "../../operator/runtime/controller.ts";
import { Informer } from "../../operator/runtime/informer.ts";
import { parseKey } from "../../operator/runtime/key.ts";
import { LeaderElector } from "../../operator/runtime/leader.ts";
import { testNamespace } from "./harness.ts";

const log = pino({ level: "silent" });
const poll = { timeout: 30_000, interval: 100 };

let kc: KubeConfig;
let namespace: string;
let core: CoreV1Api;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  ({ kc, namespace } = await testNamespace("rt-controller"));
  core = kc.makeApiClient(CoreV1Api);
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * One replica: informers for the ConfigMaps labelled `group` and the Secrets, and a controller whose
 * reconciler writes the output, and its replica's name, into each ConfigMap.
 */
function replica(group: string, name: string, leader?: LeaderElector) {
  const inputs = new Informer<V1ConfigMap>(kc, {
    resource: { apiVersion: "v1", plural: "configmaps" },
    namespace,
    labelSelector: `group=${group}`,
    log,
  });
  const settings = new Informer<V1Secret>(kc, {
    resource: { apiVersion: "v1", plural: "secrets" },
    namespace,
    labelSelector: `group=${group}`,
    log,
  });
  const reconciled: string[] = [];
  const reconcile = async (key: string) => {
    reconciled.push(key);
    const cm = inputs.get(key);
    if (!cm) return;
    const secret = settings.get(`${namespace}/settings-${group}`);
    const suffix = secret?.data?.suffix
      ? Buffer.from(secret.data.suffix, "base64").toString()
      : "none";
    const output = `${cm.data?.input}+${suffix}`;
    if (cm.data?.output === output && cm.data?.by === name) return;
    // The resourceVersion from the cache makes a stale write fail with 409; the queue retries it.
    const body = { ...cm, data: { ...cm.data, output, by: name } };
    await core.replaceNamespacedConfigMap({ ...parseKey(key), namespace, body });
  };
  const controller = new Controller({
    name: `test-${name}`,
    reconcile,
    leader,
    log,
    queue: { backoff: { baseMs: 100, capMs: 1000 } },
  })
    .watch(inputs)
    .watch(settings, allKeysOf(inputs))
    .start();
  cleanups.push(async () => {
    await controller.stop();
    await Promise.all([inputs.stop(), settings.stop()]);
  });
  return { controller, reconciled };
}

async function read(name: string): Promise<Record<string, string> | undefined> {
  return (await core.readNamespacedConfigMap({ name, namespace })).data;
}

async function put(name: string, group: string, input: string): Promise<void> {
  const body = { metadata: { name, labels: { group } }, data: { input } };
  try {
    await core.createNamespacedConfigMap({ namespace, body });
  } catch (error) {
    if (!(error instanceof ApiException && error.code === 409)) throw error;
    const current = await core.readNamespacedConfigMap({ name, namespace });
    await core.replaceNamespacedConfigMap({
      name,
      namespace,
      body: { ...current, data: { ...current.data, input } },
    });
  }
}

describe("a controller", () => {
  it("reconciles existing and new objects, and objects another kind's change affects", async () => {
    await put("early", "solo", "1");
    const { controller } = replica("solo", "solo");
    await vi.waitFor(() => expect(controller.synced).toBe(true), poll);
    await vi.waitFor(async () => expect((await read("early"))?.output).toBe("1+none"), poll);

    await put("late", "solo", "2");
    await vi.waitFor(async () => expect((await read("late"))?.output).toBe("2+none"), poll);

    await put("early", "solo", "3");
    await vi.waitFor(async () => expect((await read("early"))?.output).toBe("3+none"), poll);

    // A Secret is another kind: the mapper turns its change into every ConfigMap's key.
    await core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: "settings-solo", labels: { group: "solo" } },
        stringData: { suffix: "x" },
      },
    });
    await vi.waitFor(async () => {
      expect((await read("early"))?.output).toBe("3+x");
      expect((await read("late"))?.output).toBe("2+x");
    }, poll);
  });

  it("reconciles only on the leader, and hands the work over with the lease", async () => {
    const timings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 500 };
    const lease = { namespace, name: "controller-lease", log, ...timings };
    const electorA = new LeaderElector(kc, { ...lease, identity: "a" });
    const electorB = new LeaderElector(kc, { ...lease, identity: "b" });
    cleanups.push(() => electorB.stop());
    const a = replica("ha", "a", electorA);
    const b = replica("ha", "b", electorB);
    electorA.start();
    await vi.waitFor(() => expect(electorA.isLeader).toBe(true), poll);
    electorB.start();

    await put("work", "ha", "1");
    await vi.waitFor(
      async () => expect(await read("work")).toMatchObject({ output: "1+none", by: "a" }),
      poll,
    );
    await put("work", "ha", "2");
    await vi.waitFor(
      async () => expect(await read("work")).toMatchObject({ output: "2+none", by: "a" }),
      poll,
    );
    expect(b.reconciled).toEqual([]);

    // Stop replica a as the operator does: its controller first, then its elector (which releases).
    await a.controller.stop();
    await electorA.stop();
    await vi.waitFor(() => expect(electorB.isLeader).toBe(true), poll);
    await put("work", "ha", "3");
    await vi.waitFor(
      async () => expect(await read("work")).toMatchObject({ output: "3+none", by: "b" }),
      poll,
    );
  });
});

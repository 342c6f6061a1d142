/**
 * The control plane failing under a running operator, on a control plane of this file's own (the other
 * files keep a healthy one):
 *
 * - kube-apiserver restarted: every watch breaks and every request is refused until it is back. The
 *   informers must recover by themselves, and what changes right after the restart (a new MCPServer, a
 *   deleted keyring Secret, a new CryptoPolicy) must all be reconciled.
 * - etcd killed and started again six seconds later: the API server answers with errors meanwhile, and
 *   the leader cannot renew its Lease. The operator must keep retrying, not crash, and converge once
 *   etcd is back (etcd runs with --unsafe-no-fsync, but a killed process loses nothing the kernel holds).
 *
 * In both, no key may be lost and none activated twice.
 */
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { ControlPlane } from "../../hack/control-plane.ts";
import { tryKubectl } from "../../hack/kubectl.ts";
import type { MCPServer } from "../../operator/api/types.generated.ts";
import { dedicatedControlPlane } from "./dedicated-control-plane.ts";
import {
  activations,
  doubleRotations,
  lostKeys,
  recordKeyrings,
  repeatedEvents,
  rotationEvents,
  unbackedKeys,
} from "./keyring-history.ts";
import { latticeguardObjects } from "./objects.ts";
import { startOperatorProcess, type OperatorProcess } from "./operator-process.ts";

const P = 4_000;
const G = 2_000;
const namespace = "faults-cp";
const converge = { timeout: 60_000, interval: 200 };
const kem = (algorithms: string[]) => ({
  kem: { algorithms, rotationPeriod: `${P}ms`, gracePeriod: `${G}ms` },
});

let cp: ControlPlane;
let kc: KubeConfig;
let core: CoreV1Api;
let lg: ReturnType<typeof latticeguardObjects>;
let operator: OperatorProcess;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  ({ cp, kc } = await dedicatedControlPlane());
  core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  lg = latticeguardObjects(kc, namespace);
  await lg.selectNamespace();
  await lg.createPolicy("baseline", kem(["ML-KEM-768", "ML-KEM-1024"]));
  operator = await startOperatorProcess({ kubeconfig: cp.kubeconfigPath });
});

afterAll(async () => {
  await operator?.stop();
});

/** Whether the operator process still runs. */
function alive(op: OperatorProcess): boolean {
  try {
    process.kill(op.pid, 0);
    return true;
  } catch {
    return false;
  }
}

const ready = (s: MCPServer) => s.status?.conditions?.find((c) => c.type === "Ready")?.status;

/** Keys activated for a reason other than the schedule: they may come early. */
async function unscheduled(): Promise<Set<string>> {
  const events = await rotationEvents(core, namespace);
  return new Set(events.filter((e) => e.reason !== "Scheduled").map((e) => e.keyId));
}

/** The newest activation time of each server's keys. */
function lastActivation(
  history: Awaited<ReturnType<typeof recordKeyrings>>,
  server: string,
): number {
  const keys = activations(history).get(server);
  return Math.max(0, ...[...(keys?.values() ?? [])].flatMap((at) => [...at]));
}

describe("kube-apiserver restarted under a running operator", () => {
  it("recovers its informers and reconciles every change made right after", async () => {
    const history = await recordKeyrings(kc, namespace);
    for (const name of ["steady", "robbed"]) await lg.createServer(name);
    await vi.waitFor(async () => {
      for (const name of ["steady", "robbed"])
        expect((await lg.readServer(name)).status?.kem?.activeKeyId).toBeDefined();
    }, converge);
    await vi.waitFor(() => expect(operator.leading()).toBe(true), converge);

    // SIGTERM: the API server stops listening at once, then waits for open watches until it is
    // killed (after 10 s): a graceful restart, as in a rolling upgrade.
    await cp.processes["kube-apiserver"].restart();
    await cp.waitReady();

    // Right after the restart: a new server, a keyring Secret deleted, a stricter policy.
    await lg.createServer("newcomer");
    const robbed = await core.readNamespacedSecret({ name: "robbed-kem", namespace });
    await core.deleteNamespacedSecret({ name: "robbed-kem", namespace });
    await lg.createPolicy("strict", kem(["ML-KEM-1024"]));

    await vi.waitFor(async () => {
      for (const name of ["steady", "robbed", "newcomer"]) {
        const s = await lg.readServer(name);
        expect(s.status?.kem?.activeKeyId, name).toMatch(/^mlkem1024-/);
        expect(s.status?.effectivePolicy?.policies, name).toEqual(["baseline", "strict"]);
        expect(ready(s), name).toBe("True");
      }
      const strict = await lg.readPolicy("strict");
      expect(strict.status?.observedGeneration).toBe(1);
      expect(strict.status?.coverage?.mcpServers).toBe(3);
      const repairs = (await core.listNamespacedEvent({ namespace })).items.filter(
        (e) => e.reason === "KEMKeyringRepaired" && e.involvedObject.name === "robbed",
      );
      expect(repairs.length).toBe(1);
    }, converge);
    await sleep(G);
    await history.stop();

    expect(alive(operator)).toBe(true);
    expect(operator.logs.filter((l) => l.msg === "Restarted informer").length).toBeGreaterThan(0);
    const destroyed = new Set(Object.keys(robbed.data ?? {}));
    // The stricter policy drops a prepared ML-KEM-768 next key: nobody has used it yet.
    expect(lostKeys(history, { exempt: destroyed, nextMayBeDropped: true })).toEqual([]);
    expect(unbackedKeys(history)).toEqual([]);
    expect(doubleRotations(history, P, await unscheduled())).toEqual([]);
    expect(repeatedEvents(await rotationEvents(core, namespace))).toEqual([]);
  });
});

describe("etcd killed for a few seconds under a running operator", () => {
  it("keeps retrying without crashing and converges once etcd is back, losing no key", async () => {
    const history = await recordKeyrings(kc, namespace);
    await vi.waitFor(() => expect(operator.leading()).toBe(true), converge);
    const logsBefore = operator.logs.length;

    const stoppedAt = Date.now();
    await cp.processes.etcd.stop("SIGKILL");
    // The API server cannot store anything meanwhile.
    const refused = await tryKubectl(cp.kubeconfigPath, [
      "create",
      "configmap",
      "during-outage",
      `--namespace=${namespace}`,
      "--request-timeout=3s",
    ]);
    expect(refused.code).not.toBe(0);
    await sleep(Math.max(0, 6_000 - (Date.now() - stoppedAt)));
    await cp.processes.etcd.start();
    const etcdBack = Date.now();
    await cp.waitReady();

    // Every server rotates again, on schedule, after the outage.
    await vi.waitFor(async () => {
      for (const name of ["steady", "robbed", "newcomer"]) {
        expect(lastActivation(history, name), name).toBeGreaterThan(etcdBack);
        const s = await lg.readServer(name);
        expect(ready(s), name).toBe("True");
        expect(Date.parse(s.status!.kem!.nextRotationTime!)).toBeGreaterThan(etcdBack);
      }
    }, converge);
    await sleep(G);
    await history.stop();

    expect(alive(operator)).toBe(true);
    expect((await fetch(`http://127.0.0.1:${operator.port}/healthz`)).status).toBe(200);
    // It saw the outage (it could not renew its Lease) and retried through it.
    const during = operator.logs.slice(logsBefore);
    expect(during.some((l) => l.msg === "Leader lease update failed")).toBe(true);
    expect(await operator.metric("latticeguard_leader")).toBe(1);
    expect(lostKeys(history)).toEqual([]);
    expect(unbackedKeys(history)).toEqual([]);
    expect(doubleRotations(history, P, await unscheduled())).toEqual([]);
    expect(repeatedEvents(await rotationEvents(core, namespace))).toEqual([]);
  });
});

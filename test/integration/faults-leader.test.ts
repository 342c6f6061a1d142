/**
 * The leader killed (SIGKILL) in the middle of a burst of rotations, with a follower waiting on the same
 * Lease: twenty MCPServers rotate every few seconds, all on one schedule, and the leader dies while it
 * writes their keyrings. The follower must take the Lease once it runs out (read from the Lease itself),
 * reconcile nothing before, and carry on: no key lost, none activated twice, one rotation Event per key.
 */
import { CoordinationV1Api, type CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { LEASE_NAME } from "../../operator/operator.ts";
import { testNamespace } from "./harness.ts";
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

const SERVERS = 20;
const P = 4_000;
const G = 1_000;
const LEASE_SECONDS = 4;
const RETRY_MS = 1_000;
/** client-go's retry jitter: a candidate waits up to 2.2 retry periods between attempts. */
const MAX_RETRY_WAIT_MS = 2.2 * RETRY_MS;
const poll = { timeout: 30_000, interval: 100 };

let kc: KubeConfig;
let namespace: string;
let core: CoreV1Api;
let lg: ReturnType<typeof latticeguardObjects>;
const names = Array.from({ length: SERVERS }, (_, i) => `burst-${i}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  ({ kc, namespace } = await testNamespace("faults-leader"));
  lg = latticeguardObjects(kc, namespace);
  core = lg.core;
  await lg.selectNamespace();
  await lg.createPolicy(`faults-leader-${Math.random().toString(36).slice(2, 7)}`, {
    kem: { algorithms: ["ML-KEM-768"], rotationPeriod: `${P}ms`, gracePeriod: `${G}ms` },
  });
});

/** The identity an operator campaigns with, once it has led. */
const identity = (op: OperatorProcess) =>
  op.logs.find((l) => l.msg === "Started leading")?.identity as string | undefined;

async function readLease() {
  const lease = await kc
    .makeApiClient(CoordinationV1Api)
    .readNamespacedLease({ name: LEASE_NAME, namespace: "latticeguard-system" });
  return {
    holder: lease.spec?.holderIdentity ?? "",
    renewTime: new Date(lease.spec!.renewTime!).getTime(),
    acquireTime: new Date(lease.spec!.acquireTime!).getTime(),
    transitions: lease.spec?.leaseTransitions ?? 0,
  };
}

describe("the leader killed during a burst of rotations", () => {
  let leader: OperatorProcess | undefined;
  let follower: OperatorProcess | undefined;
  afterAll(async () => {
    await leader?.kill();
    await follower?.stop();
  });

  it(
    "hands over to the follower within the lease, losing no key and rotating nothing twice",
    { timeout: 120_000 },
    async () => {
      const history = await recordKeyrings(kc, namespace);
      leader = await startOperatorProcess({ leaseSeconds: LEASE_SECONDS });
      // A Lease left by another file's operator runs out first.
      await vi.waitFor(() => expect(leader!.leading()).toBe(true), {
        timeout: 70_000,
        interval: 50,
      });
      follower = await startOperatorProcess({ leaseSeconds: LEASE_SECONDS });
      await Promise.all(names.map((name) => lg.createServer(name, { port: 8443 })));

      // The burst: wait until the first scheduled rotation is being written, then kill the leader in it.
      await vi.waitFor(
        () => {
          const rotated = [...activations(history).values()].some((keys) => keys.size >= 2);
          expect(rotated, "no scheduled rotation yet").toBe(true);
        },
        { timeout: 30_000, interval: 10 },
      );
      await sleep(Math.random() * 300);
      const before = await readLease();
      expect(before.holder).toBe(identity(leader));
      expect(follower.leading()).toBe(false);
      expect(await follower.metric("latticeguard_leader")).toBe(0);
      expect(await follower.metric("latticeguard_reconcile_total")).toBe(0);
      const killedAt = Date.now();
      await leader.kill();

      // The follower takes the Lease once it runs out: the leader's last renewal plus the lease
      // duration, plus up to one jittered retry to notice the last renewal and one to try again.
      const after = await vi.waitFor(
        async () => {
          const lease = await readLease();
          expect(lease.holder).not.toBe(before.holder);
          return lease;
        },
        { timeout: 30_000, interval: 50 },
      );
      await vi.waitFor(() => expect(follower!.leading()).toBe(true), poll);
      expect(after.holder).toBe(identity(follower));
      expect(after.transitions).toBe(before.transitions + 1);
      // Never early: not before the lease has run out since the last renewal the follower could see.
      expect(after.acquireTime - before.renewTime).toBeGreaterThanOrEqual(LEASE_SECONDS * 1000);
      // Never much later either (2 s for requests on a busy machine).
      expect(after.acquireTime - killedAt).toBeLessThanOrEqual(
        LEASE_SECONDS * 1000 + 2 * MAX_RETRY_WAIT_MS + 2_000,
      );
      expect(await follower.metric("latticeguard_leader")).toBe(1);

      // The new leader rotates every server at least once more.
      await vi.waitFor(
        () => {
          for (const name of names) {
            const times = [...(activations(history).get(name)?.values() ?? [])].flatMap((s) => [
              ...s,
            ]);
            expect(Math.max(...times), `${name} not rotated since`).toBeGreaterThan(
              after.acquireTime,
            );
          }
        },
        { timeout: 4 * P, interval: 100 },
      );
      // Counted once the status is written, a little after the Secret.
      await vi.waitFor(async () => {
        const rotations = await follower!.metric("latticeguard_kem_rotations_total");
        expect(rotations).toBeGreaterThanOrEqual(SERVERS);
      }, poll);
      await follower.stop();
      // The watch delivers the last writes a moment after they were made.
      await sleep(500);
      await history.stop();

      expect(history.gaps).toBe(0);
      expect(lostKeys(history)).toEqual([]);
      expect(unbackedKeys(history)).toEqual([]);
      expect(history.secrets.flatMap((v) => v.problems)).toEqual([]);
      // Never twice: each key has one activation time, and a server's activations are a period apart
      // (its first key's shorter first period after the first).
      expect(doubleRotations(history, P)).toEqual([]);
      const all = activations(history);
      // One Event per rotation, naming a key that was activated. Only a rotation whose Secret the leader
      // wrote just before it died may have gone unreported: at most one per server.
      const events = await rotationEvents(core, namespace);
      expect(repeatedEvents(events)).toEqual([]);
      for (const name of names) {
        const activated = [...(all.get(name)?.keys() ?? [])];
        const reported = events.filter((e) => e.server === name).map((e) => e.keyId);
        expect(activated.length).toBeGreaterThanOrEqual(2);
        expect(activated).toEqual(expect.arrayContaining(reported));
        expect(activated.length - reported.length).toBeLessThanOrEqual(1);
      }
    },
  );
});

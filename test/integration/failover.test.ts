/**
 * Crashes and failover against the real API server. An operator process killed with SIGKILL at random
 * moments, again and again, while keys rotate every two seconds, must never lose a key (no seed deleted
 * before its grace period ends) and never rotate twice (activations at least a period apart). Two
 * operators sharing the Lease, the leader killed mid-burst: see faults-leader.test.ts.
 */
import type { CoreV1Api } from "@kubernetes/client-node";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { keyMaterial } from "../../operator/mcpserver/key-material.ts";
import { decodeKeyring } from "../../operator/mcpserver/keyring.ts";
import type { KeyRecord } from "../../operator/mcpserver/rotation.ts";
import { testNamespace } from "./harness.ts";
import { activePeriod } from "./keyring-history.ts";
import { latticeguardObjects } from "./objects.ts";
import { startOperatorProcess, type OperatorProcess } from "./operator-process.ts";

const P = 2_000;
const G = 1_000;
const crypto = keyMaterial("auto");

let namespace: string;
let core: CoreV1Api;
let lg: ReturnType<typeof latticeguardObjects>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const createServer = (name: string) => lg.createServer(name, { port: 8443 });

beforeAll(async () => {
  let kc;
  ({ kc, namespace } = await testNamespace("failover"));
  lg = latticeguardObjects(kc, namespace);
  core = lg.core;
  await lg.selectNamespace();
  await lg.createPolicy(`failover-${Math.random().toString(36).slice(2, 7)}`, {
    kem: { algorithms: ["ML-KEM-768"], rotationPeriod: `${P}ms`, gracePeriod: `${G}ms` },
  });
});

/** Every keyring the Secret held, sampled every 50 ms until `stop()`. */
function recordKeyrings(name: string) {
  const samples: { at: number; keys: KeyRecord[] }[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const s = await core
        .readNamespacedSecret({ name: `${name}-kem`, namespace })
        .catch(() => undefined);
      if (s) samples.push({ at: Date.now(), keys: decodeKeyring(s.data, crypto).keys });
      await sleep(50);
    }
  })();
  return {
    samples,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

describe("an operator killed at random moments", () => {
  it("never loses a key and never rotates twice", async () => {
    await createServer("crashy");
    const recorder = recordKeyrings("crashy");
    const started = Date.now();
    const leading = (op: OperatorProcess) =>
      vi.waitFor(() => expect(op.leading()).toBe(true), { timeout: 20_000, interval: 50 });
    for (let i = 0; i < 6; i++) {
      const op = await startOperatorProcess({ leaseSeconds: 3 });
      // Kill it while it leads and reconciles: anywhere from mid-write to between rotations.
      await leading(op);
      await sleep(Math.random() * 2_500);
      await op.kill();
    }
    // A last, healthy operator catches up on whatever the crashes left half done.
    const last = await startOperatorProcess({ leaseSeconds: 3 });
    await leading(last);
    await sleep(3 * P);
    await recorder.stop();
    await last.stop();

    const activated = new Map<string, KeyRecord>();
    const lastSeen = new Map<string, { at: number; key: KeyRecord }>();
    for (const { at, keys } of recorder.samples) {
      for (const key of keys) {
        if (key.activatedAt !== undefined && key.state !== "next") activated.set(key.id, key);
        lastSeen.set(key.id, { at, key });
      }
    }
    const keys = [...activated.values()].sort((a, b) => a.activatedAt! - b.activatedAt!);
    expect(keys.length).toBeGreaterThanOrEqual(3);
    // Never twice in a period: consecutive activations are at least the earlier key's period apart (a
    // rotation period, or the server's shorter first one).
    for (let i = 1; i < keys.length; i++)
      expect(keys[i]!.activatedAt! - keys[i - 1]!.activatedAt!).toBeGreaterThanOrEqual(
        activePeriod(P, keys[i - 1]!.periodFraction) - 50,
      );
    // Never lost: a key that vanished was retiring and its grace period was over.
    const end = recorder.samples.at(-1)!;
    for (const [id, { key }] of lastSeen) {
      if (end.keys.some((k) => k.id === id)) continue;
      expect(key.state, `key ${id} vanished while ${key.state}`).toBe("retiring");
      expect(end.at).toBeGreaterThanOrEqual(key.retireAt!);
    }
    // And the server ended healthy, on schedule.
    const server = await lg.readServer("crashy");
    expect(server.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
    expect(Date.parse(server.status!.kem!.nextRotationTime!)).toBeGreaterThan(started);
  });
});

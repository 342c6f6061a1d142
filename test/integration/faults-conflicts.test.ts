/**
 * Another writer on the keyring Secret while the operator rotates it: a client that keeps adding junk
 * entries, unlisting the active key from `keyring.json`, relabelling the Secret and writing back copies
 * it read before the operator's last write. The API server's resourceVersion guard decides every race;
 * the operator must never lose a live key (an unlisted seed stays as a retiring key for its grace
 * period), repair and report what was changed, and own its fields again through server-side apply
 * (field manager `latticeguard`), leaving the other writer's label alone.
 */
import type { CoreV1Api, KubeConfig, V1Secret } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { FIELD_MANAGER, isConflict } from "../../operator/kube/apply.ts";
import { KEYRING_ENTRY } from "../../operator/mcpserver/keyring.ts";
import { testNamespace } from "./harness.ts";
import {
  doubleRotations,
  lostKeys,
  recordKeyrings,
  repeatedEvents,
  rotationEvents,
  unbackedKeys,
} from "./keyring-history.ts";
import { latticeguardObjects } from "./objects.ts";
import { startOperatorProcess, type OperatorProcess } from "./operator-process.ts";

const P = 3_000;
const G = 1_500;
const MEDDLER = "meddler";
const MEDDLER_LABEL = "example.com/touched-by";
const MANAGED_BY = "app.kubernetes.io/managed-by";
const poll = { timeout: 30_000, interval: 100 };

let kc: KubeConfig;
let namespace: string;
let core: CoreV1Api;
let lg: ReturnType<typeof latticeguardObjects>;
let operator: OperatorProcess;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const b64 = (s: string) => Buffer.from(s).toString("base64");

beforeAll(async () => {
  ({ kc, namespace } = await testNamespace("faults-conflicts"));
  lg = latticeguardObjects(kc, namespace);
  core = lg.core;
  await lg.selectNamespace();
  await lg.createPolicy(`faults-conflicts-${Math.random().toString(36).slice(2, 7)}`, {
    kem: { algorithms: ["ML-KEM-768"], rotationPeriod: `${P}ms`, gracePeriod: `${G}ms` },
  });
  operator = await startOperatorProcess();
});

afterAll(async () => {
  await operator?.stop();
});

const read = (name: string) => core.readNamespacedSecret({ name: `${name}-kem`, namespace });

/** A read-modify-write guarded by the resourceVersion read: retried on 409, as a careful client does. */
async function edit(name: string, change: (s: V1Secret) => V1Secret | undefined): Promise<boolean> {
  for (;;) {
    const body = change(await read(name));
    if (!body) return false;
    try {
      await core.replaceNamespacedSecret({
        name: `${name}-kem`,
        namespace,
        body,
        fieldManager: MEDDLER,
      });
      return true;
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
  }
}

/** The meddling client's moves, and what each did. */
function meddler(name: string) {
  const done = { junk: 0, labels: 0, unlisted: [] as string[], staleRefused: 0, staleWritten: 0 };
  const moves: (() => Promise<void>)[] = [
    // A junk entry the operator does not know.
    async () => {
      await core.patchNamespacedSecret({
        name: `${name}-kem`,
        namespace,
        fieldManager: MEDDLER,
        body: [{ op: "add", path: `/data/junk-${done.junk++}`, value: b64("junk") }],
      });
    },
    // A label of its own.
    async () => {
      await edit(name, (s) => {
        s.metadata!.labels = { ...s.metadata!.labels, [MEDDLER_LABEL]: String(++done.labels) };
        return s;
      });
    },
    // A copy read before the operator's last write, written back with the resourceVersion it was read
    // at: the API server must refuse it.
    async () => {
      const stale = await read(name);
      await vi
        .waitFor(
          async () =>
            expect((await read(name)).metadata!.resourceVersion).not.toBe(
              stale.metadata!.resourceVersion,
            ),
          { timeout: P, interval: 20 },
        )
        .catch(() => undefined);
      stale.metadata!.labels = { ...stale.metadata!.labels, [MEDDLER_LABEL]: "stale" };
      try {
        await core.replaceNamespacedSecret({ name: `${name}-kem`, namespace, body: stale });
        done.staleWritten++;
      } catch (error) {
        if (!isConflict(error)) throw error;
        done.staleRefused++;
      }
    },
    // The active key unlisted from keyring.json; its seed stays.
    async () => {
      await edit(name, (s) => {
        const keys = JSON.parse(Buffer.from(s.data![KEYRING_ENTRY]!, "base64").toString()) as {
          id: string;
          state: string;
        }[];
        const active = keys.find((k) => k.state === "active");
        if (!active) return undefined;
        done.unlisted.push(active.id);
        s.data![KEYRING_ENTRY] = b64(JSON.stringify(keys.filter((k) => k !== active)));
        return s;
      });
    },
  ];
  // Two writes back to back: the operator, woken by the first, writes on a cache the second has
  // already outdated, and its guarded apply is refused (409) instead of overwriting.
  moves.push(async () => {
    await moves[3]!();
    await moves[0]!();
  });
  return { done, moves };
}

describe("a second writer on the keyring Secret", () => {
  it(
    "never costs a live key: the operator repairs, reports and re-owns its fields",
    { timeout: 120_000 },
    async () => {
      const history = await recordKeyrings(kc, namespace);
      await lg.createServer("contested");
      await vi.waitFor(async () => expect((await read("contested")).data).toBeDefined(), poll);
      const { done, moves } = meddler("contested");
      const until = Date.now() + 4 * P;
      for (let i = 0; Date.now() < until; i++) {
        await moves[i % moves.length]!();
        await sleep(100 + Math.random() * 200);
      }

      // The operator settles on a keyring of its own: no junk, every key listed, its label back.
      await vi.waitFor(async () => {
        const s = await read("contested");
        const entries = Object.keys(s.data ?? {});
        expect(entries.filter((k) => k.startsWith("junk-"))).toEqual([]);
        const last = history.secrets.findLast((v) => v.server === "contested")!;
        expect(last.problems).toEqual([]);
      }, poll);
      await sleep(P);
      await history.stop();

      // No live key lost: an unlisted seed stayed as a retiring key for its grace period.
      expect(lostKeys(history)).toEqual([]);
      expect(unbackedKeys(history)).toEqual([]);
      for (const id of done.unlisted) {
        const kept = history.secrets.filter((v) =>
          v.keys.some((k) => k.id === id && k.state === "retiring"),
        );
        expect(kept.length, `unlisted key ${id} was not kept as retiring`).toBeGreaterThan(0);
      }
      // Rotations: only repairs come early, and no key is activated twice.
      const events = await rotationEvents(core, namespace);
      expect(repeatedEvents(events)).toEqual([]);
      const repaired = new Set([
        ...done.unlisted,
        ...events.filter((e) => e.reason === "Repaired").map((e) => e.keyId),
      ]);
      expect(doubleRotations(history, P, repaired)).toEqual([]);
      // Reported: a KEMKeyringRepaired Event for the unlisted keys.
      const repairs = (await core.listNamespacedEvent({ namespace })).items.filter(
        (e) => e.reason === "KEMKeyringRepaired" && e.involvedObject.name === "contested",
      );
      expect(done.unlisted.length).toBeGreaterThan(0);
      expect(repairs.length).toBeGreaterThan(0);
      // Every stale write was refused.
      expect(done.staleWritten).toBe(0);
      expect(done.staleRefused).toBeGreaterThan(0);
      // Server-side apply: `latticeguard` owns keyring.json and every seed again; the other writer keeps
      // only its label.
      const final = await read("contested");
      const owners = (field: string) =>
        (final.metadata!.managedFields ?? [])
          .filter((m) => JSON.stringify(m.fieldsV1 ?? {}).includes(`"f:${field}"`))
          .map((m) => `${m.manager}/${m.operation}`);
      for (const entry of Object.keys(final.data!))
        expect(owners(entry), entry).toEqual([`${FIELD_MANAGER}/Apply`]);
      expect(final.metadata!.labels![MEDDLER_LABEL]).toBeDefined();
      expect(owners(MEDDLER_LABEL)).toEqual([`${MEDDLER}/Update`]);
    },
  );

  it("takes back its keyring Secret after another writer removed the label it selects on", async () => {
    const history = await recordKeyrings(kc, namespace);
    await lg.createServer("unlabelled");
    const active = await vi.waitFor(async () => {
      const id = (await lg.readServer("unlabelled")).status?.kem?.activeKeyId;
      if (!id) throw new Error("no key yet");
      return id;
    }, poll);
    await core.patchNamespacedSecret({
      name: "unlabelled-kem",
      namespace,
      fieldManager: MEDDLER,
      body: [{ op: "remove", path: `/metadata/labels/${MANAGED_BY.replace("/", "~1")}` }],
    });
    // The operator's informer no longer sees the Secret; it must not mistake it for a deleted one.
    await vi.waitFor(async () => {
      expect((await read("unlabelled")).metadata!.labels?.[MANAGED_BY]).toBe("latticeguard");
    }, poll);
    // Rotation goes on from the keys the Secret holds: the active key retires on schedule.
    await vi.waitFor(async () => {
      const kem = (await lg.readServer("unlabelled")).status?.kem;
      expect(kem?.retiringKeyId).toBe(active);
    }, poll);
    await history.stop();
    expect(lostKeys(history)).toEqual([]);
    // Reported as a repair of the labels, not as a lost Secret whose keys were replaced.
    const repairs = (await core.listNamespacedEvent({ namespace })).items
      .filter((e) => e.reason === "KEMKeyringRepaired" && e.involvedObject.name === "unlabelled")
      .map((e) => e.message);
    expect(repairs).toEqual([
      expect.stringMatching(/restored label\(s\) app.kubernetes.io\/managed-by=latticeguard/),
    ]);
    const events = await rotationEvents(core, namespace);
    expect(
      events
        .filter((e) => e.server === "unlabelled")
        .map((e) => e.reason)
        .sort(),
    ).toEqual(["Initial", "Scheduled"]);
  });
});

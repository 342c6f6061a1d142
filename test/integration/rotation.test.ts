/**
 * Key rotation end to end, against the real API server with a real operator process: keys are created,
 * the next key is published before it is used, retired keys live exactly their grace period, a message
 * sealed with HPKE to a key still opens while that key retires and no longer can after, a policy change
 * swaps the algorithm, a lockdown drops every key, a Secret edited or deleted by hand is repaired, metrics
 * count what happened, and deleting the MCPServer deletes its keys.
 */
import type { CoreV1Api, CustomObjectsApi, V1ConfigMap, V1Secret } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { LOCKDOWN_ANNOTATION } from "../../operator/api/annotations.ts";
import { GROUP, VERSION } from "../../operator/api/crd.ts";
import { hpkePrivateKey, hpkePublicKey, hpkeSuite } from "../../operator/crypto/index.ts";
import { keyMaterial } from "../../operator/mcpserver/key-material.ts";
import { decodeKeyring, type PublishedKey } from "../../operator/mcpserver/keyring.ts";
import { firstPeriodFraction } from "../../operator/mcpserver/rotation.ts";
import { testNamespace } from "./harness.ts";
import { latticeguardObjects } from "./objects.ts";
import { startOperatorProcess, type OperatorProcess } from "./operator-process.ts";

const P = 4_000;
const G = 1_500;
const crypto = keyMaterial("noble");

let namespace: string;
let core: CoreV1Api;
let custom: CustomObjectsApi;
let lg: ReturnType<typeof latticeguardObjects>;
let operator: OperatorProcess;
const policyName = `rotation-${Math.random().toString(36).slice(2, 7)}`;
const kemSpec = (algorithms: string[]) => ({
  kem: { algorithms, rotationPeriod: `${P}ms`, gracePeriod: `${G}ms` },
});
const createServer = (name: string) => lg.createServer(name);
const server = (name: string) => lg.readServer(name);
const secret = (name: string): Promise<V1Secret | undefined> =>
  core.readNamespacedSecret({ name: `${name}-kem`, namespace }).catch(() => undefined);
const published = async (name: string): Promise<PublishedKey[]> => {
  const cm: V1ConfigMap | undefined = await core
    .readNamespacedConfigMap({ name: `${name}-kem-public`, namespace })
    .catch(() => undefined);
  return cm?.data?.["keys.json"] ? (JSON.parse(cm.data["keys.json"]) as PublishedKey[]) : [];
};
const keyring = async (name: string) => decodeKeyring((await secret(name))?.data, crypto);
const events = async (reason: string, object: string) =>
  (await core.listNamespacedEvent({ namespace })).items.filter(
    (e) => e.reason === reason && e.involvedObject.name === object,
  );
const poll = { timeout: 30_000, interval: 100 };

beforeAll(async () => {
  let kc;
  ({ kc, namespace } = await testNamespace("rotation"));
  lg = latticeguardObjects(kc, namespace);
  ({ core, custom } = lg);
  await lg.selectNamespace();
  await lg.createPolicy(policyName, kemSpec(["ML-KEM-768", "X-Wing"]));
  operator = await startOperatorProcess();
});

afterAll(async () => {
  await operator?.stop();
});

/** When each key of a server was first seen published as next, active and retiring, and its seed gone. */
async function observeKeyLives(name: string, forMs: number) {
  const seen = new Map<
    string,
    { next?: number; active?: number; retiring?: number; gone?: number }
  >();
  const until = Date.now() + forMs;
  while (Date.now() < until) {
    const now = Date.now();
    const [pub, ring] = await Promise.all([published(name), keyring(name)]);
    for (const k of pub) {
      const s = seen.get(k.keyId) ?? {};
      s[k.state] ??= now;
      seen.set(k.keyId, s);
    }
    for (const [id, s] of seen) if (s.retiring && !ring.seeds.has(id)) s.gone ??= now;
    await new Promise((r) => setTimeout(r, 100));
  }
  return [...seen.values()];
}

describe("key rotation", () => {
  it("publishes each key before it is used and deletes it exactly a grace period after it retires", async () => {
    await createServer("schedule");
    const lives = await observeKeyLives("schedule", 3 * P + G + 1_000);
    const activated = lives
      .filter((s) => s.active !== undefined)
      .sort((a, b) => a.active! - b.active!);
    expect(activated.length).toBeGreaterThanOrEqual(3);
    // Every key after the first was published as `next` before it became active.
    for (const s of activated.slice(1)) expect(s.next).toBeLessThan(s.active!);
    // The first key is active for the share of the period its server's UID gives (between P/2 and P);
    // every later key for a whole period (never twice in a period, never longer).
    const share = firstPeriodFraction((await server("schedule")).metadata.uid!);
    expect(Math.abs(activated[1]!.active! - activated[0]!.active! - share * P)).toBeLessThan(600);
    for (let i = 2; i < activated.length; i++) {
      expect(activated[i]!.active! - activated[i - 1]!.active!).toBeGreaterThan(P - 600);
      expect(activated[i]!.active! - activated[i - 1]!.active!).toBeLessThan(P + 600);
    }
    // A retired key's seed stays for the grace period, then goes.
    for (const s of lives.filter((x) => x.retiring && x.gone)) {
      expect(s.gone! - s.retiring!).toBeGreaterThan(G - 600);
      expect(s.gone! - s.retiring!).toBeLessThan(G + 2_000);
    }
    const status = (await server("schedule")).status!;
    expect(status.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
    expect(status.kem?.algorithm).toBe("ML-KEM-768");
    // Nothing but the keyring and the seeds of its keys is left in the Secret: deleted means deleted.
    const raw = (await secret("schedule"))!;
    const ring = decodeKeyring(raw.data, crypto);
    expect(Object.keys(raw.data ?? {}).sort()).toEqual(
      ["keyring.json", ...ring.keys.map((k) => k.id)].sort(),
    );
  });

  it("opens a message sealed to the previous key during its grace period, and not after", async () => {
    await createServer("hpke");
    const [active] = await vi.waitFor(async () => {
      const keys = await published("hpke");
      if (!keys.length) throw new Error("no key yet");
      return keys;
    }, poll);
    const suite = hpkeSuite(active!.algorithm);
    const sealed = await suite.seal(
      { recipientPublicKey: await hpkePublicKey(suite, Buffer.from(active!.publicKey, "base64")) },
      new TextEncoder().encode("harvest me later"),
    );
    const open = async (seed: Uint8Array) => {
      const recipientKey = await hpkePrivateKey(suite, seed);
      const plain = await suite.open({ recipientKey, enc: sealed.enc }, sealed.ct);
      return new TextDecoder().decode(plain);
    };
    // Rotation: the key retires, and its seed still opens the message.
    const seed = await vi.waitFor(async () => {
      const ring = await keyring("hpke");
      const k = ring.keys.find((x) => x.id === active!.keyId);
      if (k?.state !== "retiring") throw new Error(`key is ${k?.state ?? "gone"}`);
      return ring.seeds.get(k.id)!;
    }, poll);
    expect(await open(seed)).toBe("harvest me later");
    // After the grace period the seed is gone, and no key the server holds opens the message.
    await vi.waitFor(async () => {
      if ((await keyring("hpke")).seeds.has(active!.keyId)) throw new Error("still there");
    }, poll);
    const remaining = [...(await keyring("hpke")).seeds.values()];
    expect(remaining.length).toBeGreaterThan(0);
    for (const other of remaining) await expect(open(other)).rejects.toThrow();
  });

  it("re-keys at once when the policy stops allowing the algorithm", async () => {
    await createServer("swap");
    const before = await vi.waitFor(async () => {
      const s = await server("swap");
      if (!s.status?.kem?.activeKeyId) throw new Error("no key yet");
      return s.status.kem;
    }, poll);
    expect(before.algorithm).toBe("ML-KEM-768");
    await lg.replacePolicy(policyName, kemSpec(["ML-KEM-1024"]));
    const after = await vi.waitFor(async () => {
      const s = await server("swap");
      if (s.status?.kem?.algorithm !== "ML-KEM-1024") throw new Error("not swapped yet");
      return s.status.kem;
    }, poll);
    expect(after.activeKeyId).toMatch(/^mlkem1024-/);
    expect(
      await operator.metric("latticeguard_kem_rotations_total", {
        mcpserver: "swap",
        reason: "AlgorithmChanged",
      }),
    ).toBe(1);
    await lg.replacePolicy(policyName, kemSpec(["ML-KEM-768", "X-Wing"]));
  });

  it("on lockdown replaces the key at once, drops every other key, and does it once per request", async () => {
    await createServer("locked");
    await vi.waitFor(async () => {
      if ((await keyring("locked")).keys.length < 2) throw new Error("waiting for a second key");
    }, poll);
    const before = (await server("locked")).status!.kem!.activeKeyId;
    await custom.patchNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: "mcpservers",
      namespace,
      name: "locked",
      body: [
        {
          op: "add",
          path: "/metadata/annotations",
          value: { [LOCKDOWN_ANNOTATION]: "incident-42" },
        },
      ],
    });
    const ring = await vi.waitFor(async () => {
      const r = await keyring("locked");
      if (r.keys.some((k) => k.id === before)) throw new Error("old key still there");
      return r;
    }, poll);
    expect(ring.keys.map((k) => k.state)).toEqual(["active"]);
    // The Event is recorded after the Secret is written: wait for it, then make sure it stays one.
    await vi.waitFor(async () => expect(await events("Lockdown", "locked")).toHaveLength(1), poll);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await events("Lockdown", "locked")).toHaveLength(1);
    expect(
      await operator.metric("latticeguard_kem_rotations_total", {
        mcpserver: "locked",
        reason: "Lockdown",
      }),
    ).toBe(1);
  });

  it("repairs and reports a keyring Secret that was deleted or edited by hand", async () => {
    await createServer("repair");
    const first = await vi.waitFor(async () => {
      const s = await server("repair");
      if (!s.status?.kem?.activeKeyId) throw new Error("no key yet");
      return s.status.kem.activeKeyId;
    }, poll);
    await core.deleteNamespacedSecret({ name: "repair-kem", namespace });
    await vi.waitFor(async () => {
      const ring = await keyring("repair");
      if (!ring.keys.some((k) => k.state === "active" && k.id !== first))
        throw new Error("not repaired");
    }, poll);
    // Now corrupt the active key's seed: the operator must notice it no longer matches the key id.
    const current = (await secret("repair"))!;
    const active = decodeKeyring(current.data, crypto).keys.find((k) => k.state === "active")!;
    const bogus = crypto.generate(active.algorithm).seed;
    await core.patchNamespacedSecret({
      name: "repair-kem",
      namespace,
      body: [
        { op: "replace", path: `/data/${active.id}`, value: Buffer.from(bogus).toString("base64") },
      ],
    });
    await vi.waitFor(async () => {
      const ring = await keyring("repair");
      if (ring.problems.length || ring.keys.some((k) => k.id === active.id))
        throw new Error("not repaired");
    }, poll);
    await vi.waitFor(async () => {
      expect((await events("KEMKeyringRepaired", "repair")).length).toBeGreaterThanOrEqual(2);
    }, poll);
    expect(
      await operator.metric("latticeguard_kem_keyring_repairs_total", { mcpserver: "repair" }),
    ).toBeGreaterThanOrEqual(2);
    // An entry added by hand is not the operator's to keep: it is removed.
    await core.patchNamespacedSecret({
      name: "repair-kem",
      namespace,
      body: [{ op: "add", path: "/data/smuggled", value: Buffer.from("x").toString("base64") }],
    });
    await vi.waitFor(async () => {
      if ((await secret("repair"))?.data?.smuggled) throw new Error("still there");
    }, poll);
  });

  it("counts in its metrics exactly the rotations it reported as Events", async () => {
    const rotated = await events("KEMKeyRotated", "schedule");
    const counted = await operator.metric("latticeguard_kem_rotations_total", {
      mcpserver: "schedule",
    });
    // The server keeps rotating while we read: allow for one rotation between the two reads.
    expect(counted - rotated.length).toBeGreaterThanOrEqual(0);
    expect(counted - rotated.length).toBeLessThanOrEqual(1);
    expect(rotated.length).toBeGreaterThanOrEqual(3);
  });

  it("deletes the keys with the MCPServer", async () => {
    await vi.waitFor(async () => {
      if (!(await secret("hpke"))) throw new Error("no Secret yet");
    }, poll);
    await custom.deleteNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: "mcpservers",
      namespace,
      name: "hpke",
    });
    await vi.waitFor(async () => {
      if (await secret("hpke")) throw new Error("Secret still there");
      if ((await published("hpke")).length) throw new Error("ConfigMap still there");
    }, poll);
  });
});

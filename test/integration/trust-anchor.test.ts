/**
 * The cluster trust anchor end to end, against the real API server with a real operator process: the
 * anchor Secret and the trust bundle appear, a restart changes nothing, the bundle is copied into a
 * namespace once it has an MCPServer (and removed when it no longer has one), a Secret edited by hand is
 * repaired and reported, and, with a short lifetime, an anchor rotation keeps both anchors in the bundle
 * through the overlap so that a certificate issued by the old anchor still verifies after the switch, as one
 * issued by the new anchor does.
 *
 * The operator runs with this file's own namespace as its namespace, so the anchors, the bundle and the
 * Lease are this file's alone and are deleted with it.
 */
import {
  CoreV1Api,
  CustomObjectsApi,
  type V1ConfigMap,
  type V1Secret,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { GROUP, VERSION } from "../../operator/api/crd.ts";
import {
  createCsr,
  issueCertificate,
  nativeSignature,
  verifyCertificate,
  verifyCsr,
} from "../../operator/crypto/index.ts";
import type { StoredAnchor } from "../../operator/identity/anchor/material.ts";
import { anchorEntries, decodeAnchors } from "../../operator/identity/anchor/secret.ts";
import { BUNDLE_ENTRY, splitBundle } from "../../operator/identity/anchor/bundle.ts";
import { testNamespace } from "./harness.ts";
import { startOperatorProcess, type OperatorProcess } from "./operator-process.ts";

const DOMAIN = "anchor.test";
const BUNDLE = "latticeguard-trust-bundle";
const poll = { timeout: 30_000, interval: 100 };

let core: CoreV1Api;
let custom: CustomObjectsApi;
let opNamespace: string;
let appNamespace: string;
let operator: OperatorProcess | undefined;

beforeAll(async () => {
  let kc;
  ({ kc, namespace: opNamespace } = await testNamespace("trust-anchor"));
  ({ namespace: appNamespace } = await testNamespace("trust-apps"));
  core = kc.makeApiClient(CoreV1Api);
  custom = kc.makeApiClient(CustomObjectsApi);
});

afterAll(async () => {
  await operator?.stop();
});

const start = (extraArgs: string[] = []) =>
  startOperatorProcess({
    namespace: opNamespace,
    extraArgs: [`--trust-domain=${DOMAIN}`, ...extraArgs],
  });
const readSecret = (name: string): Promise<V1Secret | undefined> =>
  core.readNamespacedSecret({ name, namespace: opNamespace }).catch(() => undefined);
const readConfigMap = (namespace: string, name = BUNDLE): Promise<V1ConfigMap | undefined> =>
  core.readNamespacedConfigMap({ name, namespace }).catch(() => undefined);
const bundleOf = async (namespace: string, name = BUNDLE) =>
  (await readConfigMap(namespace, name))?.data?.[BUNDLE_ENTRY];
const events = async (reason: string, secret = "latticeguard-trust-anchor") =>
  (await core.listNamespacedEvent({ namespace: opNamespace })).items.filter(
    (e) =>
      e.reason === reason && e.involvedObject.kind === "Secret" && e.involvedObject.name === secret,
  );
/** The anchors in Secret `name` once it holds an active one. */
const anchorsOf = (name: string) =>
  vi.waitFor(async () => {
    const decoded = decodeAnchors((await readSecret(name))?.data);
    if (!decoded.anchors.some((a) => a.state === "active")) throw new Error("no active anchor");
    return decoded;
  }, poll);

async function createServer(name: string): Promise<void> {
  await custom.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    plural: "mcpservers",
    namespace: appNamespace,
    body: {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: "MCPServer",
      metadata: { name },
      spec: { selector: { matchLabels: { app: name } }, port: "mcp" },
    },
  });
}

/** A workload certificate from `anchor`, as the issuance API makes one: CSR, proof of possession, sign. */
async function issue(anchor: StoredAnchor, ttlMs: number): Promise<string> {
  const key = { algorithm: "ML-DSA-65" as const, seed: nativeSignature.generateSeed("ML-DSA-65") };
  const now = Math.max(Date.now() - 1_000, anchor.notBefore);
  return issueCertificate({
    issuer: {
      certificate: anchor.certificate,
      key: { algorithm: anchor.algorithm, seed: anchor.seed },
    },
    subjectKey: await verifyCsr(await createCsr({ key })),
    spiffeId: `spiffe://${DOMAIN}/ns/${appNamespace}/sa/search`,
    notBefore: new Date(now),
    notAfter: new Date(Math.min(now + ttlMs, anchor.notAfter)),
  });
}

describe("the trust anchor with production lifetimes", () => {
  it("creates the anchor Secret and publishes the bundle, and a restart changes neither", async () => {
    operator = await start();
    const { anchors, problems } = await anchorsOf("latticeguard-trust-anchor");
    expect(problems).toEqual([]);
    expect(anchors).toHaveLength(1);
    const [anchor] = anchors;
    expect(anchor).toMatchObject({ state: "active", algorithm: "ML-DSA-87", trustDomain: DOMAIN });
    expect(anchor!.notAfter - anchor!.notBefore).toBe(720 * 3_600_000);
    await vi.waitFor(async () => {
      expect(await bundleOf(opNamespace)).toBe(anchor!.certificate);
    }, poll);
    await vi.waitFor(async () => expect(await events("TrustAnchorCreated")).toHaveLength(1), poll);
    expect(
      await operator.metric("latticeguard_trust_anchor_rotations_total", { reason: "Initial" }),
    ).toBe(1);
    expect(
      await operator.metric("latticeguard_trust_anchor_expiry_timestamp_seconds", {
        anchor: anchor!.id,
        state: "active",
      }),
    ).toBe(anchor!.notAfter / 1000);

    const version = (await readSecret("latticeguard-trust-anchor"))!.metadata!.resourceVersion;
    await operator.kill();
    operator = await start();
    await vi.waitFor(async () => {
      const reconciled = await operator!.metric("latticeguard_reconcile_total", {
        controller: "trust-anchor",
      });
      if (reconciled < 1) throw new Error("the new leader has not reconciled the anchor yet");
    }, poll);
    expect((await readSecret("latticeguard-trust-anchor"))!.metadata!.resourceVersion).toBe(
      version,
    );
    expect(await operator.metric("latticeguard_trust_anchor_rotations_total")).toBe(0);
  });

  it("copies the bundle into a namespace once it has an MCPServer, and only while it has one", async () => {
    expect(await readConfigMap(appNamespace)).toBeUndefined();
    await createServer("search");
    const copy = await vi.waitFor(async () => {
      const cm = await readConfigMap(appNamespace);
      if (!cm) throw new Error("no copy yet");
      return cm;
    }, poll);
    expect(copy.data?.[BUNDLE_ENTRY]).toBe(await bundleOf(opNamespace));
    expect(copy.metadata?.labels).toMatchObject({
      "app.kubernetes.io/managed-by": "latticeguard",
      "latticeguard.dev/trust-bundle": "true",
    });

    // A second server in the namespace queues it again: the copy is equal, so it is not written again.
    const copies = () =>
      operator!.logs.filter((l) => l.msg === "Copied trust bundle" && l.namespace === appNamespace)
        .length;
    expect(copies()).toBe(1);
    await new Promise((r) => setTimeout(r, 300));
    const reconciled = () =>
      operator!.metric("latticeguard_reconcile_total", { controller: "trust-bundle" });
    const before = await reconciled();
    await createServer("weather");
    await vi.waitFor(async () => {
      if ((await reconciled()) <= before) throw new Error("not reconciled again yet");
    }, poll);
    await new Promise((r) => setTimeout(r, 300));
    expect(copies()).toBe(1);

    for (const name of ["search", "weather"]) {
      await custom.deleteNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: "mcpservers",
        namespace: appNamespace,
        name,
      });
    }
    await vi.waitFor(async () => {
      if (await readConfigMap(appNamespace)) throw new Error("copy still there");
    }, poll);
    expect(await readConfigMap(opNamespace)).toBeDefined();
  });

  it("copies the bundle where a client pod names an MCPServer to connect to, and only while it does", async () => {
    expect(await readConfigMap(appNamespace)).toBeUndefined();
    await vi.waitFor(
      () => core.readNamespacedServiceAccount({ name: "default", namespace: appNamespace }),
      poll,
    );
    const client = {
      metadata: { name: "planner", annotations: { "latticeguard.dev/connect": "mcp/search" } },
      spec: { containers: [{ name: "agent", image: "example.com/agent:1" }] },
    };
    await core.createNamespacedPod({ namespace: appNamespace, body: client });
    const copy = await vi.waitFor(async () => {
      const cm = await readConfigMap(appNamespace);
      if (!cm) throw new Error("no copy for the client pod yet");
      return cm;
    }, poll);
    expect(copy.data?.[BUNDLE_ENTRY]).toBe(await bundleOf(opNamespace));
    await core.deleteNamespacedPod({
      name: "planner",
      namespace: appNamespace,
      gracePeriodSeconds: 0,
    });
    await vi.waitFor(async () => {
      if (await readConfigMap(appNamespace)) throw new Error("copy still there");
    }, poll);
  });

  it("restores the label of an anchor Secret someone removed it from, and keeps its anchors", async () => {
    const before = await anchorsOf("latticeguard-trust-anchor");
    await core.patchNamespacedSecret({
      name: "latticeguard-trust-anchor",
      namespace: opNamespace,
      body: [{ op: "remove", path: "/metadata/labels/app.kubernetes.io~1managed-by" }],
    });
    await vi.waitFor(async () => {
      const secret = await readSecret("latticeguard-trust-anchor");
      expect(secret?.metadata?.labels?.["app.kubernetes.io/managed-by"]).toBe("latticeguard");
    }, poll);
    // No anchor was made in its place: the same anchors, the same seeds.
    expect((await anchorsOf("latticeguard-trust-anchor")).anchors).toEqual(before.anchors);
  });

  it("repairs and reports an anchor Secret whose seed no longer matches its certificate", async () => {
    await createServer("repair");
    const { anchors } = await anchorsOf("latticeguard-trust-anchor");
    const old = anchors[0]!;
    const bogus = Buffer.from(nativeSignature.generateSeed("ML-DSA-87")).toString("base64");
    await core.patchNamespacedSecret({
      name: "latticeguard-trust-anchor",
      namespace: opNamespace,
      body: [{ op: "replace", path: `/data/${anchorEntries(old.id).seed}`, value: bogus }],
    });
    const repaired = await vi.waitFor(async () => {
      const decoded = decodeAnchors((await readSecret("latticeguard-trust-anchor"))?.data);
      const active = decoded.anchors.find((a) => a.state === "active");
      if (decoded.problems.length || !active || active.id === old.id) throw new Error("not yet");
      return active;
    }, poll);
    // Both entries of the bad anchor go: the certificate with the apply, and the seed, which the edit
    // made someone else's, with the guarded patch that sweeps entries no anchor names.
    await vi.waitFor(async () => {
      const data = (await readSecret("latticeguard-trust-anchor"))!.data!;
      expect(data[anchorEntries(old.id).certificate]).toBeUndefined();
      expect(data[anchorEntries(old.id).seed]).toBeUndefined();
    }, poll);
    await vi.waitFor(async () => {
      expect(await bundleOf(appNamespace)).toBe(repaired.certificate);
    }, poll);
    const warnings = await vi.waitFor(async () => {
      const found = await events("TrustAnchorRepaired");
      expect(found).toHaveLength(1);
      return found;
    }, poll);
    expect(warnings[0]!.type).toBe("Warning");
    expect(warnings[0]!.message).toContain(`anchor ${old.id} has a seed that does not match`);
    expect(warnings[0]!.message).not.toContain(bogus);
    expect(await operator!.metric("latticeguard_trust_anchor_repairs_total")).toBe(1);
    expect(
      await operator!.metric("latticeguard_trust_anchor_rotations_total", { reason: "Repaired" }),
    ).toBe(1);
  });

  afterAll(async () => {
    await operator?.stop();
    operator = undefined;
  });
});

describe("the trust anchor rotating with a short lifetime", () => {
  // L = 30 s: the next anchor is published at 15 s, signs from 20 s, and the old one leaves at 30 s.
  // Identities last at most 9 s (< L/3), so what the old anchor signed just before the switch is still
  // valid after it.
  const SECRET = "rotating-anchor";
  const ROTATING_BUNDLE = "rotating-bundle";
  const TTL = 9_000;

  it("keeps both anchors in the bundle through the overlap, so old and new identities verify", async () => {
    operator = await start([
      "--trust-anchor-lifetime=30s",
      "--max-identity-ttl=9s",
      `--trust-anchor-secret=${SECRET}`,
      `--trust-bundle-configmap=${ROTATING_BUNDLE}`,
    ]);
    await createServer("rotating");
    const first = (await anchorsOf(SECRET)).anchors[0]!;
    const bundle = async () => splitBundle((await bundleOf(opNamespace, ROTATING_BUNDLE)) ?? "");

    // Overlap before the switch: the next anchor is published, the old one still signs.
    const overlap = await vi.waitFor(
      async () => {
        const pems = await bundle();
        if (pems.length < 2) throw new Error("next anchor not published yet");
        return pems;
      },
      { timeout: 25_000, interval: 100 },
    );
    expect(overlap[0]).toBe(first.certificate);
    const { anchors: prepared } = decodeAnchors((await readSecret(SECRET))?.data);
    expect(prepared.map((a) => a.state)).toEqual(["active", "next"]);
    const next = prepared[1]!;
    expect(next.notBefore - first.notBefore).toBeGreaterThanOrEqual(15_000);
    // Issued by the old anchor just before the switch, so it is still valid well after it.
    await new Promise((r) => setTimeout(r, Math.max(0, first.notBefore + 19_000 - Date.now())));
    const oldLeaf = await issue(first, TTL);

    // The switch: the new anchor signs, the old one is still trusted.
    const switched = await vi.waitFor(
      async () => {
        const { anchors } = decodeAnchors((await readSecret(SECRET))?.data);
        const active = anchors.find((a) => a.state === "active");
        if (active?.id !== next.id) throw new Error("not switched yet");
        const pems = await bundle();
        if (pems[0] !== next.certificate) throw new Error("bundle not updated yet");
        return pems;
      },
      { timeout: 15_000, interval: 100 },
    );
    expect(switched).toEqual([next.certificate, first.certificate]);
    expect(Date.now() - first.notBefore).toBeGreaterThanOrEqual(20_000);
    const newLeaf = await issue(next, TTL);
    await expect(verifyCertificate(oldLeaf, switched)).resolves.toMatchObject({
      spiffeId: `spiffe://${DOMAIN}/ns/${appNamespace}/sa/search`,
    });
    await expect(verifyCertificate(newLeaf, switched)).resolves.toBeDefined();
    await expect(verifyCertificate(oldLeaf, [next.certificate])).rejects.toThrow(
      /not signed by any CA/,
    );
    // The copy in the namespace with an MCPServer follows the source.
    await vi.waitFor(async () => {
      expect(splitBundle((await bundleOf(appNamespace, ROTATING_BUNDLE)) ?? "")).toEqual(switched);
    }, poll);

    // At the old anchor's notAfter it leaves the bundle and its seed leaves the Secret.
    await vi.waitFor(
      async () => {
        const data = (await readSecret(SECRET))?.data ?? {};
        if (Object.keys(data).some((k) => k.startsWith(first.id))) throw new Error("still there");
      },
      { timeout: 15_000, interval: 100 },
    );
    expect(Date.now()).toBeGreaterThanOrEqual(first.notAfter);
    expect(await bundle()).not.toContain(first.certificate);
    expect(await bundle()).toContain(next.certificate);
    await vi.waitFor(async () => {
      expect(await events("TrustAnchorRotated", SECRET)).not.toHaveLength(0);
      expect(await events("TrustAnchorRetired", SECRET)).not.toHaveLength(0);
    }, poll);
    expect(
      await operator.metric("latticeguard_trust_anchor_rotations_total", { reason: "Scheduled" }),
    ).toBe(1);
  }, 90_000);
});

/**
 * The runtime CBOM against the real API server: a real operator rotates two MCPServers' keys fast
 * (active, next and retiring at once for part of each period) and issues an identity to one pod;
 * `latticeguard cbom` then writes a CBOM that the CycloneDX 1.6 schema accepts, names every key id
 * `kubectl get mcpservers` shows, reports the identity, the trust anchor, the webhook's certificate and
 * the classical pods, and holds none of the secrets behind them (the keyring seeds, the anchor's seed,
 * the webhook's private keys, the workload's key). The operator serves the same CBOM on `GET /v1/cbom`
 * to a caller allowed to list CryptoPolicies, and to nobody else.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { RbacAuthorizationV1Api, type CoreV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { kubectl } from "../../hack/kubectl.ts";
import { repoRoot } from "../../hack/tools.ts";
import { TRANSPORT_ANNOTATION } from "../../operator/api/annotations.ts";
import type { MCPServer } from "../../operator/api/types.generated.ts";
import { CBOM_AUDIENCE } from "../../operator/cbom/access.ts";
import { cbomSchemaErrors, secretForms } from "../../operator/cbom/testing.ts";
import { DEFAULT_AUDIENCE } from "../../operator/identity/issuer/issuer.ts";
import { postToIssuer } from "../../operator/identity/issuer/test-client.ts";
import { agentIdentity, type AgentResult } from "./agent-identity.ts";
import { kubeconfigPath, testNamespace } from "./harness.ts";
import { podToken } from "./identity-harness.ts";
import { latticeguardObjects } from "./objects.ts";
import { startOperatorProcess, type OperatorProcess } from "./operator-process.ts";

const OPERATOR_NS = "latticeguard-system";
let namespace: string;
let core: CoreV1Api;
let rbac: RbacAuthorizationV1Api;
let operator: OperatorProcess;
let issuerPort: number;
let agent: AgentResult;
const poll = { timeout: 30_000, interval: 250 };

interface Bom {
  metadata: { properties?: { name: string; value: string }[] };
  components: {
    "bom-ref": string;
    cryptoProperties: Record<string, unknown>;
    properties?: { name: string; value: string }[];
  }[];
}

/** Runs `latticeguard cbom` as a user would; resolves with its stdout, having checked it read everything. */
async function runCbom(): Promise<string> {
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    [
      "operator/bin/latticeguard.mjs",
      "cbom",
      `--kubeconfig=${kubeconfigPath()}`,
      `--namespace=${OPERATOR_NS}`,
    ],
    { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 },
  );
  // Nothing left out: every read succeeded (stderr names each gap).
  expect(stderr).not.toContain("latticeguard cbom:");
  return stdout;
}

/** The key ids `kubectl get mcpservers` shows, by server. */
async function statusKeyIds(): Promise<Record<string, string[]>> {
  const list = JSON.parse(
    await kubectl(kubeconfigPath(), ["get", "mcpservers", "-n", namespace, "-o", "json"]),
  ) as { items: MCPServer[] };
  return Object.fromEntries(
    list.items.map((s) => {
      const kem = s.status?.kem;
      const ids = [kem?.activeKeyId, kem?.nextKeyId, kem?.retiringKeyId].filter(Boolean);
      return [s.metadata.name!, ids as string[]];
    }),
  );
}

/** Every secret the CBOM must not hold: seeds and private keys, whatever their form. */
async function secrets(): Promise<(Uint8Array | string)[]> {
  const secret = (ns: string, name: string) => core.readNamespacedSecret({ namespace: ns, name });
  const entries = async (ns: string, name: string, keep: (entry: string) => boolean) =>
    Object.entries((await secret(ns, name)).data ?? {})
      .filter(([entry]) => keep(entry))
      .map(([, value]) => Buffer.from(value, "base64"));
  const seeds = [
    ...(await entries(namespace, "weather-kem", (e) => e !== "keyring.json")),
    ...(await entries(namespace, "search-kem", (e) => e !== "keyring.json")),
    ...(await entries(OPERATOR_NS, "latticeguard-trust-anchor", (e) => e.endsWith(".seed"))),
  ];
  const pems = (
    await entries(OPERATOR_NS, "latticeguard-webhook-tls", (e) => e.endsWith(".key"))
  ).map((b) => b.toString("utf8"));
  pems.push(await readFile(join(agent.outDir, "key.pem"), "utf8"));
  expect(seeds.length).toBeGreaterThanOrEqual(3);
  expect(pems.length).toBe(3);
  return [...seeds, ...pems];
}

const component = (bom: Bom, ref: string) => bom.components.find((c) => c["bom-ref"] === ref);
const property = (
  c: { properties?: { name: string; value: string }[] } | undefined,
  name: string,
) => c?.properties?.filter((p) => p.name === name).map((p) => p.value);

beforeAll(async () => {
  let kc;
  ({ kc, namespace } = await testNamespace("cbom"));
  const lg = latticeguardObjects(kc, namespace);
  core = lg.core;
  rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  await lg.selectNamespace();
  // Every 12 s a new key; the old one is kept 11 s: from 6 s into each period to 11 s, all three states.
  await lg.createPolicy(`cbom-${namespace}`, {
    kem: {
      algorithms: ["ML-KEM-768", "X-Wing"],
      rotationPeriod: "12s",
      gracePeriod: "11s",
    },
    identity: { algorithms: ["ML-DSA-65"], ttl: "10m" },
  });
  await lg.createServer("weather");
  await lg.createServer("search", { kem: { algorithm: "X-Wing" } });
  const pod = (name: string, labels: Record<string, string>, transport?: string) =>
    core.createNamespacedPod({
      namespace,
      body: {
        metadata: {
          name,
          labels,
          ...(transport && { annotations: { [TRANSPORT_ANNOTATION]: transport } }),
        },
        spec: {
          containers: [
            {
              name: "server",
              image: "example.com/mcp:1",
              ports: [{ name: "mcp", containerPort: 8443 }],
            },
          ],
        },
      },
    });
  await vi.waitFor(() => core.readNamespacedServiceAccount({ name: "default", namespace }), poll);
  await pod("weather-1", { app: "weather" }, "X25519MLKEM768");
  await pod("legacy-0", { app: "weather" }, "X25519");
  await pod("shadow-0", { app: "shadow" });
  operator = await startOperatorProcess();
  const started = operator.logs.find((l) => l.msg === "Started operator")!;
  issuerPort = started.issuerPort as number;
  agent = await agentIdentity(core, {
    namespace,
    pod: "weather-0",
    serviceAccount: "weather",
    labels: { app: "weather" },
    issuerPort,
  });
  // The issuance API records the identity in status after it answers.
  await vi.waitFor(
    async () => expect((await lg.readServer("weather")).status?.identity).toBeDefined(),
    poll,
  );
});

afterAll(async () => {
  await operator?.stop();
  const name = `cbom-reader-${namespace}`;
  await rbac.deleteClusterRoleBinding({ name }).catch(() => undefined);
  await rbac.deleteClusterRole({ name }).catch(() => undefined);
});

it("writes a valid CBOM naming every key kubectl shows, the identity and the classical pods, and no secret", async () => {
  // Wait until status names all three keys of weather, then take a CBOM between two identical reads
  // of the status, so no rotation fell between them. Search's keys are whatever status shows then:
  // its first period is its own share of the rotation period, so its three-key stretch need not
  // coincide with weather's.
  const { json, ids } = await vi.waitFor(
    async () => {
      const before = await statusKeyIds();
      expect(before.weather).toHaveLength(3);
      expect(before.search?.length).toBeGreaterThan(0);
      const out = await runCbom();
      expect(await statusKeyIds()).toEqual(before);
      return { json: out, ids: [...before.weather!, ...before.search!] };
    },
    { timeout: 60_000, interval: 500 },
  );
  expect(await cbomSchemaErrors(json)).toBeNull();
  const bom = JSON.parse(json) as Bom;
  expect(property(bom.metadata, "latticeguard:gap")).toEqual([]);
  for (const id of ids) {
    const server = id.startsWith("xwing") ? "search" : "weather";
    const key = component(bom, `kem-key/${namespace}/${server}/${id}`);
    expect(key?.cryptoProperties, id).toMatchObject({
      assetType: "related-crypto-material",
      relatedCryptoMaterialProperties: { type: "public-key", id },
    });
  }
  const states = (server: string) =>
    bom.components
      .filter((c) => c["bom-ref"].startsWith(`kem-key/${namespace}/${server}/`))
      .map((c) => property(c, "latticeguard:keyState")![0])
      .sort();
  expect(states("weather")).toEqual(expect.arrayContaining(["active", "next", "retiring"]));
  expect(component(bom, "algorithm/X-Wing")?.cryptoProperties).toMatchObject({
    oid: "1.3.6.1.4.1.62253.25722",
  });

  const identity = component(bom, `identity/${namespace}/weather`);
  expect(identity?.cryptoProperties).toMatchObject({
    assetType: "certificate",
    certificateProperties: { notValidAfter: agent.identity.notAfter.toISOString() },
  });
  expect(property(identity, "latticeguard:subjectKeyAlgorithm")).toEqual(["ML-DSA-65"]);
  const roles = bom.components.flatMap((c) => property(c, "latticeguard:role") ?? []);
  expect(roles).toEqual(
    expect.arrayContaining(["trust-anchor-signing", "webhook-serving", "webhook-ca"]),
  );
  expect(property(component(bom, `finding/${namespace}/legacy-0`), "latticeguard:finding")).toEqual(
    ["ClassicalGroup"],
  );
  expect(property(component(bom, `finding/${namespace}/shadow-0`), "latticeguard:finding")).toEqual(
    ["NoTransportDeclared"],
  );
  expect(component(bom, `finding/${namespace}/weather-1`)).toBeUndefined();
  expect(
    property(component(bom, `tls/mcpserver/${namespace}/weather`), "latticeguard:claimingPods"),
  ).toEqual(["X25519MLKEM768=1"]);

  for (const secret of await secrets())
    for (const form of secretForms(secret))
      expect(json.includes(form), "a secret in the CBOM").toBe(false);
  const published = await core.readNamespacedConfigMap({ namespace, name: "weather-kem-public" });
  for (const key of JSON.parse(published.data!["keys.json"]!) as { publicKey: string }[])
    expect(json).not.toContain(key.publicKey.slice(0, 64));
}, 120_000);

it("serves the CBOM on GET /v1/cbom to a caller allowed to list CryptoPolicies, and to nobody else", async () => {
  const name = `cbom-reader-${namespace}`;
  for (const sa of ["cbom-reader", "nobody"])
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: sa } } });
  await rbac.createClusterRole({
    body: {
      metadata: { name },
      rules: [{ apiGroups: ["latticeguard.dev"], resources: ["cryptopolicies"], verbs: ["list"] }],
    },
  });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
      subjects: [{ kind: "ServiceAccount", name: "cbom-reader", namespace }],
    },
  });
  const get = async (token?: string) =>
    postToIssuer({
      port: issuerPort,
      trust: agent.bundle,
      method: "GET",
      path: "/v1/cbom",
      ...(token && { token }),
    });
  const allowed = await vi.waitFor(async () => {
    const res = await get(await podToken(namespace, "cbom-reader", undefined, CBOM_AUDIENCE));
    expect(res.status).toBe(200);
    return res;
  }, poll);
  expect(allowed.headers["content-type"]).toMatch(
    /^application\/vnd\.cyclonedx\+json; version=1\.6/,
  );
  expect(allowed.group).toBe("X25519MLKEM768");
  const json = JSON.stringify(allowed.json);
  expect(await cbomSchemaErrors(json)).toBeNull();
  const bom = allowed.json as unknown as Bom;
  expect(property(bom.metadata, "latticeguard:source")?.[0]).toMatch(/^latticeguard operator /);
  expect(property(bom.metadata, "latticeguard:gap")).toEqual([]);
  const { weather } = await statusKeyIds();
  expect(json).toContain(`"id":"${weather![0]}"`);

  const forbidden = await get(await podToken(namespace, "nobody", undefined, CBOM_AUDIENCE));
  expect(forbidden.status).toBe(403);
  expect(forbidden.json).toMatchObject({ reason: "Forbidden" });
  expect((await get()).status).toBe(401);
  // A token for the issuance API is not one for the CBOM.
  const identityToken = await podToken(namespace, "cbom-reader", undefined, DEFAULT_AUDIENCE);
  expect((await get(identityToken)).status).toBe(401);

  expect(
    await operator.metric("latticeguard_cbom_requests_total", { result: "served" }),
  ).toBeGreaterThanOrEqual(1);
  expect(await operator.metric("latticeguard_cbom_requests_total", { result: "forbidden" })).toBe(
    1,
  );
  expect(
    await operator.metric("latticeguard_cbom_requests_total", { result: "unauthenticated" }),
  ).toBe(2);
});

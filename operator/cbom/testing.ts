/**
 * For the CBOM's tests: the official CycloneDX 1.6 JSON schema as a validator (the library ships the
 * schema; its validator needs ajv, ajv-formats and ajv-formats-draft2019, development dependencies), and
 * a cluster snapshot made the way production makes its parts: keys from the real KEM backend and
 * published as the reconciler publishes them, a real ML-DSA trust anchor, a real ECDSA webhook CA and
 * serving certificate. The secrets behind them (seeds, private keys) are returned too, so tests can show
 * none reaches the CBOM.
 *
 * @example
 * const { snapshot, secrets } = await sampleSnapshot(now);
 * const json = serializeCbom(buildCbom(inventoryOf(snapshot, now.getTime()), now));
 * expect(await cbomSchemaErrors(json)).toBeNull();
 */
import { Spec, Validation } from "@cyclonedx/cyclonedx-library";
import type { V1Pod } from "@kubernetes/client-node";
import type { KemAlgorithm } from "../api/algorithms.ts";
import { TRANSPORT_ANNOTATION } from "../api/annotations.ts";
import type { MCPServer } from "../api/types.generated.ts";
import { testAnchor, testWorkload } from "../crypto/testdata/identities.ts";
import { keyMaterial } from "../mcpserver/key-material.ts";
import { keyringStatus, publishKeys } from "../mcpserver/keyring.ts";
import type { KeyRecord } from "../mcpserver/rotation.ts";
import { cryptoPolicy } from "../policy/testing.ts";
import { DAY_MS, createCA, issueServing } from "../tls/certs.ts";
import type { PodRecord } from "./findings.ts";
import type { ClusterSnapshot } from "./inventory-of.ts";

const validator = new Validation.JsonValidator(Spec.Version.v1dot6);

/**
 * The CycloneDX 1.6 schema's complaints about `json` (ajv errors), or null when it is valid.
 *
 * @example
 * expect(await cbomSchemaErrors(json)).toBeNull();
 */
export async function cbomSchemaErrors(json: string): Promise<unknown> {
  return validator.validate(json);
}

/**
 * Every textual form a secret may take in a document: base64 (with and without padding), base64url,
 * hex in both cases; for a PEM private key, each line of its body.
 *
 * @example
 * for (const form of secretForms(seed)) expect(json).not.toContain(form);
 */
export function secretForms(secret: Uint8Array | string): string[] {
  if (typeof secret === "string")
    return secret.split("\n").filter((line) => line.length >= 16 && !line.startsWith("-----"));
  const bytes = Buffer.from(secret);
  const b64 = bytes.toString("base64");
  const hex = bytes.toString("hex");
  return [b64, b64.replace(/=+$/, ""), bytes.toString("base64url"), hex, hex.toUpperCase()];
}

const MINUTE_MS = 60_000;
const kem = keyMaterial("auto");

/** An MCPServer with a keyring of `states`, published as the reconciler publishes it. */
function serverWithKeys(
  namespace: string,
  name: string,
  algorithm: KemAlgorithm,
  states: KeyRecord["state"][],
  now: number,
) {
  const seeds = new Map<string, Uint8Array>();
  const keys: KeyRecord[] = states.map((state, i) => {
    const { id, seed } = kem.generate(algorithm);
    seeds.set(id, seed);
    const activatedAt = now - (states.length - i) * MINUTE_MS;
    return {
      id,
      algorithm,
      state,
      createdAt: activatedAt - MINUTE_MS,
      ...(state !== "next" && { activatedAt }),
      ...(state === "retiring" && { retireAt: now + 10 * MINUTE_MS }),
    };
  });
  const periods = { rotationPeriodMs: 60 * MINUTE_MS, gracePeriodMs: 15 * MINUTE_MS };
  const published = publishKeys(keys, seeds, kem, periods);
  const server: MCPServer = {
    apiVersion: "latticeguard.dev/v1alpha1",
    kind: "MCPServer",
    metadata: { name, namespace },
    spec: { selector: { matchLabels: { app: name } }, port: "mcp", transport: "streamable-http" },
    status: { kem: keyringStatus(keys, periods.rotationPeriodMs) },
  };
  return { server, keysJson: JSON.stringify(published, null, 2), seeds, published };
}

function pod(namespace: string, name: string, labels: Record<string, string>, transport?: string) {
  const record: PodRecord = {
    metadata: {
      namespace,
      name,
      labels,
      ...(transport && { annotations: { [TRANSPORT_ANNOTATION]: transport } }),
    },
    spec: { containers: [{ name: "server", ports: [{ name: "mcp", containerPort: 8443 }] }] },
  };
  return record satisfies Pick<V1Pod, "metadata">;
}

/**
 * What {@link sampleSnapshot} makes, and the secrets behind it.
 *
 * @example
 * const { snapshot, secrets, keyIds } = await sampleSnapshot(now);
 */
export interface Sample {
  snapshot: ClusterSnapshot;
  /** Seeds and private keys (PEM) that exist behind the snapshot's public parts. */
  secrets: (Uint8Array | string)[];
  /** Public keys (base64) as `keys.json` publishes them. */
  publicKeys: string[];
  /** Every key id status or keys.json names. */
  keyIds: string[];
}

/**
 * A small cluster at `now`: namespace `mcp` (policy `baseline`, Audit) with MCPServers `weather`
 * (ML-KEM-768: active, next, retiring) and `search` (X-Wing, active), a compliant pod, a pod declaring
 * X25519, one declaring nothing and an MCP pod no server covers; namespace `legacy` with no policy; the
 * trust bundle, a workload identity recorded on `weather`, and the webhook's certificates.
 *
 * @example
 * const { snapshot } = await sampleSnapshot(new Date());
 */
export async function sampleSnapshot(now: Date): Promise<Sample> {
  const t = now.getTime();
  const weather = serverWithKeys("mcp", "weather", "ML-KEM-768", ["retiring", "active", "next"], t);
  const search = serverWithKeys("mcp", "search", "X-Wing", ["active"], t);
  weather.server.status!.identity = {
    algorithm: "ML-DSA-65",
    lastIssuanceTime: new Date(t - MINUTE_MS).toISOString(),
    lastIssuedNotAfter: new Date(t + 59 * MINUTE_MS).toISOString(),
  };
  const anchor = await testAnchor({ now });
  const workload = await testWorkload(anchor, { serviceAccount: "weather", now });
  const ca = await createCA(now, 365 * DAY_MS);
  const serving = await issueServing(
    ca,
    { dns: ["latticeguard-webhook.lg.svc"], ips: [] },
    now,
    DAY_MS,
  );
  const snapshot: ClusterSnapshot = {
    source: "test",
    servers: [weather.server, search.server],
    policies: [cryptoPolicy("baseline", { namespaceSelector: { matchLabels: { tier: "mcp" } } })],
    namespaceLabels: { mcp: { tier: "mcp" }, legacy: {} },
    pods: [
      pod("mcp", "weather-0", { app: "weather" }, "X25519MLKEM768"),
      pod("mcp", "weather-1", { app: "weather" }, "X25519"),
      pod("mcp", "search-0", { app: "search" }),
      pod("legacy", "shadow-0", { app: "shadow" }, "SecP256r1MLKEM768"),
      {
        metadata: { namespace: "mcp", name: "web-0", labels: { app: "web" } },
        spec: { containers: [] },
      },
    ],
    publicKeys: {
      "mcp/weather-kem-public": weather.keysJson,
      "mcp/search-kem-public": search.keysJson,
    },
    trustBundle: { source: "ConfigMap lg/latticeguard-trust-bundle", pem: anchor.certificate },
    webhook: {
      source: "Secret lg/latticeguard-webhook-tls",
      serving: serving.cert,
      cas: [ca.cert],
    },
    served: [{ name: "issuance API", groups: ["X25519MLKEM768", "SecP256r1MLKEM768"] }],
    observedTransport: [],
    gaps: [],
  };
  return {
    snapshot,
    secrets: [
      ...weather.seeds.values(),
      ...search.seeds.values(),
      anchor.key.seed,
      workload.keyPem,
      ca.key,
      serving.key,
    ],
    publicKeys: [...weather.published, ...search.published].map((k) => k.publicKey),
    keyIds: [...weather.published, ...search.published].map((k) => k.keyId),
  };
}

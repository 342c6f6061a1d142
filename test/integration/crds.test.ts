/**
 * The CRDs against the real API server: they install and are served, the samples are accepted, defaults
 * are filled in, `kubectl explain` and `kubectl get` teach the API, and every invalid object in the table
 * is rejected with a message that names the offending field.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  ApiException,
  ApiextensionsV1Api,
  CustomObjectsApi,
  type KubeConfig,
} from "@kubernetes/client-node";
import { beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { kubectl, tryKubectl } from "../../hack/kubectl.ts";
import { repoRoot } from "../../hack/tools.ts";
import { GROUP, VERSION } from "../../operator/api/crd.ts";
import type { CryptoPolicy, MCPServer } from "../../operator/api/types.generated.ts";
import { kubeconfigPath, testNamespace } from "./harness.ts";

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
} & Record<string, unknown>;

let kc: KubeConfig;
let namespace: string;
let objects: CustomObjectsApi;
const suffix = Math.random().toString(36).slice(2, 7);

beforeAll(async () => {
  ({ kc, namespace } = await testNamespace("crds"));
  objects = kc.makeApiClient(CustomObjectsApi);
});

/**
 * Creates a LatticeGuard object (for real, or as a server-side dry run) and returns what the server stored.
 * MCPServers go into this file's namespace.
 */
async function create(obj: Obj, dryRun = false): Promise<Obj> {
  const common = { group: GROUP, version: VERSION, ...(dryRun && { dryRun: "All" }) };
  if (obj.kind === "CryptoPolicy") {
    return (await objects.createClusterCustomObject({
      ...common,
      plural: "cryptopolicies",
      body: obj,
    })) as Obj;
  }
  const body = { ...obj, metadata: { ...obj.metadata, namespace } };
  return (await objects.createNamespacedCustomObject({
    ...common,
    plural: "mcpservers",
    namespace,
    body,
  })) as Obj;
}

/** The API server's rejection of `obj`, or a failure if it was accepted. */
async function rejection(obj: Obj): Promise<{ code: number; message: string }> {
  try {
    await create(obj, true);
  } catch (error) {
    if (!(error instanceof ApiException)) throw error;
    const status = JSON.parse(String(error.body)) as { message: string };
    return { code: error.code, message: status.message };
  }
  throw new Error(`${obj.kind} was accepted but should have been rejected`);
}

function policy(spec: Record<string, unknown>): Obj {
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: "CryptoPolicy",
    metadata: { name: `invalid-${suffix}` },
    spec,
  };
}

function server(spec: Record<string, unknown>): Obj {
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: "MCPServer",
    metadata: { name: "invalid" },
    spec: { selector: { matchLabels: { app: "mcp" } }, port: "mcp", ...spec },
  };
}

describe("the CRDs", () => {
  it("are established with the names, scope, short names and status subresource of the design", async () => {
    const api = kc.makeApiClient(ApiextensionsV1Api);
    for (const [name, scope, shortName] of [
      [`mcpservers.${GROUP}`, "Namespaced", "mcp"],
      [`cryptopolicies.${GROUP}`, "Cluster", "cpol"],
    ] as const) {
      const crd = await api.readCustomResourceDefinition({ name });
      expect(crd.spec.scope).toBe(scope);
      expect(crd.spec.names.shortNames).toContain(shortName);
      expect(crd.spec.versions[0]?.subresources?.status).toBeDefined();
      const established = crd.status?.conditions?.find((c) => c.type === "Established");
      expect(established?.status).toBe("True");
    }
  });

  it("accept every sample in config/samples", async () => {
    const dir = join(repoRoot, "config/samples");
    for (const file of ["cryptopolicy.yaml", "mcpserver.yaml"]) {
      const docs = parseAllDocuments(await readFile(join(dir, file), "utf8"));
      for (const doc of docs) {
        const obj = doc.toJS() as Obj;
        if (obj.kind === "Namespace") continue;
        // Keep the sample as written, but under a name of its own (and in this file's namespace).
        obj.metadata.name = `${obj.metadata.name}-${suffix}`;
        const stored = await create(obj);
        expect(stored.spec).toMatchObject(obj.spec as object);
        if (obj.kind === "CryptoPolicy") {
          await objects.deleteClusterCustomObject({
            group: GROUP,
            version: VERSION,
            plural: "cryptopolicies",
            name: obj.metadata.name,
          });
        }
      }
    }
  });

  it("fill in the defaults of a CryptoPolicy with an empty spec", async () => {
    const stored = (await create(policy({}), true)) as unknown as CryptoPolicy;
    expect(stored.spec).toEqual({
      enforcement: "Audit",
      minimumSecurityCategory: 3,
      transport: {
        keyExchange: ["X25519MLKEM768", "SecP256r1MLKEM768", "SecP384r1MLKEM1024", "MLKEM1024"],
      },
      kem: {
        algorithms: ["ML-KEM-768", "X-Wing", "ML-KEM-1024"],
        rotationPeriod: "168h",
        gracePeriod: "24h",
      },
      identity: { algorithms: ["ML-DSA-65", "ML-DSA-87"], ttl: "1h" },
    });
  });

  it("fill in the defaults of a minimal MCPServer", async () => {
    const stored = (await create(server({}), true)) as unknown as MCPServer;
    expect(stored.spec.transport).toBe("streamable-http");
  });

  it("teach the API through kubectl explain", async () => {
    const out = await kubectl(kubeconfigPath(), ["explain", "cryptopolicy.spec.kem.gracePeriod"]);
    expect(out).toMatch(/Must be shorter than\s+`rotationPeriod`/);
  });

  it("explain spec.port as an int-or-string, with both forms", async () => {
    // kubectl prints the type of every custom resource's int-or-string as `<Object>` (it reads only
    // `type` and `$ref`); the description must say what the field takes, as core's IntOrString does.
    const core = await kubectl(kubeconfigPath(), ["explain", "service.spec.ports.targetPort"]);
    expect(core).toMatch(/IntOrString is a type that can hold an int32 or a string/);
    const out = await kubectl(kubeconfigPath(), ["explain", "mcpserver.spec.port"]);
    const text = out.replace(/\s+/g, " ");
    expect(text).toContain("FIELD: port <Object>");
    expect(text).toContain("`port: 8443`, or `port: mcp` for the container port named `mcp`");
    expect(text).toContain("An IntOrString: an integer or a string, never an object");
    // The published schema is the one controller-gen writes, so schema-driven tools see both types.
    const api = kc.makeApiClient(ApiextensionsV1Api);
    const crd = await api.readCustomResourceDefinition({ name: `mcpservers.${GROUP}` });
    const port = crd.spec.versions[0]!.schema!.openAPIV3Schema!.properties!.spec!.properties!.port!;
    expect(port.anyOf).toEqual([{ type: "integer" }, { type: "string" }]);
    expect(port.x_kubernetes_int_or_string).toBe(true);
  });

  it("show the printer columns in kubectl get", async () => {
    await create({ ...server({}), metadata: { name: "columns" } });
    const out = await kubectl(kubeconfigPath(), ["get", "mcp", "-n", namespace]);
    expect(out.split("\n")[0]).toMatch(
      /^NAME\s+READY\s+ALGORITHM\s+ACTIVE KEY\s+NEXT ROTATION\s+AGE$/,
    );
    expect(out).toContain("columns");
  });
});

// Each row: the object, the field path the message must name, and a fragment of what it must say.
const invalid: [string, Obj, string, RegExp | string][] = [
  [
    "an unknown KEM",
    policy({ kem: { algorithms: ["ML-KEM-999"] } }),
    "spec.kem.algorithms[0]",
    /Unsupported value: "ML-KEM-999"/,
  ],
  [
    "a signature algorithm where a KEM is expected",
    policy({ kem: { algorithms: ["ML-DSA-65"] } }),
    "spec.kem.algorithms[0]",
    /Unsupported value: "ML-DSA-65"/,
  ],
  [
    "a KEM where a signature algorithm is expected",
    policy({ identity: { algorithms: ["ML-KEM-768"] } }),
    "spec.identity.algorithms[0]",
    /Unsupported value: "ML-KEM-768"/,
  ],
  [
    "an unknown key-exchange group",
    policy({ transport: { keyExchange: ["X25519"] } }),
    "spec.transport.keyExchange[0]",
    /Unsupported value: "X25519"/,
  ],
  [
    "an algorithm named twice",
    policy({ kem: { algorithms: ["ML-KEM-768", "ML-KEM-768"] } }),
    "spec.kem.algorithms",
    /must not name an algorithm twice/,
  ],
  [
    "an empty algorithm list",
    policy({ kem: { algorithms: [] } }),
    "spec.kem.algorithms",
    /at least 1 items/,
  ],
  [
    "a malformed duration",
    policy({ kem: { rotationPeriod: "7 days" } }),
    "spec.kem.rotationPeriod",
    /should match/,
  ],
  [
    "a grace period longer than the rotation period",
    policy({ kem: { rotationPeriod: "1h", gracePeriod: "2h" } }),
    "spec.kem.gracePeriod",
    /`gracePeriod` must be shorter than `rotationPeriod`/,
  ],
  [
    "an identity TTL over a day",
    policy({ identity: { ttl: "48h" } }),
    "spec.identity.ttl",
    /must be between 1m and 24h/,
  ],
  [
    "an identity TTL under a minute",
    policy({ identity: { ttl: "10s" } }),
    "spec.identity.ttl",
    /must be between 1m and 24h/,
  ],
  [
    "a negative security category",
    policy({ minimumSecurityCategory: -1 }),
    "spec.minimumSecurityCategory",
    /greater than or equal to 1/,
  ],
  [
    "a security category above 5",
    policy({ minimumSecurityCategory: 6 }),
    "spec.minimumSecurityCategory",
    /less than or equal to 5/,
  ],
  [
    "no KEM of the required category",
    policy({ minimumSecurityCategory: 5, kem: { algorithms: ["ML-KEM-768"] } }),
    "spec.kem.algorithms",
    "`kem.algorithms` must include an algorithm of at least `minimumSecurityCategory` (5): ML-KEM-1024",
  ],
  [
    "no KEM of the default category",
    policy({ kem: { algorithms: ["ML-KEM-512"] } }),
    "spec.kem.algorithms",
    "`kem.algorithms` must include an algorithm of at least `minimumSecurityCategory` (3, the default): ML-KEM-768, ML-KEM-1024 or X-Wing",
  ],
  [
    "no signature algorithm of the default category",
    policy({ identity: { algorithms: ["ML-DSA-44"] } }),
    "spec.identity.algorithms",
    "`identity.algorithms` must include an algorithm of at least `minimumSecurityCategory` (3, the default): ML-DSA-65 or ML-DSA-87",
  ],
  [
    "no key-exchange group of the required category",
    policy({ minimumSecurityCategory: 4, transport: { keyExchange: ["X25519MLKEM768"] } }),
    "spec.transport.keyExchange",
    "`transport.keyExchange` must include a group of at least `minimumSecurityCategory` (4): SecP384r1MLKEM1024 or MLKEM1024",
  ],
  [
    "an unknown enforcement mode",
    policy({ enforcement: "Block" }),
    "spec.enforcement",
    /Unsupported value: "Block"/,
  ],
  [
    "an unknown selector operator",
    policy({ namespaceSelector: { matchExpressions: [{ key: "a", operator: "Near" }] } }),
    "spec.namespaceSelector.matchExpressions[0].operator",
    /Unsupported value: "Near"/,
  ],
  [
    "an MCPServer without a selector",
    { ...server({}), spec: { port: "mcp" } },
    "spec.selector",
    /Required value/,
  ],
  [
    "an MCPServer with an empty selector",
    server({ selector: {} }),
    "spec.selector",
    /must name at least one label/,
  ],
  [
    "an MCPServer without a port",
    { ...server({}), spec: { selector: { matchLabels: { a: "b" } } } },
    "spec.port",
    /Required value/,
  ],
  [
    "a port number out of range",
    server({ port: 70000 }),
    "spec.port",
    /must be a port number from 1 to 65535/,
  ],
  [
    "a malformed port name",
    server({ port: "MCP_PORT" }),
    "spec.port",
    /port name of at most 15 lowercase/,
  ],
  [
    "a signature algorithm as the server's KEM",
    server({ kem: { algorithm: "ML-DSA-65" } }),
    "spec.kem.algorithm",
    /Unsupported value: "ML-DSA-65"/,
  ],
  [
    "a KEM as the server's identity algorithm",
    server({ identity: { algorithm: "X-Wing" } }),
    "spec.identity.algorithm",
    /Unsupported value: "X-Wing"/,
  ],
  [
    "an unknown MCP transport",
    server({ transport: "websocket" }),
    "spec.transport",
    /Unsupported value: "websocket"/,
  ],
  [
    "a malformed Service name",
    server({ serviceName: "Bad_Name" }),
    "spec.serviceName",
    /should match/,
  ],
];

describe("kubectl apply of a policy whose algorithms fall short of its category", () => {
  it("says which category is in force, and which algorithms would meet it", async () => {
    const weak = policy({ kem: { algorithms: ["ML-KEM-512"] } });
    const result = await tryKubectl(
      kubeconfigPath(),
      ["apply", "--dry-run=server", "-f", "-"],
      JSON.stringify(weak),
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      `The CryptoPolicy "${weak.metadata.name}" is invalid: spec.kem.algorithms: Invalid value: ` +
        "`kem.algorithms` must include an algorithm of at least `minimumSecurityCategory` " +
        "(3, the default): ML-KEM-768, ML-KEM-1024 or X-Wing",
    );
  });
});

describe("the API server rejects", () => {
  it.each(invalid)("%s, naming the field", async (_what, obj, field, says) => {
    const { code, message } = await rejection(obj);
    expect(code).toBe(422);
    expect(message).toContain(`${field}:`);
    expect(message).toMatch(says);
  });
});

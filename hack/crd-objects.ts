/**
 * Creating and reading LatticeGuard's custom objects from the integration tests, the benchmarks and
 * `make dev`: the group, version, plural and kind are stated once here, so a caller says only what its
 * object is for.
 *
 * @example
 * const custom = kc.makeApiClient(CustomObjectsApi);
 * await createPolicyObject(custom, "bench", { identity: { algorithms: ["ML-DSA-65"], ttl: "1h" } });
 * await createMcpServerObject(custom, "bench", "search", { app: "search" });
 * (await readMcpServerObject(custom, "bench", "search")).status?.kem?.activeKeyId;
 */
import type { CustomObjectsApi } from "@kubernetes/client-node";
import { API_VERSION, GROUP, VERSION } from "../operator/api/crd.ts";
import type { CryptoPolicy, MCPServer } from "../operator/api/types.generated.ts";

/**
 * Creates an MCPServer in `namespace` selecting pods labelled `selector`, on port `mcp`, with `spec`
 * merged over that; returns it as stored.
 *
 * @example
 * await createMcpServerObject(custom, ns, "tools", { app: "tools" }, { clients: [] });
 */
export async function createMcpServerObject(
  custom: CustomObjectsApi,
  namespace: string,
  name: string,
  selector: Record<string, string>,
  spec: Record<string, unknown> = {},
): Promise<MCPServer> {
  return (await custom.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: "mcpservers",
    body: {
      apiVersion: API_VERSION,
      kind: "MCPServer",
      metadata: { name, namespace },
      spec: { selector: { matchLabels: selector }, port: "mcp", ...spec },
    },
  })) as MCPServer;
}

/**
 * Creates a CryptoPolicy (cluster-scoped) with `spec`; returns it as stored.
 *
 * @example
 * await createPolicyObject(custom, "p", { namespaceSelector: { matchLabels: label }, identity });
 */
export async function createPolicyObject(
  custom: CustomObjectsApi,
  name: string,
  spec: Record<string, unknown>,
): Promise<CryptoPolicy> {
  return (await custom.createClusterCustomObject({
    group: GROUP,
    version: VERSION,
    plural: "cryptopolicies",
    body: { apiVersion: API_VERSION, kind: "CryptoPolicy", metadata: { name }, spec },
  })) as CryptoPolicy;
}

/**
 * Reads MCPServer `namespace/name` as stored.
 *
 * @example
 * (await readMcpServerObject(custom, "mcp-demo", "calculator")).status?.transport?.result;
 */
export async function readMcpServerObject(
  custom: CustomObjectsApi,
  namespace: string,
  name: string,
): Promise<MCPServer> {
  return (await custom.getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: "mcpservers",
    name,
  })) as MCPServer;
}

/**
 * Reads CryptoPolicy `name` as stored.
 *
 * @example
 * (await readPolicyObject(custom, "migrating")).status?.enforcement?.current?.mode;
 */
export async function readPolicyObject(
  custom: CustomObjectsApi,
  name: string,
): Promise<CryptoPolicy> {
  return (await custom.getClusterCustomObject({
    group: GROUP,
    version: VERSION,
    plural: "cryptopolicies",
    name,
  })) as CryptoPolicy;
}

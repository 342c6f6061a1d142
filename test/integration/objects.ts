/**
 * LatticeGuard objects for integration tests: a namespace a test's CryptoPolicy selects alone, the policy
 * itself (deleted after the file), and MCPServers in the test's namespace.
 *
 * @example
 * const lg = latticeguardObjects(kc, namespace);
 * await lg.selectNamespace();
 * await lg.createPolicy("fast", { kem: { rotationPeriod: "4s", gracePeriod: "1s" } });
 * await lg.createServer("weather");
 */
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { afterAll } from "vitest";
import { GROUP, VERSION } from "../../operator/api/crd.ts";
import type { CryptoPolicy, MCPServer } from "../../operator/api/types.generated.ts";

/** The label that ties a test's namespace to its CryptoPolicies. */
export const TEST_LABEL = "latticeguard.dev/test";

const API = { group: GROUP, version: VERSION };

/** Helpers bound to one test namespace. */
export function latticeguardObjects(kc: KubeConfig, namespace: string) {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const policies = new Set<string>();
  afterAll(async () => {
    for (const name of policies) {
      await custom
        .deleteClusterCustomObject({ ...API, plural: "cryptopolicies", name })
        .catch(() => undefined);
    }
  });
  const policyBody = (name: string, spec: Record<string, unknown>) => ({
    apiVersion: `${GROUP}/${VERSION}`,
    kind: "CryptoPolicy",
    metadata: { name },
    spec: { namespaceSelector: { matchLabels: { [TEST_LABEL]: namespace } }, ...spec },
  });
  return {
    core,
    custom,
    /** Labels the namespace so that only this file's CryptoPolicies select it. */
    async selectNamespace(): Promise<void> {
      await core.patchNamespace({
        name: namespace,
        body: [
          {
            op: "add",
            path: `/metadata/labels/${TEST_LABEL.replace("/", "~1")}`,
            value: namespace,
          },
        ],
      });
    },
    /** Creates a CryptoPolicy selecting the namespace (deleted after the file). */
    async createPolicy(name: string, spec: Record<string, unknown>): Promise<void> {
      policies.add(name);
      await custom.createClusterCustomObject({
        ...API,
        plural: "cryptopolicies",
        body: policyBody(name, spec),
      });
    },
    /** Replaces a CryptoPolicy's spec (keeping its namespace selector). */
    async replacePolicy(name: string, spec: Record<string, unknown>): Promise<void> {
      const current = (await custom.getClusterCustomObject({
        ...API,
        plural: "cryptopolicies",
        name,
      })) as CryptoPolicy;
      const body = policyBody(name, spec);
      await custom.replaceClusterCustomObject({
        ...API,
        plural: "cryptopolicies",
        name,
        body: {
          ...body,
          metadata: { ...body.metadata, resourceVersion: current.metadata.resourceVersion },
        },
      });
    },
    async deletePolicy(name: string): Promise<void> {
      await custom.deleteClusterCustomObject({ ...API, plural: "cryptopolicies", name });
    },
    async readPolicy(name: string): Promise<CryptoPolicy> {
      return (await custom.getClusterCustomObject({
        ...API,
        plural: "cryptopolicies",
        name,
      })) as CryptoPolicy;
    },
    /** Creates an MCPServer selecting pods labelled `app: <name>`, on port `mcp`. */
    async createServer(name: string, spec: Record<string, unknown> = {}): Promise<void> {
      await custom.createNamespacedCustomObject({
        ...API,
        plural: "mcpservers",
        namespace,
        body: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: "MCPServer",
          metadata: { name },
          spec: { selector: { matchLabels: { app: name } }, port: "mcp", ...spec },
        },
      });
    },
    async readServer(name: string): Promise<MCPServer> {
      return (await custom.getNamespacedCustomObject({
        ...API,
        plural: "mcpservers",
        namespace,
        name,
      })) as MCPServer;
    },
  };
}

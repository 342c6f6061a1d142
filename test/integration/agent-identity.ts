/**
 * A workload getting its identity the way a real pod does: a ServiceAccount and a pod in the real API
 * server, a TokenRequest token bound to the pod, the trust bundle the operator copied into the namespace,
 * and the real agent (`runAgent`) asking a running operator's issuance API once.
 *
 * @example
 * const got = await agentIdentity(core, { namespace, pod: "weather-0", serviceAccount: "weather",
 *   labels: { app: "weather" }, issuerPort });
 * got.identity.spiffeId; // spiffe://cluster.local/ns/<namespace>/sa/weather
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CoreV1Api } from "@kubernetes/client-node";
import { pino } from "pino";
import { vi } from "vitest";
import { runAgent } from "../../operator/agent/agent.ts";
import type { CheckedIdentity } from "../../operator/agent/answer.ts";
import type { SignatureAlgorithm } from "../../operator/api/algorithms.ts";
import { DEFAULT_AUDIENCE } from "../../operator/identity/issuer/issuer.ts";

const poll = { timeout: 60_000, interval: 250 };

/** What the agent wrote, and where. */
export interface AgentResult {
  identity: CheckedIdentity;
  /** The agent's output directory (`cert.pem`, `key.pem`, `bundle.pem`). */
  outDir: string;
  /** The trust bundle the agent was given. */
  bundle: string;
}

/** Creates the pod (and its ServiceAccount) and runs the agent until it writes an identity (60 s at most). */
export async function agentIdentity(
  core: CoreV1Api,
  options: {
    namespace: string;
    pod: string;
    serviceAccount: string;
    labels: Record<string, string>;
    issuerPort: number;
    algorithm?: SignatureAlgorithm;
  },
): Promise<AgentResult> {
  const { namespace, serviceAccount: name } = options;
  // The service-account controller makes `default` first: the namespace is ready for pods.
  await vi.waitFor(() => core.readNamespacedServiceAccount({ name: "default", namespace }), poll);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
  const pod = await core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name: options.pod, labels: options.labels },
      spec: { serviceAccountName: name, containers: [{ name: "mcp", image: "example.com/mcp:1" }] },
    },
  });
  const token = await core.createNamespacedServiceAccountToken({
    name,
    namespace,
    body: {
      spec: {
        audiences: [DEFAULT_AUDIENCE],
        boundObjectRef: {
          kind: "Pod",
          apiVersion: "v1",
          name: options.pod,
          uid: pod.metadata!.uid,
        },
      },
    },
  });
  // The operator copies its trust bundle into every namespace with an MCPServer.
  const bundle = await vi.waitFor(async () => {
    const cm = await core.readNamespacedConfigMap({ name: "latticeguard-trust-bundle", namespace });
    if (!cm.data?.["bundle.pem"]) throw new Error("no bundle yet");
    return cm.data["bundle.pem"];
  }, poll);
  const dir = await mkdtemp(join(tmpdir(), "latticeguard-agent-"));
  await writeFile(join(dir, "token"), token.status!.token!);
  await writeFile(join(dir, "bundle.pem"), bundle);
  const stop = new AbortController();
  const timeout = setTimeout(() => stop.abort(), 60_000);
  let identity: CheckedIdentity | undefined;
  await runAgent({
    issuer: new URL(`https://127.0.0.1:${options.issuerPort}`),
    tokenFile: join(dir, "token"),
    bundleFile: join(dir, "bundle.pem"),
    outDir: join(dir, "identity"),
    algorithm: options.algorithm ?? "ML-DSA-65",
    signal: stop.signal,
    log: pino({ level: "silent" }),
    onWritten: (written) => {
      identity = written;
      stop.abort();
    },
  });
  clearTimeout(timeout);
  if (!identity) throw new Error("the agent wrote no identity within 60 s");
  return { identity, outDir: join(dir, "identity"), bundle };
}

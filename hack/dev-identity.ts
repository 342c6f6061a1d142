/**
 * The identity part of `make dev`: a pod behind the demo `weather` MCPServer gets its ML-DSA workload
 * identity the way a real one would. The pod is stored but never runs (the local control plane has no
 * nodes), so this process plays its agent: a TokenRequest token bound to the pod, the trust bundle the
 * operator copied into the namespace, and `runAgent` against the operator's issuance API.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { pino } from "pino";
import { TRANSPORT_ANNOTATION } from "../operator/api/annotations.ts";
import { runAgent } from "../operator/agent/agent.ts";
import type { CheckedIdentity } from "../operator/agent/answer.ts";
import { podToken, trustBundle } from "./kubelet.ts";

const NAMESPACE = "mcp-demo";

/**
 * What `get` answers once it answers something (an error counts as nothing yet), polled every 200 ms for
 * `seconds` (default 30); then an error naming `what`.
 *
 * @example
 * const sa = await eventually("ServiceAccount default", () => core.readNamespacedServiceAccount(ref));
 */
export async function eventually<T>(
  what: string,
  get: () => Promise<T | undefined>,
  seconds = 30,
): Promise<T> {
  for (const end = Date.now() + seconds * 1000; Date.now() < end;) {
    const value = await get().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not appear within ${seconds} s`);
}

/** Issues an identity to a demo pod through the issuer on `issuerPort`; returns it and where it is. */
export async function issueDemoIdentity(
  kc: KubeConfig,
  issuerPort: number,
): Promise<{ identity: CheckedIdentity; outDir: string }> {
  const core = kc.makeApiClient(CoreV1Api);
  await eventually("the namespace's default ServiceAccount", () =>
    core.readNamespacedServiceAccount({ name: "default", namespace: NAMESPACE }),
  );
  await core.createNamespacedServiceAccount({
    namespace: NAMESPACE,
    body: { metadata: { name: "weather" } },
  });
  const pod = await core.createNamespacedPod({
    namespace: NAMESPACE,
    body: {
      metadata: {
        name: "weather-0",
        labels: { app: "weather-mcp" },
        annotations: { [TRANSPORT_ANNOTATION]: "X25519MLKEM768" },
      },
      spec: {
        serviceAccountName: "weather",
        containers: [
          {
            name: "mcp",
            image: "example.com/weather-mcp:1",
            ports: [{ name: "mcp", containerPort: 8443 }],
          },
        ],
      },
    },
  });
  const bundle = await eventually("the trust bundle in mcp-demo", () =>
    trustBundle(core, NAMESPACE),
  );
  const dir = await mkdtemp(join(tmpdir(), "latticeguard-dev-identity-"));
  const token = await podToken(core, { serviceAccount: "weather", pod });
  await writeFile(join(dir, "token"), token, { mode: 0o600 });
  await writeFile(join(dir, "bundle.pem"), bundle);
  const outDir = join(dir, "identity");
  const stop = new AbortController();
  const timeout = setTimeout(() => stop.abort(), 90_000);
  let identity: CheckedIdentity | undefined;
  await runAgent({
    issuer: new URL(`https://127.0.0.1:${issuerPort}`),
    tokenFile: join(dir, "token"),
    bundleFile: join(dir, "bundle.pem"),
    outDir,
    algorithm: "ML-DSA-65",
    signal: stop.signal,
    log: pino({ level: process.env.LATTICEGUARD_LOG_LEVEL ?? "warn" }),
    onWritten: (written) => {
      identity = written;
      stop.abort();
    },
  });
  clearTimeout(timeout);
  if (!identity) throw new Error("the agent got no identity within 90 s");
  return { identity, outDir };
}

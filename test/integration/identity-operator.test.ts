/**
 * Workload identity through the real operator process: its trust anchor signs, its issuance API (on the
 * operator, not started by the test) answers a pod's agent, and the MCPServer reports the identity in
 * `status.identity` and `IdentityReady`.
 */
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CoreV1Api } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { runAgent } from "../../operator/agent/agent.ts";
import type { CheckedIdentity } from "../../operator/agent/answer.ts";
import { verifyCertificate } from "../../operator/crypto/index.ts";
import { DEFAULT_AUDIENCE } from "../../operator/identity/issuer.ts";
import { testNamespace } from "./harness.ts";
import { latticeguardObjects } from "./objects.ts";
import { startOperatorProcess, type OperatorProcess } from "./operator-process.ts";

let namespace: string;
let core: CoreV1Api;
let lg: ReturnType<typeof latticeguardObjects>;
let operator: OperatorProcess;
const poll = { timeout: 30_000, interval: 200 };

beforeAll(async () => {
  let kc;
  ({ kc, namespace } = await testNamespace("idop"));
  lg = latticeguardObjects(kc, namespace);
  core = lg.core;
  await lg.selectNamespace();
  await lg.createPolicy(`idop-${Math.random().toString(36).slice(2, 7)}`, {
    identity: { algorithms: ["ML-DSA-65"], ttl: "10m" },
  });
  await lg.createServer("weather", { serviceName: "weather-svc" });
  operator = await startOperatorProcess();
});

afterAll(async () => {
  await operator?.stop();
});

it("issues an identity to a pod through the operator and reports it on the MCPServer", async () => {
  await vi.waitFor(() => core.readNamespacedServiceAccount({ name: "default", namespace }), poll);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: "weather" } } });
  const pod = await core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name: "weather-0", labels: { app: "weather" } },
      spec: {
        serviceAccountName: "weather",
        containers: [{ name: "mcp", image: "example.com/mcp:1" }],
      },
    },
  });
  const token = await core.createNamespacedServiceAccountToken({
    name: "weather",
    namespace,
    body: {
      spec: {
        audiences: [DEFAULT_AUDIENCE],
        boundObjectRef: {
          kind: "Pod",
          apiVersion: "v1",
          name: "weather-0",
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
  const dir = await mkdtemp(join(tmpdir(), "idop-"));
  await writeFile(join(dir, "token"), token.status!.token!);
  await writeFile(join(dir, "bundle.pem"), bundle);
  const started = operator.logs.find((l) => l.msg === "Started operator");
  const stop = new AbortController();
  const timeout = setTimeout(() => stop.abort(), 60_000);
  let identity: CheckedIdentity | undefined;
  await runAgent({
    issuer: new URL(`https://127.0.0.1:${String(started?.issuerPort)}`),
    tokenFile: join(dir, "token"),
    bundleFile: join(dir, "bundle.pem"),
    outDir: join(dir, "identity"),
    algorithm: "ML-DSA-65",
    signal: stop.signal,
    log: pino({ level: "silent" }),
    onWritten: (written) => {
      identity = written;
      stop.abort();
    },
  });
  clearTimeout(timeout);
  expect(identity?.spiffeId).toBe(`spiffe://cluster.local/ns/${namespace}/sa/weather`);
  const cert = await readFile(join(dir, "identity/cert.pem"), "utf8");
  const verified = await verifyCertificate(cert, [bundle]);
  expect(verified.dnsNames).toContain(`weather-svc.${namespace}.svc`);
  // The policy's TTL, ten minutes (give or take the backdated start).
  expect(verified.notAfter.getTime() - Date.now()).toBeLessThanOrEqual(10 * 60_000);
  expect(verified.notAfter.getTime() - Date.now()).toBeGreaterThan(8 * 60_000);

  await vi.waitFor(async () => {
    const status = (await lg.readServer("weather")).status;
    expect(status?.identity).toMatchObject({ algorithm: "ML-DSA-65" });
    expect(Date.parse(status!.identity!.lastIssuedNotAfter!)).toBe(verified.notAfter.getTime());
    const ready = status?.conditions?.find((c) => c.type === "IdentityReady");
    expect(ready).toMatchObject({ status: "True", reason: "IdentityIssued" });
  }, poll);
  expect(
    await operator.metric("latticeguard_identities_issued_total", {
      namespace,
      mcpserver: "weather",
    }),
  ).toBe(1);
});

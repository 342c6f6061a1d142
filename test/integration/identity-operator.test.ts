/**
 * Workload identity through the real operator process: its trust anchor signs, its issuance API (on the
 * operator, not started by the test) answers a pod's agent, and the MCPServer reports the identity in
 * `status.identity` and `IdentityReady`.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { CoreV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { verifyCertificate } from "../../operator/crypto/index.ts";
import { agentIdentity } from "./agent-identity.ts";
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
  const started = operator.logs.find((l) => l.msg === "Started operator")!;
  const { identity, outDir, bundle } = await agentIdentity(core, {
    namespace,
    pod: "weather-0",
    serviceAccount: "weather",
    labels: { app: "weather" },
    issuerPort: started.issuerPort as number,
  });
  expect(identity.spiffeId).toBe(`spiffe://cluster.local/ns/${namespace}/sa/weather`);
  const cert = await readFile(join(outDir, "cert.pem"), "utf8");
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

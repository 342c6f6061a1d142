/**
 * Shadow MCP servers against the real API server with a real operator: a pod that speaks MCP (the
 * official SDK's server on loopback) but that no MCPServer covers is found and, with probing opted in,
 * confirmed, as is a Service with `appProtocol: latticeguard.dev/mcp` in front of it, and a pod whose
 * port `mcp-tls` is the same server behind node:https with a self-signed certificate and a classical
 * group (confirmed over TLS, the group recorded); a plain HTTP server on a port named `mcp` stays
 * suspected; `kubectl get cryptopolicies` shows the count; the
 * gauge and a `ShadowMCPServer` Event report them; registering an MCPServer that selects the MCP pod
 * clears it and its Service. The pods' IPs are set through the status subresource, as a kubelet would.
 */
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { CoreV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { kubectl } from "../../hack/kubectl.ts";
import { reportPodRunning } from "../../hack/kubelet.ts";
import { WEBCRYPTO as webcrypto, x509 } from "../../operator/crypto/x509-lib.ts";
import { startToolsServer, type ToolsServer } from "../../hack/mcp-tools.ts";
import { kubeConfig, kubeconfigPath, testNamespace } from "./harness.ts";
import { latticeguardObjects } from "./objects.ts";
import { startOperatorProcess, type OperatorProcess } from "./operator-process.ts";

let namespace: string;
let core: CoreV1Api;
let lg: ReturnType<typeof latticeguardObjects>;
let operator: OperatorProcess;
let tools: ToolsServer;
let secure: ToolsServer;
let plain: Server;
const policy = `shadow-${Math.random().toString(36).slice(2, 7)}`;
const poll = { timeout: 30_000, interval: 250 };

/** A self-signed ECDSA P-256 certificate for 127.0.0.1, and its key, as PEM: no one's CA issued it. */
async function selfSigned(): Promise<{ cert: string; key: string }> {
  const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"]);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: "CN=shadow",
      keys,
      signingAlgorithm: algorithm,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 3_600_000),
      extensions: [new x509.SubjectAlternativeNameExtension([{ type: "ip", value: "127.0.0.1" }])],
    },
    webcrypto,
  );
  const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", keys.privateKey);
  const key = x509.PemConverter.encode(pkcs8, "PRIVATE KEY");
  return { cert: certificate.toString("pem"), key };
}

/**
 * A pod whose only container has a port named `portName` (default `mcp`) on `port`, at 127.0.0.1
 * once the test says so.
 */
async function createPod(name: string, app: string, port: number, portName = "mcp"): Promise<void> {
  const created = await core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name, labels: { app } },
      spec: {
        containers: [
          {
            name: "server",
            image: "example.com/mcp:1",
            ports: [{ name: portName, containerPort: port }],
          },
        ],
      },
    },
  });
  await reportPodRunning(core, created, "127.0.0.1");
}

const shadows = async () => (await lg.readPolicy(policy)).status?.shadowServers;
const gauge = (state: string) =>
  operator.metric("latticeguard_shadow_mcp_servers", { namespace, state });

beforeAll(async () => {
  ({ namespace } = await testNamespace("shadow"));
  lg = latticeguardObjects(kubeConfig(), namespace);
  core = lg.core;
  await lg.selectNamespace();
  tools = await startToolsServer("latticeguard-test-shadow");
  secure = await startToolsServer("latticeguard-test-shadow-tls", {
    tls: { ...(await selfSigned()), ecdhCurve: "X25519" },
  });
  // Not MCP: answers every request with a web page.
  plain = createServer((_req, res) =>
    res.writeHead(200, { "content-type": "text/html" }).end("<p>hi</p>"),
  );
  plain.listen(0, "127.0.0.1");
  await once(plain, "listening");
  await createPod("calc-0", "calc", tools.port);
  await createPod("web-0", "web", (plain.address() as AddressInfo).port);
  await createPod("secure-0", "secure", secure.port, "mcp-tls");
  await core.createNamespacedService({
    namespace,
    body: {
      metadata: { name: "calc" },
      spec: {
        selector: { app: "calc" },
        ports: [{ port: 80, targetPort: "mcp", appProtocol: "latticeguard.dev/mcp" }],
      },
    },
  });
  await lg.createPolicy(policy, { discovery: { probe: true } });
  operator = await startOperatorProcess();
});

afterAll(async () => {
  await operator?.stop();
  await tools?.close();
  await secure?.close();
  plain?.closeAllConnections();
  plain?.close();
});

describe("shadow MCP servers", () => {
  it("confirms pods that answer MCP over HTTP or TLS, and a Service; a plain HTTP server stays suspected", async () => {
    await vi.waitFor(async () => {
      expect(await shadows()).toEqual({
        count: 4,
        suspected: 1,
        confirmed: 3,
        servers: [
          expect.objectContaining({
            kind: "Pod",
            name: "calc-0",
            port: tools.port,
            state: "confirmed",
            reason: "PortName",
            scheme: "http",
          }),
          expect.objectContaining({
            kind: "Pod",
            name: "secure-0",
            port: secure.port,
            state: "confirmed",
            reason: "PortName",
            scheme: "https",
            tlsGroup: "X25519",
          }),
          expect.objectContaining({
            kind: "Service",
            name: "calc",
            port: 80,
            state: "confirmed",
            reason: "AppProtocol",
          }),
          expect.objectContaining({
            kind: "Pod",
            name: "web-0",
            state: "suspected",
            reason: "PortName",
          }),
        ],
      });
    }, poll);
    expect(await gauge("confirmed")).toBe(3);
    expect(await gauge("suspected")).toBe(1);
  });

  it("records a ShadowMCPServer Event on the pod, saying how it answered", async () => {
    await vi.waitFor(async () => {
      const { items } = await core.listNamespacedEvent({
        namespace,
        fieldSelector: "involvedObject.name=calc-0,reason=ShadowMCPServer",
      });
      expect(items.map((e) => e.message)).toContainEqual(
        expect.stringMatching(/answered MCP initialize on 127\.0\.0\.1:\d+ over plain HTTP$/),
      );
      const secured = await core.listNamespacedEvent({
        namespace,
        fieldSelector: "involvedObject.name=secure-0,reason=ShadowMCPServer",
      });
      expect(secured.items.map((e) => e.message)).toContainEqual(
        expect.stringMatching(
          /answered MCP initialize on 127\.0\.0\.1:\d+ over TLS \(group X25519\)$/,
        ),
      );
    }, poll);
  });

  it("shows the count in kubectl get cryptopolicies", async () => {
    const out = await kubectl(kubeconfigPath(), ["get", "cryptopolicy", policy]);
    const [header = "", row = ""] = out.split("\n");
    const at = header.split(/\s{2,}/).indexOf("SHADOW");
    expect(at).toBeGreaterThan(0);
    expect(row.split(/\s{2,}/)[at]).toBe("4");
  });

  it("clears what an MCPServer registered for it covers", async () => {
    await lg.createServer("calc");
    await vi.waitFor(async () => {
      expect(await shadows()).toMatchObject({
        count: 2,
        suspected: 1,
        confirmed: 1,
        servers: [
          expect.objectContaining({ kind: "Pod", name: "secure-0" }),
          expect.objectContaining({ kind: "Pod", name: "web-0" }),
        ],
      });
    }, poll);
    expect(await gauge("confirmed")).toBe(1);
    expect(await gauge("suspected")).toBe(1);
  });

  it("keeps the CryptoPolicy's other status beside it: neither controller undoes the other's write", async () => {
    const policyNow = await lg.readPolicy(policy);
    expect(policyNow.status?.coverage).toMatchObject({ namespaces: 1, mcpServers: 1 });
    const managers = (policyNow.metadata.managedFields ?? [])
      .filter((f) => f.subresource === "status")
      .map((f) => f.manager)
      .sort();
    expect(managers).toEqual(["latticeguard", "latticeguard-shadow"]);
    // Settled: a later reconcile (any change queues both within a second) writes nothing.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect((await lg.readPolicy(policy)).metadata.resourceVersion).toBe(
      policyNow.metadata.resourceVersion,
    );
  });
});

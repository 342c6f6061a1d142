/**
 * Shadow MCP servers against the real API server with a real operator: a pod that speaks MCP (the
 * official SDK's server on loopback) but that no MCPServer covers is found and, with probing opted in,
 * confirmed, as is a Service with `appProtocol: latticeguard.dev/mcp` in front of it; a plain HTTP
 * server on a port named `mcp` stays suspected; `kubectl get cryptopolicies` shows the count; the
 * gauge and a `ShadowMCPServer` Event report them; registering an MCPServer that selects the MCP pod
 * clears it and its Service. The pods' IPs are set through the status subresource, as a kubelet would.
 */
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { CoreV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { kubectl } from "../../hack/kubectl.ts";
import { startToolsServer, type ToolsServer } from "../../hack/mcp-tools.ts";
import { kubeConfig, kubeconfigPath, testNamespace } from "./harness.ts";
import { latticeguardObjects } from "./objects.ts";
import { startOperatorProcess, type OperatorProcess } from "./operator-process.ts";

let namespace: string;
let core: CoreV1Api;
let lg: ReturnType<typeof latticeguardObjects>;
let operator: OperatorProcess;
let tools: ToolsServer;
let plain: Server;
const policy = `shadow-${Math.random().toString(36).slice(2, 7)}`;
const poll = { timeout: 30_000, interval: 250 };

/** A pod whose only container has a port named `mcp` on `port`, at 127.0.0.1 once the test says so. */
async function createPod(name: string, app: string, port: number): Promise<void> {
  await core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name, labels: { app } },
      spec: {
        containers: [
          {
            name: "server",
            image: "example.com/mcp:1",
            ports: [{ name: "mcp", containerPort: port }],
          },
        ],
      },
    },
  });
  await core.patchNamespacedPodStatus({
    name,
    namespace,
    body: [
      { op: "add", path: "/status/podIP", value: "127.0.0.1" },
      { op: "add", path: "/status/podIPs", value: [{ ip: "127.0.0.1" }] },
    ],
  });
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
  // Not MCP: answers every request with a web page.
  plain = createServer((_req, res) =>
    res.writeHead(200, { "content-type": "text/html" }).end("<p>hi</p>"),
  );
  plain.listen(0, "127.0.0.1");
  await once(plain, "listening");
  await createPod("calc-0", "calc", tools.port);
  await createPod("web-0", "web", (plain.address() as AddressInfo).port);
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
  plain?.closeAllConnections();
  plain?.close();
});

describe("shadow MCP servers", () => {
  it("confirms a pod that answers MCP, and its Service; a plain HTTP server stays suspected", async () => {
    await vi.waitFor(async () => {
      expect(await shadows()).toEqual({
        count: 3,
        suspected: 1,
        confirmed: 2,
        servers: [
          expect.objectContaining({
            kind: "Pod",
            name: "calc-0",
            port: tools.port,
            state: "confirmed",
            reason: "PortName",
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
    expect(await gauge("confirmed")).toBe(2);
    expect(await gauge("suspected")).toBe(1);
  });

  it("records a ShadowMCPServer Event on the pod", async () => {
    await vi.waitFor(async () => {
      const { items } = await core.listNamespacedEvent({
        namespace,
        fieldSelector: "involvedObject.name=calc-0,reason=ShadowMCPServer",
      });
      expect(items.map((e) => e.message)).toContainEqual(
        expect.stringMatching(/answered MCP initialize on 127\.0\.0\.1:\d+$/),
      );
    }, poll);
  });

  it("shows the count in kubectl get cryptopolicies", async () => {
    const out = await kubectl(kubeconfigPath(), ["get", "cryptopolicy", policy]);
    const [header = "", row = ""] = out.split("\n");
    const at = header.split(/\s{2,}/).indexOf("SHADOW");
    expect(at).toBeGreaterThan(0);
    expect(row.split(/\s{2,}/)[at]).toBe("3");
  });

  it("clears what an MCPServer registered for it covers", async () => {
    await lg.createServer("calc");
    await vi.waitFor(async () => {
      expect(await shadows()).toMatchObject({
        count: 1,
        suspected: 1,
        confirmed: 0,
        servers: [expect.objectContaining({ kind: "Pod", name: "web-0" })],
      });
    }, poll);
    expect(await gauge("confirmed")).toBe(0);
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

/**
 * MCP over `latticeguard proxy`, end to end, with the official MCP SDK on both sides: an `McpServer`
 * behind an inbound proxy (the server on 127.0.0.1, as injected pods run it), and a `Client` pointed at
 * an outbound proxy's local port. Both proxies are the real command as child processes, holding the
 * identities a real operator's issuance API gave two real pods for their TokenRequest tokens: the server
 * pod, selected by MCPServer `tools`, and a client pod in another namespace that no MCPServer selects but
 * whose `latticeguard.dev/connect` names `tools`, whose `spec.clients` admit that namespace.
 *
 * `initialize`, `tools/list` and `tools/call` succeed; the outbound proxy negotiated a post-quantum
 * group (read with getEphemeralKeyInfo on its side) and both peers' certificates are ML-DSA, chain to the
 * operator's trust anchor and carry the expected SPIFFE IDs; the startup probe passes and SIGTERM exits 0.
 */
import { X509Certificate, createHash } from "node:crypto";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startToolsServer, type ToolsServer } from "../../hack/mcp-tools.ts";
import { probe, startProxyProcess, type ProxyProcess } from "../../hack/proxy-process.ts";
import { KEY_EXCHANGE_GROUPS } from "../../operator/api/algorithms.ts";
import { CONNECT_ANNOTATION } from "../../operator/api/annotations.ts";
import { verifyCertificate } from "../../operator/crypto/index.ts";
import { clientRules, formatClientRule } from "../../operator/policy/clients.ts";
import {
  anchors,
  createServer as createMcpServer,
  identityFile,
  podFiles,
  policyNamespaces,
  proxyArgs,
  startProxyOperator,
  type PodFiles,
  type ProxyOperator,
} from "./proxy-harness.ts";

let op: ProxyOperator;
let serverNs: string;
let clientNs: string;
let serverFiles: PodFiles;
let clientFiles: PodFiles;
let tools: ToolsServer;
let inbound: ProxyProcess;
let outbound: ProxyProcess;
let client: Client;
beforeAll(async () => {
  op = await startProxyOperator();
  [serverNs, clientNs] = (await policyNamespaces("px-mcp", ["srv", "cli"])) as [string, string];
  const server = await createMcpServer(serverNs, "tools", { clients: [{ namespace: clientNs }] });
  serverFiles = await podFiles({
    namespace: serverNs,
    pod: "tools-0",
    serviceAccount: "tools",
    labels: { app: "tools" },
    bundleNamespace: serverNs,
  });
  // The client's namespace has no MCPServer, so no copy of the bundle: it reads the server's.
  clientFiles = await podFiles({
    namespace: clientNs,
    pod: "planner-0",
    serviceAccount: "planner",
    labels: { app: "planner" },
    annotations: { [CONNECT_ANNOTATION]: `${serverNs}/tools` },
    bundleNamespace: serverNs,
  });
  expect(probe(serverFiles.identityDir)).toBe(1); // no identity yet: the MCP server would wait
  tools = await startToolsServer("latticeguard-test-tools");
  // The flags the webhook writes: the policy's groups, one --allow per spec.clients rule.
  inbound = await startProxyProcess(
    proxyArgs(op, serverFiles, [
      "--listen=127.0.0.1:0",
      `--upstream=127.0.0.1:${tools.port}`,
      `--mcpserver=${serverNs}/tools`,
      "--groups=X25519MLKEM768",
      ...clientRules(server).map((rule) => `--allow=${formatClientRule(rule)}`),
    ]),
  );
  outbound = await startProxyProcess(
    proxyArgs(op, clientFiles, [
      `--connect=${serverNs}/tools`,
      "--listen=127.0.0.1:0",
      `--upstream=127.0.0.1:${inbound.port}`,
    ]),
  );
  client = new Client({ name: "latticeguard-test-planner", version: "1.0.0" });
}, 90_000);

afterAll(async () => {
  await client?.close();
  await Promise.all([inbound?.stop(), outbound?.stop()]);
  await tools?.close();
});

describe("MCP through an outbound and an inbound proxy", () => {
  it("initializes a session, lists the tools and calls one", async () => {
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${outbound.port}/mcp`)),
    );
    expect(client.getServerVersion()?.name).toBe("latticeguard-test-tools");
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(["add"]);
    const result = await client.callTool({ name: "add", arguments: { a: 2, b: 3 } });
    expect(result.content).toEqual([{ type: "text", text: "5" }]);
    expect(
      await inbound.metric("latticeguard_proxy_requests_total", { code: "200" }),
    ).toBeGreaterThanOrEqual(3);
    expect(await outbound.metric("latticeguard_proxy_refused_total")).toBe(0);
    expect(await inbound.metric("latticeguard_proxy_refused_total")).toBe(0);
  });

  it("negotiated a post-quantum group, with ML-DSA certificates on both sides", async () => {
    const handshakes = (labels: Record<string, string>) =>
      outbound.metric("latticeguard_proxy_handshake_duration_seconds_count", labels);
    const all = await handshakes({});
    expect(all).toBeGreaterThanOrEqual(1);
    // Read on the client side of each connection: every one used X25519MLKEM768, the server's only group.
    expect(await handshakes({ group: "X25519MLKEM768", certificate_algorithm: "ML-DSA-65" })).toBe(
      all,
    );
    expect(KEY_EXCHANGE_GROUPS).toContain("X25519MLKEM768");
    const connected = outbound.logs.filter((l) => l.msg === "Connected to MCP server");
    expect(connected.length).toBe(all);
    expect(new Set(connected.map((l) => l.group))).toEqual(new Set(["X25519MLKEM768"]));
    // The inbound side saw the client's ML-DSA-65 certificate.
    expect(
      await inbound.metric("latticeguard_proxy_handshake_duration_seconds_count", {
        certificate_algorithm: "ML-DSA-65",
      }),
    ).toBeGreaterThanOrEqual(1);
  });

  it("presented certificates that chain to the operator's trust anchor, with the expected SPIFFE IDs", async () => {
    const trusted = (await anchors(op)).map((a) => a.certificate);
    expect(new X509Certificate(trusted[0]!).publicKey.asymmetricKeyType).toBe("ml-dsa-87");
    const serverCert = await identityFile(serverFiles, "cert.pem");
    const clientCert = await identityFile(clientFiles, "cert.pem");
    const server = await verifyCertificate(serverCert, trusted);
    const peer = await verifyCertificate(clientCert, trusted);
    expect(server).toMatchObject({
      algorithm: "ML-DSA-65",
      spiffeId: `spiffe://cluster.local/ns/${serverNs}/sa/tools`,
    });
    expect(server.dnsNames).toContain(`tools.${serverNs}.svc`);
    // A client identity: its SPIFFE ID only.
    expect(peer).toMatchObject({
      algorithm: "ML-DSA-65",
      spiffeId: `spiffe://cluster.local/ns/${clientNs}/sa/planner`,
      dnsNames: [],
    });
    // What each proxy saw of its peer is exactly that certificate.
    const connected = outbound.logs.find((l) => l.msg === "Connected to MCP server")!;
    expect(connected.spiffeId).toBe(server.spiffeId);
    expect(connected.fingerprint256).toBe(new X509Certificate(serverCert).fingerprint256);
    const hash = createHash("sha256").update(new X509Certificate(clientCert).raw).digest("hex");
    expect(tools.callers).toEqual([`By=${server.spiffeId};Hash=${hash};URI=${peer.spiffeId}`]);
  });

  it("passes the startup probe, is ready, and exits 0 on SIGTERM", async () => {
    expect(probe(serverFiles.identityDir)).toBe(0);
    expect(probe(clientFiles.identityDir)).toBe(0);
    for (const proxy of [inbound, outbound])
      expect((await fetch(`http://127.0.0.1:${proxy.metricsPort}/readyz`)).status).toBe(200);
    await client.close();
    expect(await outbound.stop()).toBe(0);
    expect(await inbound.stop()).toBe(0);
    expect(inbound.logs.some((l) => l.msg === "Stopped proxy")).toBe(true);
  });
});

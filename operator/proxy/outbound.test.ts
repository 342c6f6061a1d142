// The outbound proxy over real loopback sockets, in front of a real inbound proxy: a plaintext request
// in, mutual TLS (X25519MLKEM768, ML-DSA certificates from the crypto test data) across, the negotiated
// group read on the client side; servers whose certificate says the wrong thing refused with a reason;
// and a new identity swapped in for new requests while a stream in flight keeps its connection.
import { X509Certificate } from "node:crypto";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import {
  testAnchor,
  testWorkload,
  type TestAnchor,
  type TestWorkload,
} from "../crypto/testdata/identities.ts";
import type { IdentityFeed } from "./identity.ts";
import { startInbound, XFCC_HEADER, type RunningInbound } from "./inbound.ts";
import { createProxyMetrics, type ProxyMetrics } from "./metrics.ts";
import { startOutbound, type RunningOutbound } from "./outbound.ts";
import { feedOf, identityOf, metricValue, plainServer, silent } from "./testing.ts";

let anchor: TestAnchor;
let client: TestWorkload;
let upstream: { server: Server; port: number };
let handler: (req: IncomingMessage, res: ServerResponse) => void = () => undefined;
const inbounds: RunningInbound[] = [];
const outbounds: RunningOutbound[] = [];

/** An inbound proxy serving as `identity`, admitting namespace `agents`. */
async function inboundAs(identity: TestWorkload, ...anchors: TestAnchor[]): Promise<number> {
  const running = await startInbound({
    listen: { host: "127.0.0.1", port: 0 },
    upstream: { host: "127.0.0.1", port: upstream.port },
    groups: ["X25519MLKEM768", "MLKEM1024"],
    rules: [{ kind: "Namespace", namespace: "agents" }],
    server: { namespace: "mcp", name: "search" },
    identities: feedOf(identity, ...(anchors.length ? anchors : [anchor])),
    metrics: createProxyMetrics(
      { namespace: "mcp", mcpserver: "search", direction: "inbound" },
      { processMetrics: false },
    ),
    log: silent,
  });
  inbounds.push(running);
  return running.port;
}

/** An outbound proxy to 127.0.0.1:`port` as the client workload, expecting `search.mcp.svc`. */
async function outboundTo(port: number, identities: IdentityFeed = feedOf(client, anchor)) {
  const metrics = createProxyMetrics(
    { namespace: "mcp", mcpserver: "search", direction: "outbound" },
    { processMetrics: false },
  );
  const running = await startOutbound({
    listen: { host: "127.0.0.1", port: 0 },
    upstream: { host: "127.0.0.1", port },
    serverName: "search.mcp.svc",
    groups: ["X25519MLKEM768"],
    server: { namespace: "mcp", name: "search" },
    identities,
    metrics,
    log: silent,
  });
  outbounds.push(running);
  return { ...running, metrics, url: `http://127.0.0.1:${running.port}` };
}

beforeAll(async () => {
  anchor = await testAnchor();
  client = await testWorkload(anchor, { serviceAccount: "planner", namespace: "agents" });
  upstream = await plainServer((req, res) => handler(req, res));
});
afterAll(async () => {
  await Promise.all([...outbounds, ...inbounds].map((p) => p.close(100)));
  upstream.server.close();
});
beforeEach(() => {
  handler = (req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({ host: req.headers.host, xfcc: req.headers[XFCC_HEADER], url: req.url }),
    );
  };
});

const refused = (metrics: ProxyMetrics, reason: string) =>
  metricValue(metrics.registry, "latticeguard_proxy_refused_total", { reason });

describe("a plaintext request on the local port", () => {
  it("reaches the MCP server over post-quantum mutual TLS, as the client workload", async () => {
    const server = await testWorkload(anchor, {
      serviceAccount: "search",
      dnsNames: ["search.mcp.svc"],
    });
    const port = await inboundAs(server);
    const outbound = await outboundTo(port);
    const answer = await fetch(`${outbound.url}/mcp?q=1`);
    expect(answer.status).toBe(200);
    const seen = (await answer.json()) as { host: string; xfcc: string; url: string };
    expect(seen.url).toBe("/mcp?q=1");
    expect(seen.host).toBe(`search.mcp.svc:${port}`); // the server's name, not the local port
    expect(seen.xfcc).toContain(`URI=${client.spiffeId}`);
    expect(
      await metricValue(
        outbound.metrics.registry,
        "latticeguard_proxy_handshake_duration_seconds",
        {
          group: "X25519MLKEM768",
          certificate_algorithm: "ML-DSA-65",
        },
      ),
    ).toBe(1);
    // The connection is kept: a second request makes no new handshake.
    expect((await fetch(`${outbound.url}/mcp`)).status).toBe(200);
    expect(
      await metricValue(outbound.metrics.registry, "latticeguard_proxy_handshake_duration_seconds"),
    ).toBe(1);
    expect(
      await metricValue(outbound.metrics.registry, "latticeguard_proxy_requests_total", {
        code: "200",
      }),
    ).toBe(2);
  });

  it("passes the inbound proxy's refusal through", async () => {
    const server = await testWorkload(anchor, {
      serviceAccount: "search",
      dnsNames: ["search.mcp.svc"],
    });
    const outsider = await testWorkload(anchor, { serviceAccount: "planner", namespace: "web" });
    const outbound = await outboundTo(await inboundAs(server), feedOf(outsider, anchor));
    const answer = await fetch(outbound.url);
    expect(answer.status).toBe(403);
    expect(((await answer.json()) as { reason: string }).reason).toBe("ClientNotAllowed");
  });
});

describe("a server whose certificate does not say it is the MCPServer", () => {
  it.each<[string, () => Promise<[TestWorkload, TestAnchor]>, string]>([
    [
      "a certificate for another DNS name",
      async () => [
        await testWorkload(anchor, { serviceAccount: "search", dnsNames: ["tools.mcp.svc"] }),
        anchor,
      ],
      "ServerNameMismatch",
    ],
    [
      "a workload of another namespace",
      async () => [
        await testWorkload(anchor, {
          serviceAccount: "search",
          namespace: "web",
          dnsNames: ["search.mcp.svc"],
        }),
        anchor,
      ],
      "ServerNotAllowed",
    ],
    [
      "a certificate another anchor issued",
      async () => {
        const other = await testAnchor();
        return [
          await testWorkload(other, { serviceAccount: "search", dnsNames: ["search.mcp.svc"] }),
          other,
        ];
      },
      "UntrustedServer",
    ],
  ])("is refused: %s → 502 %s, counted", async (_name, make, reason) => {
    const [server, serverAnchor] = await make();
    const outbound = await outboundTo(await inboundAs(server, serverAnchor, anchor));
    const answer = await fetch(outbound.url);
    expect(answer.status).toBe(502);
    const body = (await answer.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["message", "reason"]);
    expect(body.reason).toBe(reason);
    expect(await refused(outbound.metrics, reason)).toBe(1);
  });
});

describe("a new client identity", () => {
  it("is used for new requests while a stream in flight keeps its connection", async () => {
    const server = await testWorkload(anchor, {
      serviceAccount: "search",
      dnsNames: ["search.mcp.svc"],
    });
    const identities = feedOf(client, anchor);
    const outbound = await outboundTo(await inboundAs(server), identities);
    let write: ((chunk: string) => void) | undefined;
    let end: (() => void) | undefined;
    const plain = handler;
    handler = (req, res) => {
      if (req.url !== "/events") return plain(req, res);
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.flushHeaders();
      write = (chunk) => res.write(chunk);
      end = () => res.end();
    };
    const stream = await fetch(`${outbound.url}/events`);
    const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
    await vi.waitFor(() => expect(write).toBeDefined());
    write!("data: 1\n\n");
    expect((await reader.read()).value).toBe("data: 1\n\n");

    const renewed = await testWorkload(anchor, { serviceAccount: "planner", namespace: "agents" });
    identities.publish(identityOf(renewed, anchor));
    const answer = (await (await fetch(`${outbound.url}/mcp`)).json()) as { xfcc: string };
    const hash = (pem: string) =>
      new X509Certificate(pem).fingerprint256.replaceAll(":", "").toLowerCase();
    expect(answer.xfcc).toContain(`Hash=${hash(renewed.certificate)}`);
    expect(
      await metricValue(outbound.metrics.registry, "latticeguard_proxy_handshake_duration_seconds"),
    ).toBe(2);

    write!("data: 2\n\n");
    expect((await reader.read()).value).toBe("data: 2\n\n");
    end!();
    expect((await reader.read()).done).toBe(true);
  });
});

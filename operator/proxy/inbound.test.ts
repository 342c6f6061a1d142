// The inbound proxy over real loopback sockets: a real TLS 1.3 handshake (OpenSSL 3.5, X25519MLKEM768,
// ML-DSA certificates from the crypto test data) in front of a plaintext upstream. What is forwarded and
// how (headers, streaming both ways), every refusal with its reason and count, and a new identity swapped
// in while a stream stays open. test/integration/proxy-*.test.ts run the same with real identities.
import { createHash, X509Certificate } from "node:crypto";
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from "node:http";
import { request as httpsRequest } from "node:https";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import {
  HOUR_MS,
  testAnchor,
  testWorkload,
  type TestAnchor,
  type TestWorkload,
} from "../crypto/testdata/identities.ts";
import type { IdentityFeed } from "./identity.ts";
import { startInbound, XFCC_HEADER, type RunningInbound } from "./inbound.ts";
import { createProxyMetrics, type ProxyMetrics } from "./metrics.ts";
import { feedOf, identityOf, metricValue, mtlsRequest, plainServer, silent } from "./testing.ts";

let anchor: TestAnchor;
let foreign: TestAnchor;
let server: TestWorkload;
let client: TestWorkload;
let outsider: TestWorkload;
let expired: TestWorkload;
let foreignClient: TestWorkload;

beforeAll(async () => {
  const past = new Date(Date.now() - 2 * HOUR_MS);
  [anchor, foreign] = await Promise.all([testAnchor({ now: past }), testAnchor()]);
  [server, client, outsider, expired, foreignClient] = await Promise.all([
    testWorkload(anchor, { serviceAccount: "search", dnsNames: ["search.mcp.svc"] }),
    testWorkload(anchor, { serviceAccount: "planner", namespace: "agents" }),
    testWorkload(anchor, { serviceAccount: "planner", namespace: "web" }),
    testWorkload(anchor, {
      serviceAccount: "planner",
      namespace: "agents",
      now: new Date(Date.now() - 1.5 * HOUR_MS),
    }),
    testWorkload(foreign, { serviceAccount: "planner", namespace: "agents" }),
  ]);
});

// What the upstream saw of each request.
const seen: { url: string; headers: IncomingHttpHeaders; body: string }[] = [];
let upstream: { server: Server; port: number };
let handler: (req: IncomingMessage, res: ServerResponse) => void = () => undefined;
let inbound: RunningInbound;
let metrics: ProxyMetrics;
let identities: IdentityFeed;

beforeAll(async () => {
  upstream = await plainServer((req, res) => handler(req, res));
  metrics = createProxyMetrics(
    { namespace: "mcp", mcpserver: "search", direction: "inbound" },
    { processMetrics: false },
  );
  identities = feedOf(server, anchor);
  inbound = await startInbound({
    listen: { host: "127.0.0.1", port: 0 },
    upstream: { host: "127.0.0.1", port: upstream.port },
    groups: ["X25519MLKEM768"],
    rules: [{ kind: "Namespace", namespace: "agents" }],
    server: { namespace: "mcp", name: "search" },
    identities,
    metrics,
    log: silent,
  });
});
afterAll(async () => {
  await inbound.close(100);
  upstream.server.close();
});
// The default upstream: records the request, answers JSON.
const echo = (req: IncomingMessage, res: ServerResponse) => {
  let body = "";
  req.on("data", (chunk: Buffer) => (body += chunk.toString()));
  req.on("end", () => {
    seen.push({ url: req.url ?? "", headers: req.headers, body });
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ ok: true }));
  });
};
beforeEach(() => {
  seen.length = 0;
  handler = echo;
});

const refused = (reason: string) =>
  metricValue(metrics.registry, "latticeguard_proxy_refused_total", { reason });

describe("an admitted client", () => {
  it("is forwarded to the upstream, which learns who called and nothing the client claimed", async () => {
    const handshakes = await metricValue(
      metrics.registry,
      "latticeguard_proxy_handshake_duration_seconds",
      { group: "X25519MLKEM768", certificate_algorithm: "ML-DSA-65" },
    );
    const answer = await mtlsRequest(inbound.port, {
      identity: client,
      ca: anchor.certificate,
      path: "/mcp?x=1",
      headers: { [XFCC_HEADER]: "URI=spiffe://cluster.local/ns/mcp/sa/admin", "x-kept": "1" },
    });
    expect(answer).toMatchObject({ status: 200, json: { ok: true }, group: "X25519MLKEM768" });
    expect(seen).toHaveLength(1);
    const hash = createHash("sha256")
      .update(new X509Certificate(client.certificate).raw)
      .digest("hex");
    expect(seen[0]!.url).toBe("/mcp?x=1");
    expect(seen[0]!.headers[XFCC_HEADER]).toBe(
      `By=${server.spiffeId};Hash=${hash};URI=spiffe://cluster.local/ns/agents/sa/planner`,
    );
    expect(seen[0]!.headers["x-kept"]).toBe("1");
    expect(
      await metricValue(metrics.registry, "latticeguard_proxy_handshake_duration_seconds", {
        group: "X25519MLKEM768",
        certificate_algorithm: "ML-DSA-65",
      }),
    ).toBe(handshakes + 1);
    expect(
      await metricValue(metrics.registry, "latticeguard_proxy_requests_total", { code: "200" }),
    ).toBeGreaterThan(0);
  });

  it("answers 502 UpstreamUnavailable when nothing listens upstream", async () => {
    handler = (req) => req.socket.destroy();
    const answer = await mtlsRequest(inbound.port, { identity: client, ca: anchor.certificate });
    expect(answer.status).toBe(502);
    expect(answer.json?.reason).toBe("UpstreamUnavailable");
  });
});

describe("refusals", () => {
  it.each<[string, () => TestWorkload | undefined, number, string]>([
    ["a client without a certificate", () => undefined, 401, "NoCertificate"],
    ["a certificate another anchor issued", () => foreignClient, 401, "UntrustedCertificate"],
    ["an expired certificate", () => expired, 401, "ExpiredCertificate"],
    ["a workload spec.clients does not admit", () => outsider, 403, "ClientNotAllowed"],
  ])(
    "refuses %s with %i %s, counts it, and forwards nothing",
    async (_name, who, status, reason) => {
      const before = await refused(reason);
      const answer = await mtlsRequest(inbound.port, { identity: who(), ca: anchor.certificate });
      expect(answer.status).toBe(status);
      expect(Object.keys(answer.json ?? {}).sort()).toEqual(["message", "reason"]);
      expect(answer.json?.reason).toBe(reason);
      expect(seen).toHaveLength(0);
      expect(await refused(reason)).toBe(before + 1);
    },
  );

  it("refuses a client offering only X25519 at the handshake, and counts it", async () => {
    const before = await refused("NoSharedGroup");
    const answer = await mtlsRequest(inbound.port, {
      identity: client,
      ca: anchor.certificate,
      groups: "X25519",
    });
    expect(answer.status).toBeUndefined();
    expect(answer.error).toBe("EPROTO");
    await vi.waitFor(async () => expect(await refused("NoSharedGroup")).toBe(before + 1));
  });
});

describe("streaming", () => {
  it("passes each server-sent event on as it is written, and a chunked request body as it arrives", async () => {
    const gotFirstChunk = Promise.withResolvers<void>();
    const sendSecondEvent = Promise.withResolvers<void>();
    handler = (req, res) => {
      req.once("data", () => gotFirstChunk.resolve());
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("data: one\n\n");
      void sendSecondEvent.promise.then(() => res.end("data: two\n\n"));
    };
    const events: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      const req = httpsRequest({
        host: "127.0.0.1",
        port: inbound.port,
        method: "POST",
        path: "/sse",
        ca: anchor.certificate,
        checkServerIdentity: () => undefined,
        cert: client.certificate,
        key: client.keyPem,
        agent: false,
      });
      req.on("error", reject);
      req.on("response", (res) => {
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          events.push(chunk);
          if (events.length === 1) sendSecondEvent.resolve();
        });
        res.on("end", resolve);
      });
      req.write("first chunk of a body that is still being written");
      // The upstream reads the first chunk while the request is still open.
      void gotFirstChunk.promise.then(() => req.end("last chunk"));
    });
    await done;
    expect(events.join("")).toBe("data: one\n\ndata: two\n\n");
    expect(events[0]).toBe("data: one\n\n"); // delivered before the upstream wrote the second
  });
});

describe("a new identity", () => {
  it("serves new connections with it while an open stream keeps its connection", async () => {
    const next = await testAnchor();
    const [renewed, nextClient] = await Promise.all([
      testWorkload(next, { serviceAccount: "search", dnsNames: ["search.mcp.svc"] }),
      testWorkload(next, { serviceAccount: "planner", namespace: "agents" }),
    ]);
    let write: ((chunk: string) => void) | undefined;
    let end: (() => void) | undefined;
    handler = (req, res) => {
      if (req.url !== "/events") return echo(req, res);
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.flushHeaders();
      write = (chunk) => res.write(chunk);
      end = () => res.end();
    };
    let received = "";
    const closed = new Promise<void>((resolve, reject) => {
      const req = httpsRequest({
        host: "127.0.0.1",
        port: inbound.port,
        path: "/events",
        ca: anchor.certificate,
        checkServerIdentity: () => undefined,
        cert: client.certificate,
        key: client.keyPem,
        agent: false,
      });
      req.on("error", reject);
      req.on("response", (res) => {
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (received += chunk));
        res.on("end", resolve);
      });
      req.end();
    });
    await vi.waitFor(() => expect(write).toBeDefined());
    write!("data: before\n\n");
    await vi.waitFor(() => expect(received).toBe("data: before\n\n"));

    // Renewed under a new anchor; the bundle trusts both, as while anchors rotate.
    identities.publish(identityOf(renewed, next, anchor));
    const fresh = await mtlsRequest(inbound.port, { identity: nextClient, ca: next.certificate });
    expect(fresh.status).toBe(200);

    write!("data: after\n\n");
    await vi.waitFor(() => expect(received).toBe("data: before\n\ndata: after\n\n"));
    end!();
    await closed;
    identities.publish(identityOf(server, anchor));
  });
});

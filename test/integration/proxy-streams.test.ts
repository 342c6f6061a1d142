/**
 * A long-lived stream through the proxies outlives the certificates and the trust anchor it started
 * under. An SSE server keeps sending numbered events behind an inbound proxy; a client reads them through
 * an outbound proxy; both proxies run in this process with real pods' identities from a real operator.
 * The operator runs with short lifetimes (`--trust-anchor-lifetime=45s`: the next anchor is published at
 * 22.5 s and signs from 30 s, the first leaves the bundle at 45 s; `--max-identity-ttl=14s`, under the
 * third of it the operator requires), so within a minute both proxies renew their identities several
 * times and then renew under a new anchor.
 *
 * The stream stays one connection (the server saw one request) and loses no event across all of it;
 * new connections made after the rotation, and after the first anchor left the bundle, still succeed.
 * The kubelet's part, keeping the mounted trust bundle in step with its ConfigMap, is played by the
 * harness.
 */
import { get, type IncomingMessage } from "node:http";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { CONNECT_ANNOTATION } from "../../operator/api/annotations.ts";
import { verifyCertificate } from "../../operator/crypto/index.ts";
import type { StoredAnchor } from "../../operator/identity/anchor/material.ts";
import { clientRules, formatClientRule } from "../../operator/policy/clients.ts";
import { parseProxyFlags } from "../../operator/proxy/flags.ts";
import type { ProxyIdentity } from "../../operator/proxy/identity.ts";
import { startProxy, type RunningProxy } from "../../operator/proxy/proxy.ts";
import { metricValue, plainServer, silent } from "../../operator/proxy/testing.ts";
import {
  anchors,
  createServer,
  podFiles,
  policyNamespaces,
  proxyArgs,
  startProxyOperator,
  type ProxyOperator,
} from "./proxy-harness.ts";

let op: ProxyOperator;
let inbound: RunningProxy;
let outbound: RunningProxy;
let localUrl: string;
/** Every identity each proxy held, in order. */
const held: Record<"inbound" | "outbound", ProxyIdentity[]> = { inbound: [], outbound: [] };
let streamRequests = 0;

beforeAll(async () => {
  op = await startProxyOperator(["--trust-anchor-lifetime=45s", "--max-identity-ttl=14s"]);
  const [serverNs, clientNs] = (await policyNamespaces("px-str", ["srv", "cli"], {
    ttl: "1m",
  })) as [string, string];
  const events = await createServer(serverNs, "events", { clients: [{ namespace: clientNs }] });
  const [serverFiles, clientFiles] = await Promise.all([
    podFiles({
      namespace: serverNs,
      pod: "events-0",
      serviceAccount: "events",
      labels: { app: "events" },
      bundleNamespace: serverNs,
    }),
    podFiles({
      namespace: clientNs,
      pod: "reader-0",
      serviceAccount: "reader",
      labels: { app: "reader" },
      annotations: { [CONNECT_ANNOTATION]: `${serverNs}/events` },
      bundleNamespace: serverNs,
    }),
  ]);
  // The SSE server: an event every 200 ms on /events, for as long as the client listens.
  const upstream = await plainServer((req, res) => {
    if (req.url !== "/events") return void res.end("pong");
    streamRequests += 1;
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store" });
    let id = 0;
    const tick = setInterval(() => res.write(`id: ${++id}\ndata: tick\n\n`), 200);
    res.on("close", () => clearInterval(tick));
  });
  afterAll(() => upstream.server.close());
  const start = async (args: string[], direction: "inbound" | "outbound") => {
    const proxy = await startProxy(parseProxyFlags(args), { log: silent, processMetrics: false });
    proxy.identities.onChange((identity) => held[direction].push(identity));
    afterAll(() => proxy.stop());
    return proxy;
  };
  inbound = await start(
    proxyArgs(op, serverFiles, [
      "--listen=127.0.0.1:0",
      `--upstream=127.0.0.1:${upstream.port}`,
      `--mcpserver=${serverNs}/events`,
      ...clientRules(events).map((rule) => `--allow=${formatClientRule(rule)}`),
    ]),
    "inbound",
  );
  const inboundPort = await inbound.listening;
  outbound = await start(
    proxyArgs(op, clientFiles, [
      `--connect=${serverNs}/events`,
      "--listen=127.0.0.1:0",
      `--upstream=127.0.0.1:${inboundPort}`,
    ]),
    "outbound",
  );
  localUrl = `http://127.0.0.1:${await outbound.listening}`;
}, 90_000);

/** The ids of the events read so far from one SSE response. */
function readEvents(res: IncomingMessage): number[] {
  const ids: number[] = [];
  let buffer = "";
  res.setEncoding("utf8");
  res.on("data", (chunk: string) => {
    buffer += chunk;
    const frames = buffer.split("\n\n");
    buffer = frames.pop()!;
    for (const frame of frames) ids.push(Number(/^id: (\d+)$/m.exec(frame)?.[1]));
  });
  return ids;
}

/** Which anchor signed `identity`'s certificate. */
async function signer(identity: ProxyIdentity, all: StoredAnchor[]): Promise<string | undefined> {
  for (const anchor of all) {
    const ok = await verifyCertificate(identity.certificate, [anchor.certificate]).then(
      () => true,
      () => false,
    );
    if (ok) return anchor.id;
  }
  return undefined;
}

const handshakes = () =>
  metricValue(outbound.metrics.registry, "latticeguard_proxy_handshake_duration_seconds");

it("keeps an SSE stream open across identity renewals and a trust-anchor rotation", async () => {
  const [first] = (await anchors(op)).filter((a) => a.state === "active");
  const res = await new Promise<IncomingMessage>((resolve, reject) =>
    get(`${localUrl}/events`, resolve).on("error", reject),
  );
  expect(res.statusCode).toBe(200);
  expect(res.headers["content-type"]).toBe("text/event-stream");
  const ids = readEvents(res);
  let closed = false;
  res.on("close", () => (closed = true));
  const flowing = async () => {
    const seen = ids.length;
    await vi.waitFor(() => expect(ids.length).toBeGreaterThan(seen + 2), { timeout: 5000 });
  };
  await flowing();
  const renewedFrom = { inbound: held.inbound.length, outbound: held.outbound.length };

  // Renewals: both proxies take new identities for new connections; the stream keeps its own.
  await vi.waitFor(
    () => {
      expect(held.inbound.length).toBeGreaterThan(renewedFrom.inbound);
      expect(held.outbound.length).toBeGreaterThan(renewedFrom.outbound);
    },
    { timeout: 30_000, interval: 200 },
  );
  await flowing();

  // The rotation: both proxies now present certificates the next anchor signed.
  await vi.waitFor(
    async () => {
      const all = await anchors(op);
      for (const proxy of [inbound, outbound]) {
        const id = await signer(proxy.identities.current()!, all);
        expect(id).toBeDefined();
        expect(id).not.toBe(first!.id);
      }
    },
    { timeout: 45_000, interval: 500 },
  );
  await flowing();
  const before = await handshakes();
  const afterRotation = await fetch(`${localUrl}/ping`);
  expect(await afterRotation.text()).toBe("pong");
  expect(await handshakes()).toBeGreaterThan(before); // a new connection, under the new anchor

  // The first anchor leaves the bundles; the stream, authenticated under it, is still open.
  await vi.waitFor(
    () => {
      expect(Date.now()).toBeGreaterThan(first!.notAfter);
      for (const proxy of [inbound, outbound])
        expect(proxy.identities.current()!.bundle).not.toContain(first!.certificate);
    },
    { timeout: 30_000, interval: 500 },
  );
  await flowing();
  expect(await (await fetch(`${localUrl}/ping`)).text()).toBe("pong");

  expect(closed).toBe(false);
  expect(streamRequests).toBe(1);
  expect(ids).toEqual(ids.map((_, i) => i + 1)); // every event, in order, none lost
  expect(held.inbound.length).toBeGreaterThanOrEqual(3);
  expect(held.outbound.length).toBeGreaterThanOrEqual(3);
  res.destroy();
}, 90_000);

/**
 * What the proxy refuses, against real identities: an inbound proxy for MCPServer `tools` (in this
 * process, with its real pod's identity from a real operator's issuance API) in front of a plaintext
 * upstream, called by TLS clients that each get one thing wrong. Each refusal is asserted for what the
 * client sees (a TLS alert, or `401`/`403` with `{ reason, message }`), that nothing reached the upstream,
 * and one more count in `latticeguard_proxy_refused_total{reason}`; a positive control shows the same
 * setup admits the client `spec.clients` names. Last, an outbound proxy refuses a server whose
 * certificate is not for the name it dialled.
 *
 * The expired certificate is real too: signed with the operator's own anchor key, read from the anchor
 * Secret, valid for one second at the anchor's start.
 */
import type { IncomingHttpHeaders } from "node:http";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { KeptIdentity } from "../../operator/agent/keeper.ts";
import { CONNECT_ANNOTATION } from "../../operator/api/annotations.ts";
import {
  createCsr,
  issueCertificate,
  nativeSignature,
  privateKeyPem,
  verifyCsr,
} from "../../operator/crypto/index.ts";
import { testAnchor, testWorkload } from "../../operator/crypto/testdata/identities.ts";
import { clientRules, formatClientRule } from "../../operator/policy/clients.ts";
import { parseProxyFlags } from "../../operator/proxy/flags.ts";
import { startProxy, type RunningProxy } from "../../operator/proxy/proxy.ts";
import { metricValue, mtlsRequest, plainServer, silent } from "../../operator/proxy/testing.ts";
import {
  anchors,
  createServer,
  obtainIdentity,
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
let inbound: RunningProxy;
let inboundPort: number;
let trust: string;
const identities: Record<"planner" | "web", KeptIdentity> = {} as never;
let expired: { certificate: string; keyPem: string };
let files: Record<"tools" | "web" | "planner", PodFiles>;
const seen: IncomingHttpHeaders[] = [];
const proxies: RunningProxy[] = [];

beforeAll(async () => {
  op = await startProxyOperator();
  [serverNs, clientNs] = (await policyNamespaces("px-ref", ["srv", "cli"])) as [string, string];
  const tools = await createServer(serverNs, "tools", { clients: [{ namespace: clientNs }] });
  await createServer(serverNs, "web");
  files = {
    tools: await podFiles({
      namespace: serverNs,
      pod: "tools-0",
      serviceAccount: "tools",
      labels: { app: "tools" },
      bundleNamespace: serverNs,
    }),
    // A workload of the cluster with a real identity that `tools` does not admit.
    web: await podFiles({
      namespace: serverNs,
      pod: "web-0",
      serviceAccount: "web",
      labels: { app: "web" },
      bundleNamespace: serverNs,
    }),
    planner: await podFiles({
      namespace: clientNs,
      pod: "planner-0",
      serviceAccount: "planner",
      labels: { app: "planner" },
      annotations: { [CONNECT_ANNOTATION]: `${serverNs}/tools` },
      bundleNamespace: serverNs,
    }),
  };
  const upstream = await plainServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
  });
  afterAll(() => upstream.server.close());
  inbound = await startProxy(
    parseProxyFlags(
      proxyArgs(op, files.tools, [
        "--listen=127.0.0.1:0",
        `--upstream=127.0.0.1:${upstream.port}`,
        `--mcpserver=${serverNs}/tools`,
        ...clientRules(tools).map((rule) => `--allow=${formatClientRule(rule)}`),
      ]),
    ),
    { log: silent, processMetrics: false },
  );
  proxies.push(inbound);
  [inboundPort, identities.planner, identities.web] = await Promise.all([
    inbound.listening,
    obtainIdentity(op, files.planner),
    obtainIdentity(op, files.web),
  ]);
  trust = inbound.identities.current()!.bundle;

  // Signed by the operator's signing anchor, valid for the first second of the anchor's life.
  const active = (await anchors(op)).find((a) => a.state === "active")!;
  const key = { algorithm: "ML-DSA-65" as const, seed: nativeSignature.generateSeed("ML-DSA-65") };
  const certificate = await issueCertificate({
    issuer: {
      certificate: active.certificate,
      key: { algorithm: active.algorithm, seed: active.seed },
    },
    subjectKey: await verifyCsr(await createCsr({ key })),
    spiffeId: `spiffe://cluster.local/ns/${clientNs}/sa/planner`,
    notBefore: new Date(active.notBefore),
    notAfter: new Date(active.notBefore + 1000),
  });
  expect(Date.now()).toBeGreaterThan(active.notBefore + 1000);
  expired = { certificate, keyPem: privateKeyPem(key) };
}, 90_000);

afterAll(() => Promise.all(proxies.map((p) => p.stop())));

const refused = (proxy: RunningProxy, reason: string) =>
  metricValue(proxy.metrics.registry, "latticeguard_proxy_refused_total", { reason });

describe("the positive control", () => {
  it("admits the client spec.clients names, and forwards who it is", async () => {
    const answer = await mtlsRequest(inboundPort, { identity: identities.planner, ca: trust });
    expect(answer).toMatchObject({ status: 200, json: { ok: true }, group: "X25519MLKEM768" });
    expect(seen.at(-1)?.["x-forwarded-client-cert"]).toMatch(
      new RegExp(`;URI=spiffe://cluster\\.local/ns/${clientNs}/sa/planner$`),
    );
  });
});

describe("refusals", () => {
  it("refuses a client that offers only X25519 at the handshake, and counts it", async () => {
    const before = await refused(inbound, "NoSharedGroup");
    const answer = await mtlsRequest(inboundPort, {
      identity: identities.planner,
      ca: trust,
      groups: "X25519",
    });
    expect(answer.status).toBeUndefined();
    expect(answer.error).toBe("EPROTO"); // OpenSSL's handshake_failure alert
    expect(answer.group).toBeUndefined();
    await vi.waitFor(async () => expect(await refused(inbound, "NoSharedGroup")).toBe(before + 1));
  });

  it.each<
    [string, number, string, () => Promise<{ certificate: string; keyPem: string } | undefined>]
  >([
    ["a client without a certificate", 401, "NoCertificate", () => Promise.resolve(undefined)],
    [
      "a certificate from another CA",
      401,
      "UntrustedCertificate",
      async () =>
        testWorkload(await testAnchor(), { serviceAccount: "planner", namespace: clientNs }),
    ],
    [
      "a SPIFFE ID the MCPServer does not allow",
      403,
      "ClientNotAllowed",
      () => Promise.resolve(identities.web),
    ],
    ["an expired certificate", 401, "ExpiredCertificate", () => Promise.resolve(expired)],
  ])(
    "refuses %s with %i %s, counts it, and forwards nothing",
    async (_name, status, reason, who) => {
      const [before, answeredBefore, forwarded] = [
        await refused(inbound, reason),
        await metricValue(inbound.metrics.registry, "latticeguard_proxy_requests_total", {
          code: String(status),
        }),
        seen.length,
      ];
      const answer = await mtlsRequest(inboundPort, { identity: await who(), ca: trust });
      expect(answer.status).toBe(status);
      expect(Object.keys(answer.json ?? {}).sort()).toEqual(["message", "reason"]);
      expect(answer.json?.reason).toBe(reason);
      expect(seen).toHaveLength(forwarded);
      expect(await refused(inbound, reason)).toBe(before + 1);
      expect(
        await metricValue(inbound.metrics.registry, "latticeguard_proxy_requests_total", {
          code: String(status),
        }),
      ).toBe(answeredBefore + 1);
    },
  );

  it("names the caller and the MCPServer in a ClientNotAllowed refusal", async () => {
    const answer = await mtlsRequest(inboundPort, { identity: identities.web, ca: trust });
    expect(answer.json?.message).toContain(
      `spiffe://cluster.local/ns/${serverNs}/sa/web may not call MCPServer ${serverNs}/tools`,
    );
  });
});

describe("an outbound proxy", () => {
  const outbound = async (extra: string[]) => {
    const proxy = await startProxy(
      parseProxyFlags(
        proxyArgs(op, files.planner, [
          `--connect=${serverNs}/tools`,
          "--listen=127.0.0.1:0",
          `--upstream=127.0.0.1:${inboundPort}`,
          ...extra,
        ]),
      ),
      { log: silent, processMetrics: false },
    );
    proxies.push(proxy);
    return { proxy, url: `http://127.0.0.1:${await proxy.listening}/mcp` };
  };

  it("reaches the server under its Service name", async () => {
    const { url } = await outbound([]);
    expect((await fetch(url)).status).toBe(200);
  });

  it("refuses a server whose certificate is not for the name it dialled, and counts it", async () => {
    const { proxy, url } = await outbound([`--server-name=search.${serverNs}.svc`]);
    const answer = await fetch(url);
    expect(answer.status).toBe(502);
    const body = (await answer.json()) as Record<string, unknown>;
    expect(body.reason).toBe("ServerNameMismatch");
    expect(body.message).toBe(`the server certificate is not valid for search.${serverNs}.svc`);
    expect(await refused(proxy, "ServerNameMismatch")).toBe(1);
  });
});

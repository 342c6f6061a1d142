import { X509Certificate } from "node:crypto";
import type { PeerCertificate } from "node:tls";
import { beforeAll, describe, expect, it } from "vitest";
import { testAnchor, testWorkload } from "../crypto/testdata/identities.ts";
import type { ClientRule } from "../policy/clients.ts";
import {
  authorizePeer,
  checkServer,
  handshakeRefusal,
  ServerRefusedError,
  spiffeIdOf,
  upstreamRefusal,
  type TlsPeer,
} from "./authorize.ts";

const AGENT = "spiffe://cluster.local/ns/agents/sa/planner";
const context = {
  rules: [{ kind: "Namespace", namespace: "agents" }] satisfies ClientRule[],
  trustDomain: "cluster.local",
  server: { namespace: "mcp", name: "search" },
};
const san = (id: string) => `URI:${id}, DNS:planner.agents.svc`;

describe("spiffeIdOf", () => {
  it.each<[string | undefined, string | undefined]>([
    [san(AGENT), AGENT],
    [`DNS:x.svc, URI:${AGENT}`, AGENT],
    ["DNS:x.svc", undefined],
    [undefined, undefined],
    [`URI:${AGENT}, URI:spiffe://cluster.local/ns/a/sa/b`, undefined],
    ["URI:https://example.com/x", undefined],
    ['URI:"spiffe://cluster.local/ns/a, b/sa/c"', undefined],
    ["URI:spiffe://cluster.local", undefined],
  ])("%s → %s", (value, expected) => {
    expect(spiffeIdOf(value)).toBe(expected);
  });
});

describe("authorizePeer", () => {
  const ok: TlsPeer = { authorized: true, certificate: true, subjectAltName: san(AGENT) };
  it.each<[string, TlsPeer, number | undefined, string | undefined]>([
    ["an admitted workload", ok, undefined, undefined],
    ["no certificate", { authorized: false, certificate: false }, 401, "NoCertificate"],
    [
      "a certificate from another CA",
      { ...ok, authorized: false, authorizationError: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" },
      401,
      "UntrustedCertificate",
    ],
    [
      "a self-signed certificate",
      { ...ok, authorized: false, authorizationError: "DEPTH_ZERO_SELF_SIGNED_CERT" },
      401,
      "UntrustedCertificate",
    ],
    [
      "an expired certificate",
      { ...ok, authorized: false, authorizationError: "CERT_HAS_EXPIRED" },
      401,
      "ExpiredCertificate",
    ],
    ["no SPIFFE ID", { ...ok, subjectAltName: "DNS:planner.agents.svc" }, 403, "NoSpiffeId"],
    [
      "a workload of another namespace",
      { ...ok, subjectAltName: san("spiffe://cluster.local/ns/web/sa/planner") },
      403,
      "ClientNotAllowed",
    ],
    [
      "the admitted namespace in another trust domain",
      { ...ok, subjectAltName: san("spiffe://evil.example/ns/agents/sa/planner") },
      403,
      "ClientNotAllowed",
    ],
  ])("%s → %s %s", (_name, peer, status, reason) => {
    const result = authorizePeer(peer, context);
    if (reason === undefined) expect(result).toEqual({ spiffeId: AGENT });
    else expect(result).toMatchObject({ status, reason });
  });

  it("names the caller and the MCPServer when it refuses a SPIFFE ID", () => {
    const other = "spiffe://cluster.local/ns/web/sa/planner";
    expect(authorizePeer({ ...ok, subjectAltName: san(other) }, context)).toMatchObject({
      message: `${other} may not call MCPServer mcp/search: spec.clients does not admit it`,
    });
  });

  it("admits an exact SPIFFE ID of another trust domain when a rule names it", () => {
    const foreign = "spiffe://partner.example/ns/x/sa/y";
    const rules: ClientRule[] = [{ kind: "SpiffeId", id: foreign }];
    expect(authorizePeer({ ...ok, subjectAltName: san(foreign) }, { ...context, rules })).toEqual({
      spiffeId: foreign,
    });
  });
});

describe("handshakeRefusal", () => {
  it.each([
    ["ERR_SSL_NO_SUITABLE_KEY_SHARE", "NoSharedGroup"],
    ["ERR_SSL_NO_SHARED_GROUPS", "NoSharedGroup"],
    ["ERR_SSL_UNSUPPORTED_PROTOCOL", "UnsupportedProtocol"],
    ["ECONNRESET", "HandshakeFailed"],
    [undefined, "HandshakeFailed"],
  ])("%s → %s", (code, reason) => {
    expect(handshakeRefusal(code)).toBe(reason);
  });
});

describe("checkServer", () => {
  let certificate: (
    dnsNames: string[],
    namespace: string,
    domain?: string,
  ) => Promise<PeerCertificate>;
  beforeAll(() => {
    certificate = async (dnsNames, namespace, domain = "cluster.local") => {
      const workload = await testWorkload(await testAnchor({ trustDomain: domain }), {
        serviceAccount: "search",
        namespace,
        dnsNames,
      });
      const x509 = new X509Certificate(workload.certificate);
      return { subject: {}, subjectaltname: x509.subjectAltName } as unknown as PeerCertificate;
    };
  });
  const expected = { serverName: "search.mcp.svc", trustDomain: "cluster.local", namespace: "mcp" };

  it.each<[string, string[], string, string | undefined, string | undefined]>([
    [
      "the server of the MCPServer's namespace",
      ["search", "search.mcp.svc"],
      "mcp",
      undefined,
      undefined,
    ],
    ["a certificate for another name", ["tools.mcp.svc"], "mcp", undefined, "ServerNameMismatch"],
    ["a workload of another namespace", ["search.mcp.svc"], "web", undefined, "ServerNotAllowed"],
    [
      "a workload of another trust domain",
      ["search.mcp.svc"],
      "mcp",
      "evil.example",
      "ServerNotAllowed",
    ],
  ])("%s → %s", async (_name, dnsNames, namespace, domain, reason) => {
    const error = checkServer(await certificate(dnsNames, namespace, domain), expected);
    expect(error?.reason).toBe(reason);
  });
});

describe("upstreamRefusal", () => {
  it.each<[unknown, string | undefined]>([
    [new ServerRefusedError("ServerNameMismatch", "x"), "ServerNameMismatch"],
    [Object.assign(new Error("x"), { code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" }), "UntrustedServer"],
    [Object.assign(new Error("x"), { code: "CERT_HAS_EXPIRED" }), "UntrustedServer"],
    [Object.assign(new Error("x"), { code: "ECONNREFUSED" }), undefined],
    [new Error("socket hang up"), undefined],
  ])("%s → %s", (error, reason) => {
    expect(upstreamRefusal(error)?.reason).toBe(reason);
  });
});

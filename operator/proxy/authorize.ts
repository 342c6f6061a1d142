/**
 * Who the peer of a mutual-TLS connection is, and whether it may talk to us: pure decisions over what
 * node:tls reports, so every refusal is one table-tested reason.
 *
 * Inbound, OpenSSL verifies the client's chain against the bundle but does not end the connection (the
 * server asks for a certificate without requiring one), so a refusal is an HTTP answer the caller can
 * read instead of a bare TLS alert: `401` without a certificate (`NoCertificate`), with one that does not
 * chain to the bundle (`UntrustedCertificate`) or that expired (`ExpiredCertificate`); `403` for a
 * certificate without exactly one `spiffe://` URI SAN (`NoSpiffeId`) or a SPIFFE ID the MCPServer's
 * client rules do not admit (`ClientNotAllowed`). A handshake that fails never reaches HTTP; it is
 * counted by why (`NoSharedGroup` for a client that offers no post-quantum group).
 *
 * Outbound, the server's chain is verified by OpenSSL, then its certificate must carry the DNS name the
 * proxy dialled (`--server-name`) and a workload SPIFFE ID of our trust domain in the MCPServer's
 * namespace: a certificate for another workload of the cluster does not pass for the server.
 *
 * @example
 * const peer = authorizePeer(tlsPeer(socket), { rules, trustDomain: "cluster.local", server });
 * if ("reason" in peer) res.writeHead(peer.status).end(JSON.stringify(refusalBody(peer)));
 */
import { checkServerIdentity, type PeerCertificate } from "node:tls";
import { clientAllowed, type ClientRule } from "../policy/clients.ts";
import { parseWorkloadSpiffeId } from "../crypto/index.ts";

/**
 * Why the proxy refused a connection or a request.
 *
 * @example
 * metrics.refused.inc({ reason: "ClientNotAllowed" satisfies RefusalReason });
 */
export type RefusalReason =
  // inbound, at the TLS handshake
  | "NoSharedGroup"
  | "UnsupportedProtocol"
  | "HandshakeFailed"
  // inbound, answered over HTTP
  | "NoCertificate"
  | "UntrustedCertificate"
  | "ExpiredCertificate"
  | "NoSpiffeId"
  | "ClientNotAllowed"
  // outbound, the server's certificate
  | "UntrustedServer"
  | "ServerNameMismatch"
  | "ServerNotAllowed";

/**
 * A refusal answered over HTTP; `UpstreamUnavailable` (502) is the answer when the upstream could not be
 * reached, which is no refusal and is not counted as one.
 *
 * @example
 * const refusal: PeerRefusal = { status: 403, reason: "NoSpiffeId", message: "…" };
 */
export interface PeerRefusal {
  status: 401 | 403 | 502;
  reason: RefusalReason | "UpstreamUnavailable";
  message: string;
}

/**
 * What node:tls says of the peer of a server-side socket.
 *
 * @example
 * const peer: TlsPeer = { authorized: socket.authorized, authorizationError: "CERT_HAS_EXPIRED", certificate: true, subjectAltName };
 */
export interface TlsPeer {
  authorized: boolean;
  /** OpenSSL's verification error code, such as `UNABLE_TO_VERIFY_LEAF_SIGNATURE`. */
  authorizationError?: string | undefined;
  /** Whether the peer sent a certificate at all. */
  certificate: boolean;
  /** node:tls's `subjectaltname` string, e.g. `URI:spiffe://…, DNS:…`. */
  subjectAltName?: string | undefined;
}

/**
 * The one SPIFFE ID of a certificate's `subjectaltname`, or undefined when it has none or several URIs,
 * or its URI is not a `spiffe://` ID (node:tls quotes a value with separators, which fails here too).
 *
 * @example
 * spiffeIdOf("URI:spiffe://cluster.local/ns/mcp/sa/search, DNS:search.mcp.svc"); // "spiffe://cluster.local/ns/mcp/sa/search"
 */
export function spiffeIdOf(subjectAltName: string | undefined): string | undefined {
  const uris = (subjectAltName ?? "")
    .split(", ")
    .filter((entry) => entry.startsWith("URI:"))
    .map((entry) => entry.slice("URI:".length));
  return uris.length === 1 && /^spiffe:\/\/[^/"\s]+\/\S+$/.test(uris[0]!) ? uris[0] : undefined;
}

/**
 * Whether the client of an inbound connection may call the MCPServer `server`: its SPIFFE ID, or the
 * refusal to answer.
 *
 * @example
 * authorizePeer({ authorized: false, certificate: false }, context); // { status: 401, reason: "NoCertificate", … }
 */
export function authorizePeer(
  peer: TlsPeer,
  context: {
    rules: readonly ClientRule[];
    trustDomain: string;
    server: { namespace: string; name: string };
  },
): { spiffeId: string } | PeerRefusal {
  if (!peer.certificate)
    return {
      status: 401,
      reason: "NoCertificate",
      message: "a client certificate is required: present a LatticeGuard workload identity",
    };
  if (!peer.authorized) {
    const code = peer.authorizationError ?? "unknown";
    if (code === "CERT_HAS_EXPIRED")
      return {
        status: 401,
        reason: "ExpiredCertificate",
        message: "the client certificate has expired",
      };
    return {
      status: 401,
      reason: "UntrustedCertificate",
      message: `the client certificate does not verify against the trust bundle (${code})`,
    };
  }
  const spiffeId = spiffeIdOf(peer.subjectAltName);
  if (!spiffeId)
    return {
      status: 403,
      reason: "NoSpiffeId",
      message: "the client certificate must carry exactly one spiffe:// URI SAN",
    };
  const { namespace, name } = context.server;
  if (!clientAllowed(context.rules, spiffeId, context.trustDomain))
    return {
      status: 403,
      reason: "ClientNotAllowed",
      message: `${spiffeId} may not call MCPServer ${namespace}/${name}: spec.clients does not admit it`,
    };
  return { spiffeId };
}

/**
 * The reason for a failed inbound handshake, from the error node:tls reports (`tlsClientError`).
 *
 * @example
 * handshakeRefusal("ERR_SSL_NO_SUITABLE_KEY_SHARE"); // "NoSharedGroup"
 */
export function handshakeRefusal(code: string | undefined): RefusalReason {
  switch (code) {
    case "ERR_SSL_NO_SUITABLE_KEY_SHARE":
    case "ERR_SSL_NO_SHARED_GROUPS":
      return "NoSharedGroup";
    case "ERR_SSL_UNSUPPORTED_PROTOCOL":
    case "ERR_SSL_WRONG_VERSION_NUMBER":
      return "UnsupportedProtocol";
    default:
      return "HandshakeFailed";
  }
}

/**
 * An outbound refusal of the server's certificate, as node:tls's `checkServerIdentity` returns it.
 *
 * @example
 * if (error instanceof ServerRefusedError) metrics.refused.inc({ reason: error.reason });
 */
export class ServerRefusedError extends Error {
  readonly reason: RefusalReason;
  constructor(reason: RefusalReason, message: string) {
    super(message);
    this.name = "ServerRefusedError";
    this.reason = reason;
  }
}

/**
 * Checks the certificate of the server dialled as `serverName` (its chain already verified): the DNS
 * name, then a workload SPIFFE ID of `trustDomain` in `namespace`. Returns the error to fail the
 * connection with, or undefined.
 *
 * @example
 * https.request({ ..., checkServerIdentity: (_host, cert) => checkServer(cert, expected) });
 */
export function checkServer(
  certificate: Pick<PeerCertificate, "subject" | "subjectaltname">,
  expected: { serverName: string; trustDomain: string; namespace: string },
): ServerRefusedError | undefined {
  const dns = checkServerIdentity(expected.serverName, certificate as PeerCertificate);
  if (dns)
    return new ServerRefusedError(
      "ServerNameMismatch",
      `the server certificate is not valid for ${expected.serverName}`,
    );
  const spiffeId = spiffeIdOf(certificate.subjectaltname);
  let workload: { trustDomain: string; namespace: string } | undefined;
  try {
    workload = spiffeId ? parseWorkloadSpiffeId(spiffeId) : undefined;
  } catch {
    workload = undefined;
  }
  if (workload?.trustDomain !== expected.trustDomain || workload.namespace !== expected.namespace)
    return new ServerRefusedError(
      "ServerNotAllowed",
      `the server's SPIFFE ID ${spiffeId ?? "(none)"} is not a workload of namespace ${expected.namespace} in trust domain ${expected.trustDomain}`,
    );
  return undefined;
}

/**
 * The outbound refusal for a failed connection to the server, or undefined when the failure is not about
 * the server's identity (refused connections, timeouts: the upstream is unavailable).
 *
 * @example
 * upstreamRefusal(error)?.reason; // "UntrustedServer" for UNABLE_TO_VERIFY_LEAF_SIGNATURE
 */
export function upstreamRefusal(error: unknown): PeerRefusal | undefined {
  if (error instanceof ServerRefusedError)
    return { status: 502, reason: error.reason, message: error.message };
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === "string" && /^(CERT_|UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO)/.test(code))
    return {
      status: 502,
      reason: "UntrustedServer",
      message: `the server certificate does not verify against the trust bundle (${code})`,
    };
  return undefined;
}

/**
 * The JSON body of a refusal: `{ reason, message }`.
 *
 * @example
 * res.end(JSON.stringify(refusalBody(refusal)));
 */
export function refusalBody(refusal: PeerRefusal): Pick<PeerRefusal, "reason" | "message"> {
  return { reason: refusal.reason, message: refusal.message };
}

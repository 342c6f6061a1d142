/**
 * One TLS handshake with an MCP endpoint, and what it showed: the negotiated group, TLS version and
 * cipher suite, the certificate presented, whether its chain leads to one of `ca` (the trust bundle),
 * and its SPIFFE ID. The socket is closed as soon as the handshake completes; nothing is sent.
 *
 * No client certificate is presented. In TLS 1.3 the client has the server's key share and certificate
 * before the server sees the client's (empty) Certificate message, and node:tls reports
 * `secureConnect` then: a server that requires mutual TLS (LatticeGuard's proxy) refuses the client only
 * afterwards, which arrives as an error this module ignores. So the probe needs no identity of its own,
 * cannot be refused for whom it is, and is never authorized to call anything.
 *
 * Chain checking is OpenSSL's, against the trust bundle only (`rejectUnauthorized: false`, the verdict
 * read from `authorized` / `authorizationError`); host names are not checked, since endpoints are pod
 * IPs. The bundle comes as {@link TrustContexts}, so a round parses it once per group set, not once per
 * connection.
 *
 * @example
 * const trust = trustContexts(bundle);
 * const seen = await handshake({ host: "10.0.0.7", port: 8443 }, { groups: ["X25519MLKEM768"], trust, timeoutMs: 5000 });
 * if (seen.kind === "connected") seen.group; // "X25519MLKEM768"
 */
import { connect, type TLSSocket } from "node:tls";
import { certificateAlgorithm } from "../proxy/metrics.ts";
import { negotiatedGroup } from "../tls/negotiated.ts";
import { spiffeIdOf } from "../proxy/authorize.ts";
import type { TrustContexts } from "./trust-contexts.ts";

/**
 * What a completed handshake showed.
 *
 * @example
 * const c: Connected = { kind: "connected", group: "X25519MLKEM768", tlsVersion: "1.3", authorized: true, … };
 */
export interface Connected {
  kind: "connected";
  group: string;
  /** `1.3`, `1.2`, … */
  tlsVersion: string;
  cipherSuite: string | undefined;
  /** `ML-DSA-65`, `ec`, `rsa`, or `none`. */
  certificateAlgorithm: string;
  spiffeId: string | undefined;
  /** Whether the chain leads to the trust bundle. */
  authorized: boolean;
  authorizationError: string | undefined;
  /** The leaf certificate (PEM), for the CBOM. */
  certificatePem: string | undefined;
}

/**
 * A handshake that did not complete: `unreachable` (no TCP connection, or no answer within the timeout)
 * or `refused` (the TLS layer said no, e.g. no group in common).
 *
 * @example
 * const f: Failed = { kind: "refused", error: "sslv3 alert handshake failure" };
 */
export interface Failed {
  kind: "unreachable" | "refused";
  error: string;
}

/**
 * The outcome of one handshake.
 *
 * @example
 * const seen: Handshake = await handshake(endpoint, options);
 */
export type Handshake = Connected | Failed;

/**
 * How to shake hands: the groups offered (OpenSSL names), the trust bundle's contexts, the timeout.
 *
 * @example
 * const options: HandshakeOptions = { groups: ["X25519", "P-256"], trust: trustContexts([]), timeoutMs: 5000 };
 */
export interface HandshakeOptions {
  groups: readonly string[];
  trust: TrustContexts;
  timeoutMs: number;
}

/** Socket errors that mean nothing answered at the TLS layer. */
const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
  "ECONNRESET",
]);

function connected(socket: TLSSocket): Connected {
  const group = negotiatedGroup(socket);
  const x509 = socket.getPeerX509Certificate();
  const authorizationError = socket.authorizationError;
  return {
    kind: "connected",
    group,
    tlsVersion: (socket.getProtocol() ?? "unknown").replace(/^TLSv/, ""),
    cipherSuite: socket.getCipher()?.standardName,
    certificateAlgorithm: certificateAlgorithm(x509?.publicKey.asymmetricKeyType),
    spiffeId: spiffeIdOf(x509?.subjectAltName),
    authorized: socket.authorized,
    authorizationError: authorizationError ? String(authorizationError) : undefined,
    certificatePem: x509?.toString(),
  };
}

/**
 * Shakes hands with `endpoint`; never rejects, and settles within about `timeoutMs`.
 *
 * @example
 * await handshake({ host: "127.0.0.1", port: 8443 }, { groups: ["MLKEM1024"], trust, timeoutMs: 5000 });
 */
export function handshake(
  endpoint: { host: string; port: number },
  options: HandshakeOptions,
): Promise<Handshake> {
  return new Promise((resolve) => {
    let settled = false;
    const socket = connect({
      host: endpoint.host,
      port: endpoint.port,
      secureContext: options.trust.context(options.groups),
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
    });
    const settle = (result: Handshake) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(
      () =>
        settle({
          kind: "unreachable",
          error: `no TLS handshake within ${options.timeoutMs / 1000} s`,
        }),
      options.timeoutMs,
    );
    socket.once("secureConnect", () => settle(connected(socket)));
    // After secureConnect, errors (a server refusing the missing client certificate) change nothing.
    socket.on("error", (error: NodeJS.ErrnoException) =>
      settle({
        kind: error.code && UNREACHABLE.has(error.code) ? "unreachable" : "refused",
        error: error.message.split("\n")[0]!.slice(0, 200),
      }),
    );
    socket.once("close", () =>
      settle({ kind: "refused", error: "connection closed during the handshake" }),
    );
  });
}

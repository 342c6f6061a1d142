/**
 * What the CBOM records of the handshake probe (its `observedTransport`): one TLS observation per
 * endpoint that completed a handshake, and for an endpoint that accepted a classical-only handshake a
 * second one with that classical group, which the CBOM catalogues at quantum security level 0. The
 * operator's `/v1/cbom` on the leader reads the probe's last round (with the certificates presented);
 * `latticeguard cbom` and the other replicas read the same from MCPServer `status.transport`.
 *
 * @example
 * const seen = observedFromStatus(servers); // for ReadScope.observedTransport
 */
import type { MCPServer } from "../api/types.generated.ts";
import { describeCertificate } from "../cbom/certificates.ts";
import type { CertificateFacts, ObservedTransport } from "../cbom/inventory.ts";
import type { ProbedEndpoint } from "./decide.ts";

/** The `endpoint` of the observation of a classical-only handshake. */
const classicalOnly = (address: string) => `${address} classical-only`;

/**
 * The facts of presented certificates, remembered by PEM from one round to the next: a pod presents
 * the same certificate for hours, and parsing it again for every round was 7% of the probe's CPU. Keeps
 * what the last two rounds saw ({@link endRound} forgets the rest), so it holds about one entry per
 * endpoint.
 *
 * @example
 * const facts = new PresentedCertificates();
 * observedFromProbes("mcp", probed, at, facts);
 * facts.endRound();
 */
export class PresentedCertificates {
  private current = new Map<string, CertificateFacts | undefined>();
  private previous = new Map<string, CertificateFacts | undefined>();

  /** The facts of `pem`; undefined when there is none or it does not parse. */
  of(pem: string | undefined): CertificateFacts | undefined {
    if (!pem) return undefined;
    if (this.current.has(pem)) return this.current.get(pem);
    const facts = this.previous.has(pem) ? this.previous.get(pem) : parse(pem);
    this.current.set(pem, facts);
    return facts;
  }

  /** Forgets what neither this round nor the last one presented. */
  endRound(): void {
    this.previous = this.current;
    this.current = new Map();
  }
}

function parse(pem: string): CertificateFacts | undefined {
  try {
    return describeCertificate(pem, "presented");
  } catch {
    return undefined;
  }
}

/**
 * The observations of one round's probes of a server in `namespace`, at `at` (RFC 3339), with the
 * certificates' facts from `certificates` (a fresh one by default).
 *
 * @example
 * observedFromProbes("mcp", probed, new Date().toISOString());
 */
export function observedFromProbes(
  namespace: string,
  probed: readonly ProbedEndpoint[],
  at: string,
  certificates: PresentedCertificates = new PresentedCertificates(),
): ObservedTransport[] {
  return probed.flatMap(({ endpoint, probe }) => {
    const h = probe.handshake;
    if (!h) return [];
    const address = `${endpoint.host}:${endpoint.port}`;
    const certificate = certificates.of(h.certificatePem);
    const downgradable = probe.outcome === "ClassicalGroupAccepted";
    const main: ObservedTransport = {
      namespace,
      pod: endpoint.pod,
      endpoint: address,
      observedAt: at,
      tlsVersion: h.tlsVersion,
      group: h.group,
      ...(h.cipherSuite && { cipherSuite: h.cipherSuite }),
      ...(certificate && { certificate }),
      acceptsClassicalOnly: downgradable,
    };
    const classical = downgradable && probe.classicalGroup && probe.classicalGroup !== h.group;
    return classical
      ? [main, { ...main, endpoint: classicalOnly(address), group: probe.classicalGroup! }]
      : [main];
  });
}

/**
 * The observations recorded in each server's `status.transport.endpoints`.
 *
 * @example
 * observedFromStatus([server]).map((o) => o.group); // ["X25519MLKEM768"]
 */
export function observedFromStatus(servers: readonly MCPServer[]): ObservedTransport[] {
  return servers.flatMap((server) => {
    const transport = server.status?.transport;
    const at = transport?.lastProbeTime ?? "";
    return (transport?.endpoints ?? []).flatMap((e) => {
      if (!e.group || !e.tlsVersion || !e.address) return [];
      const main: ObservedTransport = {
        namespace: server.metadata.namespace ?? "",
        pod: e.pod ?? "",
        endpoint: e.address,
        observedAt: at,
        tlsVersion: e.tlsVersion,
        group: e.group,
        ...(e.cipherSuite && { cipherSuite: e.cipherSuite }),
        acceptsClassicalOnly: e.result === "ClassicalGroupAccepted",
      };
      return e.classicalGroup && e.classicalGroup !== e.group
        ? [main, { ...main, endpoint: classicalOnly(e.address), group: e.classicalGroup }]
        : [main];
    });
  });
}

/**
 * SPIFFE IDs of workloads: `spiffe://<trust-domain>/ns/<namespace>/sa/<serviceaccount>`, the one URI SAN of
 * every workload certificate LatticeGuard issues. Building one checks each part (the SPIFFE ID spec's
 * character rules, and Kubernetes' own rules for namespace and service-account names) so a bad name fails at
 * issuance with the field named, never as a certificate that some peer later refuses.
 *
 * @example
 * workloadSpiffeId({ trustDomain: "cluster.local", namespace: "mcp", serviceAccount: "search" });
 * // "spiffe://cluster.local/ns/mcp/sa/search"
 */

/**
 * Who a workload is: the parts of its SPIFFE ID.
 *
 * @example
 * const who: WorkloadIdentity = { trustDomain: "cluster.local", namespace: "mcp", serviceAccount: "search" };
 */
export interface WorkloadIdentity {
  trustDomain: string;
  namespace: string;
  serviceAccount: string;
}

// SPIFFE ID spec section 2.1: lowercase letters, digits, dots, dashes and underscores.
const TRUST_DOMAIN = /^[a-z0-9._-]{1,255}$/;
// RFC 1123 label (namespaces) and subdomain (service accounts), as Kubernetes validates them.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const WORKLOAD_ID = /^spiffe:\/\/([^/]+)\/ns\/([^/]+)\/sa\/([^/]+)$/;

/**
 * The SPIFFE ID of a workload, or an Error naming the bad field (`trustDomain`, `namespace`,
 * `serviceAccount`).
 *
 * @example
 * workloadSpiffeId({ trustDomain: "example.org", namespace: "default", serviceAccount: "mcp" });
 * // "spiffe://example.org/ns/default/sa/mcp"
 */
export function workloadSpiffeId(identity: WorkloadIdentity): string {
  const { trustDomain, namespace, serviceAccount } = identity;
  assertTrustDomain(trustDomain);
  if (typeof namespace !== "string" || !DNS_LABEL.test(namespace)) {
    throw new RangeError("`namespace` must be a Kubernetes namespace name (an RFC 1123 label)");
  }
  if (
    typeof serviceAccount !== "string" ||
    serviceAccount.length > 253 ||
    !DNS_SUBDOMAIN.test(serviceAccount)
  ) {
    throw new RangeError(
      "`serviceAccount` must be a Kubernetes service account name (an RFC 1123 subdomain)",
    );
  }
  return `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

/**
 * Checks a SPIFFE trust domain name, or throws an Error naming `trustDomain`.
 *
 * @example
 * assertTrustDomain("cluster.local"); // ok
 * assertTrustDomain("Cluster.Local"); // throws RangeError: `trustDomain` must be ...
 */
export function assertTrustDomain(trustDomain: unknown): asserts trustDomain is string {
  if (typeof trustDomain !== "string" || !TRUST_DOMAIN.test(trustDomain)) {
    throw new RangeError(
      "`trustDomain` must be 1-255 lowercase letters, digits, dots, dashes or underscores",
    );
  }
}

/**
 * The parts of a workload SPIFFE ID, or an Error naming `spiffeId` when it is not one (another shape of
 * path, a bad trust domain or name).
 *
 * @example
 * parseWorkloadSpiffeId("spiffe://example.org/ns/default/sa/mcp").serviceAccount; // "mcp"
 */
export function parseWorkloadSpiffeId(spiffeId: string): WorkloadIdentity {
  const match = typeof spiffeId === "string" ? WORKLOAD_ID.exec(spiffeId) : null;
  if (!match) {
    throw new RangeError(
      "`spiffeId` must have the form spiffe://<trust-domain>/ns/<namespace>/sa/<serviceaccount>",
    );
  }
  const [, trustDomain = "", namespace = "", serviceAccount = ""] = match;
  const identity = { trustDomain, namespace, serviceAccount };
  try {
    workloadSpiffeId(identity);
  } catch (cause) {
    throw new RangeError(`\`spiffeId\` is not a valid workload SPIFFE ID`, { cause });
  }
  return identity;
}

/**
 * The workload identity in a TLS peer's certificate, read from node:tls's `subjectaltname` string (as
 * `socket.getPeerCertificate().subjectaltname` gives it, e.g. `URI:spiffe://…, DNS:…`). An X.509-SVID has
 * exactly one URI SAN; none, several, or one that is not a workload SPIFFE ID throws an Error naming
 * `subjectAltName`. Node quotes any value with separators in it, which then fails the SPIFFE ID check.
 *
 * @example
 * peerWorkloadIdentity(socket.getPeerCertificate().subjectaltname).namespace; // "mcp"
 */
export function peerWorkloadIdentity(subjectAltName: string | undefined): WorkloadIdentity {
  const uris = (subjectAltName ?? "")
    .split(", ")
    .filter((entry) => entry.startsWith("URI:"))
    .map((entry) => entry.slice("URI:".length));
  if (uris.length !== 1) {
    throw new RangeError(`\`subjectAltName\` must hold exactly one URI; it holds ${uris.length}`);
  }
  try {
    return parseWorkloadSpiffeId(uris[0]!);
  } catch (cause) {
    throw new RangeError("`subjectAltName` URI is not a workload SPIFFE ID", { cause });
  }
}

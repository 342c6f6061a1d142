/**
 * The cluster's cryptographic assets as plain data: what `buildCbom` turns into a CycloneDX 1.6 CBOM.
 * Gathering fills it from what the cluster records (inventory-of.ts); nothing here holds key material,
 * only what describes keys and certificates: ids, algorithms, states, validity, subjects, serials and
 * fingerprints.
 *
 * What the cluster does not record, the inventory does not invent: a workload's certificate lives only
 * in its pod, so {@link IdentityRecord} is the last issuance the MCPServer's `status.identity` holds, one
 * per server; the issuance API's own serving certificate lives only in each replica's memory and is left
 * out. {@link ObservedTransport} is the extension point for handshake probes (another change adds them):
 * empty until then.
 *
 * @example
 * const inventory: CbomInventory = inventoryOf(snapshot);
 * const bom = buildCbom(inventory, new Date());
 */
import type { KemAlgorithm, SignatureAlgorithm } from "../api/algorithms.ts";
import type { EnforcementMode } from "../api/cryptopolicy.schema.ts";
import type { KeyState } from "../mcpserver/rotation.ts";

/**
 * One KEM key of an MCPServer, from its published `keys.json` (and `status.kem` for a key the ConfigMap
 * does not list yet).
 *
 * @example
 * const key: KemKeyAsset = { namespace: "mcp", mcpserver: "weather", keyId: "mlkem768-0123456789abcdef",
 *   algorithm: "ML-KEM-768", state: "active", notBefore: "…", notAfter: "…", published: true };
 */
export interface KemKeyAsset {
  namespace: string;
  mcpserver: string;
  keyId: string;
  algorithm: KemAlgorithm;
  state: KeyState;
  /** When the key is (or was, or will be) first used to encapsulate; absent for a key only status names. */
  notBefore?: string;
  /** When its private half is deleted. */
  notAfter?: string;
  hpkeKemId?: number;
  /** The encapsulation key's size in bits (never the key itself). */
  publicKeyBits?: number;
  /** Whether `<name>-kem-public` lists it (false: only `status.kem` names it). */
  published: boolean;
}

/**
 * What a certificate says, without its key.
 *
 * @example
 * const cert: CertificateFacts = describeCertificate(pem, "trust anchor");
 */
export interface CertificateFacts {
  subject: string;
  issuer: string;
  /** Upper-case hex, as node:crypto reports it. */
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  /** The signature algorithm's name, as node:crypto reports it (`ML-DSA-87`, `ecdsa-with-SHA256`). */
  signatureAlgorithm: string;
  signatureAlgorithmOid: string;
  /** The subject key's type: `ml-dsa-65`, `ec`, … */
  publicKeyType: string;
  /** The curve of an EC key (`prime256v1`). */
  publicKeyCurve?: string;
  /** SHA-256 of the DER, lower-case hex. */
  sha256: string;
  isCA: boolean;
  uris: string[];
  dnsNames: string[];
}

/**
 * A trust anchor from the trust bundle, in bundle order (the signing one first).
 *
 * @example
 * const anchor: TrustAnchorAsset = { certificate, position: 0 };
 */
export interface TrustAnchorAsset {
  certificate: CertificateFacts;
  /** Its place in the bundle: 0 is the anchor that signs identities now. */
  position: number;
}

/**
 * The last workload identity issued to one of an MCPServer's pods, as `status.identity` records it.
 *
 * @example
 * const record: IdentityRecord = { namespace: "mcp", mcpserver: "weather", algorithm: "ML-DSA-65",
 *   lastIssuanceTime: "…", lastIssuedNotAfter: "…" };
 */
export interface IdentityRecord {
  namespace: string;
  mcpserver: string;
  algorithm?: SignatureAlgorithm;
  lastIssuanceTime?: string;
  lastIssuedNotAfter?: string;
}

/**
 * The admission webhook's certificates: the one it serves and the CAs the API server trusts for it.
 *
 * @example
 * const webhook: WebhookCertificates = { source: "Secret latticeguard-system/latticeguard-webhook-tls", serving, cas: [ca] };
 */
export interface WebhookCertificates {
  /** Where they were read: a Secret, or the operator replica that serves them. */
  source: string;
  serving?: CertificateFacts;
  cas: CertificateFacts[];
}

/**
 * The TLS 1.3 key-exchange groups one CryptoPolicy allows for MCP endpoints.
 *
 * @example
 * const policy: PolicyTransport = { name: "baseline", enforcement: "Audit", keyExchange: ["X25519MLKEM768"] };
 */
export interface PolicyTransport {
  /** The CryptoPolicy's name; `(defaults)` for the CRD defaults where no policy selects a namespace. */
  name: string;
  enforcement: EnforcementMode;
  keyExchange: string[];
}

/**
 * A TLS endpoint LatticeGuard itself serves, with the groups it offers, most preferred first.
 *
 * @example
 * const own: ServedTransport = { name: "issuance API", groups: ["X25519MLKEM768", "SecP256r1MLKEM768"] };
 */
export interface ServedTransport {
  name: string;
  groups: string[];
}

/**
 * One MCPServer: its policy, its pods' compliance, and the groups its compliant pods claim by
 * annotation (a claim: nothing has checked the wire).
 *
 * @example
 * const server: ServerAsset = { namespace: "mcp", name: "weather", transport: "streamable-http",
 *   policies: ["baseline"], enforcement: "Audit", selectedPods: 2, compliantPods: 2,
 *   claimedGroups: { X25519MLKEM768: 2 } };
 */
export interface ServerAsset {
  namespace: string;
  name: string;
  transport: string;
  policies: string[];
  enforcement: EnforcementMode;
  kemAlgorithm?: KemAlgorithm;
  selectedPods: number;
  compliantPods: number;
  /** For each group the compliant pods declare, how many pods declare it. */
  claimedGroups: Record<string, number>;
}

/**
 * Why an MCP pod's transport is not post-quantum as policy requires: a classical group declared, a name
 * that is no known group, no group declared at all (these three are quantum security level 0), a
 * post-quantum group the policy does not allow, or a post-quantum claim by a pod no MCPServer covers
 * (a shadow server).
 *
 * @example
 * const reason: FindingReason = "ClassicalGroup";
 */
export type FindingReason =
  "ClassicalGroup" | "UnknownGroup" | "NoTransportDeclared" | "GroupNotAllowed" | "NotCovered";

/**
 * One pod that exposes an MCP endpoint without the post-quantum transport its policy asks for; it
 * exists because it was admitted under `Audit` or `Warn`, before a policy changed, or while the webhook
 * was away.
 *
 * @example
 * const finding: TransportFinding = { namespace: "mcp", pod: "legacy-0", reason: "ClassicalGroup",
 *   declared: "X25519", group: "X25519", quantumSecurityLevel: 0, enforcement: "Audit",
 *   policies: ["baseline"], mcpservers: ["legacy"], exposedBy: ['port "mcp" of container "server"'] };
 */
export interface TransportFinding {
  namespace: string;
  pod: string;
  reason: FindingReason;
  /** The `latticeguard.dev/transport` value, at most 64 characters; absent when none is declared. */
  declared?: string;
  /** The catalogue name of the declared group, when it is a known one. */
  group?: string;
  quantumSecurityLevel: number;
  enforcement: EnforcementMode;
  policies: string[];
  /** The MCPServers that select the pod. */
  mcpservers: string[];
  /** Why it counts as an MCP endpoint (describeExposure). */
  exposedBy: string[];
}

/**
 * What a handshake probe saw at one endpoint. The probes are another change: until then the list is
 * empty, and `buildCbom` already reports each entry as an observed TLS protocol asset.
 *
 * @example
 * const seen: ObservedTransport = { namespace: "mcp", pod: "weather-0", endpoint: "10.0.0.7:8443",
 *   observedAt: "…", tlsVersion: "1.3", group: "X25519MLKEM768", cipherSuite: "TLS_AES_256_GCM_SHA384",
 *   acceptsClassicalOnly: false };
 */
export interface ObservedTransport {
  namespace: string;
  pod: string;
  /** `host:port` probed. */
  endpoint: string;
  observedAt: string;
  /** `1.3`, `1.2`, … */
  tlsVersion: string;
  /** The negotiated key-exchange group. */
  group: string;
  cipherSuite?: string;
  /** The certificate the endpoint presented. */
  certificate?: CertificateFacts;
  /** Whether a handshake that offered only classical groups succeeded too (a downgrade is possible). */
  acceptsClassicalOnly?: boolean;
}

/**
 * Everything `buildCbom` reports.
 *
 * @example
 * const empty: CbomInventory = { source: "test", kemKeys: [], trustAnchors: [], identities: [],
 *   policies: [], served: [], servers: [], findings: [], observedTransport: [], gaps: [] };
 */
export interface CbomInventory {
  /** Who gathered it: `latticeguard cbom`, or an operator replica. */
  source: string;
  /** The SPIFFE trust domain, from the signing anchor's URI SAN. */
  trustDomain?: string;
  /** The namespaces read; undefined: every namespace. */
  namespaces?: string[];
  kemKeys: KemKeyAsset[];
  trustAnchors: TrustAnchorAsset[];
  identities: IdentityRecord[];
  webhook?: WebhookCertificates;
  policies: PolicyTransport[];
  /** LatticeGuard's own TLS endpoints. */
  served: ServedTransport[];
  servers: ServerAsset[];
  findings: TransportFinding[];
  observedTransport: ObservedTransport[];
  /** What could not be read or was left out, one sentence each. */
  gaps: string[];
}

/**
 * The CBOM's assets, one maker per kind, each adding its component (and the algorithms it uses) to an
 * {@link Assembly} and returning the component's `bom-ref` for the dependency graph. `bom-ref`s are
 * stable names: `kem-key/<namespace>/<mcpserver>/<key id>`, `certificate/<sha256>`,
 * `identity/<namespace>/<mcpserver>`, `tls/policy/<name>`, `tls/latticeguard/<endpoint>`,
 * `tls/mcpserver/<namespace>/<name>`, `tls/observed/<namespace>/<pod>/<endpoint>`,
 * `finding/<namespace>/<pod>`, `algorithm/<name>`, and `mcpserver/<namespace>/<name>` for services.
 *
 * @example
 * const assembly = new Assembly();
 * const ref = kemKey(assembly, key);
 */
import { Enums, Models } from "@cyclonedx/cyclonedx-library";
import { SECURITY_CATEGORY } from "../api/algorithms.ts";
import type { KeyState } from "../mcpserver/rotation.ts";
import { UNKNOWN_KEY_EXCHANGE } from "./algorithms.ts";
import { properties, type Assembly, type PropertyValue } from "./assembly.ts";
import { CryptoAsset, type KeyLifecycleState } from "./crypto-model.ts";
import type {
  CertificateFacts,
  IdentityRecord,
  KemKeyAsset,
  ObservedTransport,
  ServerAsset,
  TransportFinding,
} from "./inventory.ts";

const LIFECYCLE: Readonly<Record<KeyState, KeyLifecycleState>> = {
  next: "pre-activation",
  active: "active",
  retiring: "deactivated",
};

/**
 * The `bom-ref` of an MCPServer's service.
 *
 * @example
 * serverRef("mcp", "weather"); // "mcpserver/mcp/weather"
 */
export const serverRef = (namespace: string, name: string) => `mcpserver/${namespace}/${name}`;

/**
 * Adds one KEM key (a `related-crypto-material` public key, never its value); returns its `bom-ref`.
 *
 * @example
 * kemKey(assembly, key); // "kem-key/mcp/weather/mlkem768-0123456789abcdef"
 */
export function kemKey(assembly: Assembly, key: KemKeyAsset): string {
  const ref = `kem-key/${key.namespace}/${key.mcpserver}/${key.keyId}`;
  const algorithm = assembly.algorithm(key.algorithm);
  const asset = new CryptoAsset(
    key.keyId,
    {
      assetType: "related-crypto-material",
      relatedCryptoMaterialProperties: {
        type: "public-key",
        id: key.keyId,
        state: LIFECYCLE[key.state],
        algorithmRef: algorithm,
        ...(key.notBefore && { activationDate: key.notBefore }),
        ...(key.notAfter && { expirationDate: key.notAfter }),
        ...(key.publicKeyBits && { size: key.publicKeyBits }),
      },
    },
    {
      bomRef: ref,
      description: `${key.algorithm} key of MCPServer ${key.namespace}/${key.mcpserver} (${key.state})`,
      properties: properties({
        "latticeguard:namespace": key.namespace,
        "latticeguard:mcpserver": key.mcpserver,
        "latticeguard:keyState": key.state,
        "latticeguard:nistSecurityCategory": SECURITY_CATEGORY[key.algorithm],
        "latticeguard:hpkeKemId": key.hpkeKemId,
        "latticeguard:published": key.published,
        "latticeguard:publicKeysConfigMap": `${key.namespace}/${key.mcpserver}-kem-public`,
        "latticeguard:privateKeySecret": `${key.namespace}/${key.mcpserver}-kem`,
      }),
    },
  );
  assembly.add(asset, [algorithm]);
  return ref;
}

/** A certificate's component (one per certificate however many roles it has); returns its `bom-ref`. */
/**
 * Adds a certificate (once, however many roles it has: a second role adds a `latticeguard:role`);
 * returns its `bom-ref`, `certificate/<sha256>`.
 *
 * @example
 * certificate(assembly, anchor, "trust-anchor-signing", { "latticeguard:trustBundlePosition": 0 });
 */
export function certificate(
  assembly: Assembly,
  cert: CertificateFacts,
  role: string,
  extra: Record<string, PropertyValue> = {},
): string {
  const ref = `certificate/${cert.sha256}`;
  const existing = assembly.get(ref);
  if (existing) {
    existing.properties.add(new Models.Property("latticeguard:role", role));
    return ref;
  }
  const signature = assembly.signature(cert.signatureAlgorithmOid, cert.signatureAlgorithm);
  const asset = new CryptoAsset(
    cert.subject || `certificate ${cert.sha256.slice(0, 16)}`,
    {
      assetType: "certificate",
      certificateProperties: {
        ...(cert.subject && { subjectName: cert.subject }),
        ...(cert.issuer && { issuerName: cert.issuer }),
        notValidBefore: cert.notBefore,
        notValidAfter: cert.notAfter,
        signatureAlgorithmRef: signature,
        certificateFormat: "X.509",
      },
    },
    {
      bomRef: ref,
      hashes: new Models.HashDictionary([[Enums.HashAlgorithm["SHA-256"], cert.sha256]]),
      properties: properties({
        "latticeguard:role": role,
        "latticeguard:serialNumber": cert.serialNumber,
        "latticeguard:publicKeyType": cert.publicKeyCurve
          ? `${cert.publicKeyType} ${cert.publicKeyCurve}`
          : cert.publicKeyType,
        "latticeguard:ca": cert.isCA,
        "latticeguard:uris": cert.uris,
        "latticeguard:dnsNames": cert.dnsNames,
        ...extra,
      }),
    },
  );
  assembly.add(asset, [signature]);
  return ref;
}

/**
 * Adds the last workload identity issued for an MCPServer, as far as status records it; returns its
 * `bom-ref`.
 *
 * @example
 * identity(assembly, { namespace: "mcp", mcpserver: "weather", algorithm: "ML-DSA-65" }); // "identity/mcp/weather"
 */
export function identity(assembly: Assembly, record: IdentityRecord): string {
  const ref = `identity/${record.namespace}/${record.mcpserver}`;
  const key = record.algorithm && assembly.algorithm(record.algorithm);
  const asset = new CryptoAsset(
    `workload identity of MCPServer ${record.namespace}/${record.mcpserver}`,
    {
      assetType: "certificate",
      certificateProperties: {
        certificateFormat: "X.509",
        ...(record.lastIssuedNotAfter && { notValidAfter: record.lastIssuedNotAfter }),
      },
    },
    {
      bomRef: ref,
      description: "The last identity issued to one of its pods, as status.identity records it",
      properties: properties({
        "latticeguard:role": "workload-identity",
        "latticeguard:record": "status.identity (last issuance)",
        "latticeguard:subjectKeyAlgorithm": record.algorithm,
        "latticeguard:lastIssuanceTime": record.lastIssuanceTime,
      }),
    },
  );
  assembly.add(asset, key ? [key] : []);
  return ref;
}

/**
 * Adds a TLS 1.3 protocol asset using or allowing `groups`; returns `ref`.
 *
 * @example
 * tls(assembly, "tls/policy/baseline", "TLS 1.3 …", ["X25519MLKEM768"], { "latticeguard:evidence": "policy" });
 */
export function tls(
  assembly: Assembly,
  ref: string,
  name: string,
  groups: readonly string[],
  props: Record<string, PropertyValue>,
): string {
  const refs = groups.map((g) => assembly.group(g));
  const asset = new CryptoAsset(
    name,
    {
      assetType: "protocol",
      protocolProperties: { type: "tls", version: "1.3", cryptoRefArray: refs },
    },
    { bomRef: ref, properties: properties(props) },
  );
  assembly.add(asset, refs);
  return ref;
}

/**
 * Adds the groups an MCPServer's compliant pods claim by annotation, if any; returns its `bom-ref`.
 *
 * @example
 * claims(assembly, { ...server, claimedGroups: { X25519MLKEM768: 2 } }); // "tls/mcpserver/mcp/weather"
 */
export function claims(assembly: Assembly, server: ServerAsset): string | undefined {
  const groups = Object.keys(server.claimedGroups).sort();
  if (groups.length === 0) return undefined;
  return tls(
    assembly,
    `tls/mcpserver/${server.namespace}/${server.name}`,
    `TLS claimed by the pods of MCPServer ${server.namespace}/${server.name}`,
    groups,
    {
      "latticeguard:evidence": "claim",
      "latticeguard:claimingPods": groups.map((g) => `${g}=${server.claimedGroups[g]}`),
    },
  );
}

/**
 * Adds what a handshake probe observed at one endpoint, and the certificate it presented.
 *
 * @example
 * observed(assembly, { namespace: "mcp", pod: "weather-0", endpoint: "10.0.0.7:8443", observedAt, tlsVersion: "1.3", group: "X25519MLKEM768" });
 */
export function observed(assembly: Assembly, seen: ObservedTransport): void {
  const group = assembly.group(seen.group);
  const presented = seen.certificate && certificate(assembly, seen.certificate, "observed");
  const asset = new CryptoAsset(
    `TLS observed at ${seen.namespace}/${seen.pod} ${seen.endpoint}`,
    {
      assetType: "protocol",
      protocolProperties: {
        type: "tls",
        version: seen.tlsVersion,
        cryptoRefArray: [group],
        ...(seen.cipherSuite && { cipherSuites: [{ name: seen.cipherSuite }] }),
      },
    },
    {
      bomRef: `tls/observed/${seen.namespace}/${seen.pod}/${seen.endpoint}`,
      properties: properties({
        "latticeguard:evidence": "observed",
        "latticeguard:observedAt": seen.observedAt,
        "latticeguard:acceptsClassicalOnly": seen.acceptsClassicalOnly,
      }),
    },
  );
  assembly.add(asset, presented ? [group, presented] : [group]);
}

/**
 * Adds one MCP pod without post-quantum transport; returns its `bom-ref`.
 *
 * @example
 * finding(assembly, { namespace: "mcp", pod: "legacy-0", reason: "ClassicalGroup", group: "X25519", … }); // "finding/mcp/legacy-0"
 */
export function finding(assembly: Assembly, found: TransportFinding): string {
  const ref = `finding/${found.namespace}/${found.pod}`;
  const algorithm = found.group
    ? assembly.group(found.group)
    : assembly.algorithm(UNKNOWN_KEY_EXCHANGE);
  const asset = new CryptoAsset(
    `MCP endpoint of pod ${found.namespace}/${found.pod}`,
    {
      assetType: "protocol",
      protocolProperties: {
        type: found.group ? "tls" : "unknown",
        ...(found.group && { version: "1.3" }),
        cryptoRefArray: [algorithm],
      },
    },
    {
      bomRef: ref,
      properties: properties({
        "latticeguard:finding": found.reason,
        "latticeguard:quantumSecurityLevel": found.quantumSecurityLevel,
        "latticeguard:namespace": found.namespace,
        "latticeguard:pod": found.pod,
        "latticeguard:declaredTransport": found.declared,
        "latticeguard:enforcement": found.enforcement,
        "latticeguard:cryptoPolicies": found.policies,
        "latticeguard:mcpservers": found.mcpservers,
        "latticeguard:exposedBy": found.exposedBy,
      }),
    },
  );
  assembly.add(asset, [algorithm]);
  return ref;
}

/**
 * The service standing for one MCPServer.
 *
 * @example
 * bom.services.add(service(server));
 */
export function service(server: ServerAsset): Models.Service {
  return new Models.Service(server.name, {
    bomRef: serverRef(server.namespace, server.name),
    group: server.namespace,
    description: `MCPServer ${server.namespace}/${server.name}`,
    properties: properties({
      "latticeguard:mcpTransport": server.transport,
      "latticeguard:enforcement": server.enforcement,
      "latticeguard:cryptoPolicies": server.policies,
      "latticeguard:kemAlgorithm": server.kemAlgorithm,
      "latticeguard:selectedPods": server.selectedPods,
      "latticeguard:compliantPods": server.compliantPods,
    }),
  });
}

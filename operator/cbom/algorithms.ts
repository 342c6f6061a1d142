/**
 * What the CBOM says about each algorithm LatticeGuard can meet in a cluster: its CycloneDX 1.6
 * `algorithmProperties` (primitive, parameter set, curve, functions, security levels), its OID where one
 * is assigned, and for TLS key-exchange groups the IANA codepoint. The post-quantum entries are the ones
 * LatticeGuard uses (operator/api/algorithms.ts); the classical entries are what a pod may declare or an
 * endpoint may negotiate instead, all at NIST quantum security level 0.
 *
 * OIDs: ML-KEM from NIST's CSOR `kems` arc (2.16.840.1.101.3.4.4.1–3, FIPS 203), ML-DSA from its `sigAlgs`
 * arc (2.16.840.1.101.3.4.3.17–19, FIPS 204, RFC 9881), X-Wing from draft-connolly-cfrg-xwing-kem
 * (1.3.6.1.4.1.62253.25722). The hybrid TLS groups have no OID, only an IANA TLS Supported Groups codepoint
 * (X25519MLKEM768 4588, SecP256r1MLKEM768 4587, SecP384r1MLKEM1024 4589, MLKEM1024 514;
 * draft-ietf-tls-ecdhe-mlkem, draft-ietf-tls-mlkem); the group MLKEM1024 is ML-KEM-1024 in TLS, but the
 * OID names the algorithm alone, so an OID lookup never lands on a group. `nistQuantumSecurityLevel` is the NIST category
 * LatticeGuard assigns (`SECURITY_CATEGORY`); `classicalSecurityLevel` is given only for the classical
 * algorithms, where it is the well-known bit strength.
 *
 * @example
 * algorithmFacts("ML-KEM-768")?.oid; // "2.16.840.1.101.3.4.4.2"
 * keyExchangeFacts("x25519")?.nistQuantumSecurityLevel; // 0
 */
import {
  KEM_ALGORITHMS,
  KEY_EXCHANGE_GROUPS,
  SECURITY_CATEGORY,
  SIGNATURE_ALGORITHMS,
} from "../api/algorithms.ts";

/**
 * A CycloneDX 1.6 `algorithmProperties.primitive`.
 *
 * @example
 * const primitive: Primitive = "kem";
 */
export type Primitive = "kem" | "signature" | "key-agree" | "unknown";

/**
 * A CycloneDX 1.6 `algorithmProperties.cryptoFunctions` entry.
 *
 * @example
 * const fn: CryptoFunction = "encapsulate";
 */
export type CryptoFunction =
  "keygen" | "encapsulate" | "decapsulate" | "sign" | "verify" | "unknown";

/**
 * One algorithm as the CBOM describes it. `name` is the component's name and, through
 * {@link algorithmRef}, its `bom-ref`.
 *
 * @example
 * const facts: AlgorithmFacts = { name: "X25519", primitive: "key-agree", cryptoFunctions: ["keygen"],
 *   nistQuantumSecurityLevel: 0 };
 */
export interface AlgorithmFacts {
  name: string;
  primitive: Primitive;
  parameterSetIdentifier?: string;
  curve?: string;
  cryptoFunctions: CryptoFunction[];
  classicalSecurityLevel?: number;
  /** 0 for classical algorithms; undefined when unknown. */
  nistQuantumSecurityLevel?: number;
  oid?: string;
  /** The IANA TLS Supported Groups codepoint of a key-exchange group. */
  tlsGroup?: number;
  /** The standard that defines it, for the reader. */
  standard?: string;
}

const KEM_FUNCTIONS: CryptoFunction[] = ["keygen", "encapsulate", "decapsulate"];
const SIGNATURE_FUNCTIONS: CryptoFunction[] = ["keygen", "sign", "verify"];

const POST_QUANTUM: readonly AlgorithmFacts[] = [
  ...(["512", "768", "1024"] as const).map((size, i) => ({
    name: `ML-KEM-${size}`,
    primitive: "kem" as const,
    parameterSetIdentifier: size,
    cryptoFunctions: KEM_FUNCTIONS,
    nistQuantumSecurityLevel: SECURITY_CATEGORY[`ML-KEM-${size}`],
    oid: `2.16.840.1.101.3.4.4.${i + 1}`,
    standard: "FIPS 203",
  })),
  {
    name: "X-Wing",
    primitive: "kem",
    parameterSetIdentifier: "ML-KEM-768+X25519",
    curve: "x25519",
    cryptoFunctions: KEM_FUNCTIONS,
    nistQuantumSecurityLevel: SECURITY_CATEGORY["X-Wing"],
    oid: "1.3.6.1.4.1.62253.25722",
    standard: "draft-connolly-cfrg-xwing-kem",
  },
  ...(["44", "65", "87"] as const).map((size, i) => ({
    name: `ML-DSA-${size}`,
    primitive: "signature" as const,
    parameterSetIdentifier: size,
    cryptoFunctions: SIGNATURE_FUNCTIONS,
    nistQuantumSecurityLevel: SECURITY_CATEGORY[`ML-DSA-${size}`],
    oid: `2.16.840.1.101.3.4.3.${17 + i}`,
    standard: "FIPS 204",
  })),
  {
    name: "X25519MLKEM768",
    primitive: "kem",
    parameterSetIdentifier: "768",
    curve: "x25519",
    cryptoFunctions: KEM_FUNCTIONS,
    nistQuantumSecurityLevel: SECURITY_CATEGORY.X25519MLKEM768,
    tlsGroup: 4588,
    standard: "draft-ietf-tls-ecdhe-mlkem",
  },
  {
    name: "SecP256r1MLKEM768",
    primitive: "kem",
    parameterSetIdentifier: "768",
    curve: "secp256r1",
    cryptoFunctions: KEM_FUNCTIONS,
    nistQuantumSecurityLevel: SECURITY_CATEGORY.SecP256r1MLKEM768,
    tlsGroup: 4587,
    standard: "draft-ietf-tls-ecdhe-mlkem",
  },
  {
    name: "SecP384r1MLKEM1024",
    primitive: "kem",
    parameterSetIdentifier: "1024",
    curve: "secp384r1",
    cryptoFunctions: KEM_FUNCTIONS,
    nistQuantumSecurityLevel: SECURITY_CATEGORY.SecP384r1MLKEM1024,
    tlsGroup: 4589,
    standard: "draft-ietf-tls-ecdhe-mlkem",
  },
  {
    name: "MLKEM1024",
    primitive: "kem",
    parameterSetIdentifier: "1024",
    cryptoFunctions: KEM_FUNCTIONS,
    nistQuantumSecurityLevel: SECURITY_CATEGORY.MLKEM1024,
    tlsGroup: 514,
    standard: "draft-ietf-tls-mlkem",
  },
];

interface ClassicalGroup extends AlgorithmFacts {
  aliases: readonly string[];
}

function classicalGroup(
  name: string,
  curve: string,
  classicalSecurityLevel: number,
  tlsGroup: number,
  oid: string,
  aliases: readonly string[],
): ClassicalGroup {
  const cryptoFunctions: CryptoFunction[] = ["keygen"];
  const primitive = "key-agree";
  return {
    name,
    primitive,
    curve,
    cryptoFunctions,
    classicalSecurityLevel,
    tlsGroup,
    oid,
    aliases,
    nistQuantumSecurityLevel: 0,
  };
}

/** Classical key-exchange groups, with the names OpenSSL and IANA give them (matched ignoring case). */
const CLASSICAL_GROUPS: readonly ClassicalGroup[] = [
  classicalGroup("X25519", "x25519", 128, 29, "1.3.101.110", ["x25519"]),
  classicalGroup("X448", "x448", 224, 30, "1.3.101.111", ["x448"]),
  classicalGroup("P-256", "secp256r1", 128, 23, "1.2.840.10045.3.1.7", [
    "p-256",
    "secp256r1",
    "prime256v1",
  ]),
  classicalGroup("P-384", "secp384r1", 192, 24, "1.3.132.0.34", ["p-384", "secp384r1"]),
  classicalGroup("P-521", "secp521r1", 256, 25, "1.3.132.0.35", ["p-521", "secp521r1"]),
];

/** Finite-field groups (RFC 7919): classical, no curve. */
const FFDHE_GROUPS: readonly AlgorithmFacts[] = [2048, 3072, 4096, 6144, 8192].map(
  (bits, i): AlgorithmFacts => ({
    name: `ffdhe${bits}`,
    primitive: "key-agree",
    parameterSetIdentifier: String(bits),
    cryptoFunctions: ["keygen"],
    nistQuantumSecurityLevel: 0,
    tlsGroup: 256 + i,
    standard: "RFC 7919",
  }),
);

/**
 * The stand-in for a key exchange nothing declares or observed: counted as quantum security level 0,
 * since nothing shows it is post-quantum.
 *
 * @example
 * algorithmRef(UNKNOWN_KEY_EXCHANGE.name); // "algorithm/unknown"
 */
export const UNKNOWN_KEY_EXCHANGE: AlgorithmFacts = {
  name: "unknown",
  primitive: "unknown",
  cryptoFunctions: ["unknown"],
  nistQuantumSecurityLevel: 0,
};

function classicalSignature(name: string, oid: string, bits: number): AlgorithmFacts {
  const cryptoFunctions: CryptoFunction[] = ["sign", "verify"];
  return {
    name,
    primitive: "signature",
    cryptoFunctions,
    classicalSecurityLevel: bits,
    oid,
    nistQuantumSecurityLevel: 0,
  };
}

/**
 * Signature algorithms of classical certificates (the webhook's ECDSA P-256, what a probed endpoint
 * presents), by the names node:crypto gives them.
 */
const CLASSICAL_SIGNATURES: readonly AlgorithmFacts[] = [
  classicalSignature("ecdsa-with-SHA256", "1.2.840.10045.4.3.2", 128),
  classicalSignature("ecdsa-with-SHA384", "1.2.840.10045.4.3.3", 192),
  classicalSignature("ecdsa-with-SHA512", "1.2.840.10045.4.3.4", 256),
  classicalSignature("sha256WithRSAEncryption", "1.2.840.113549.1.1.11", 112),
  classicalSignature("ED25519", "1.3.101.112", 128),
];

const BY_NAME = new Map(
  [...POST_QUANTUM, ...CLASSICAL_GROUPS, ...FFDHE_GROUPS, ...CLASSICAL_SIGNATURES].map((a) => [
    a.name,
    a,
  ]),
);
const BY_OID = new Map([...BY_NAME.values()].filter((a) => a.oid).map((a) => [a.oid!, a]));

function withoutAliases(facts: AlgorithmFacts | ClassicalGroup): AlgorithmFacts {
  if (!("aliases" in facts)) return facts;
  const { aliases: _aliases, ...rest } = facts;
  return rest;
}

/**
 * The facts of the algorithm named exactly `name`, or undefined for a name the catalogue lacks.
 *
 * @example
 * algorithmFacts("ML-DSA-65")?.nistQuantumSecurityLevel; // 3
 */
export function algorithmFacts(name: string): AlgorithmFacts | undefined {
  const facts = BY_NAME.get(name);
  return facts && withoutAliases(facts);
}

/**
 * The facts of the algorithm with this OID (a certificate's signature algorithm), or undefined.
 *
 * @example
 * algorithmByOid("2.16.840.1.101.3.4.3.19")?.name; // "ML-DSA-87"
 */
export function algorithmByOid(oid: string): AlgorithmFacts | undefined {
  const facts = BY_OID.get(oid);
  return facts && withoutAliases(facts);
}

/**
 * What a TLS key-exchange group name denotes: a post-quantum group by its exact IANA name (as
 * LatticeGuard's API spells them), a classical group by any of its usual names ignoring case, else
 * undefined.
 *
 * @example
 * keyExchangeFacts("X25519MLKEM768")?.tlsGroup; // 4588
 * keyExchangeFacts("prime256v1")?.name; // "P-256"
 * keyExchangeFacts("x25519mlkem768"); // undefined: post-quantum names are exact
 */
export function keyExchangeFacts(group: string): AlgorithmFacts | undefined {
  if ((KEY_EXCHANGE_GROUPS as readonly string[]).includes(group)) return algorithmFacts(group);
  const lower = group.toLowerCase();
  const classical = CLASSICAL_GROUPS.find((g) => g.aliases.includes(lower));
  if (classical) return withoutAliases(classical);
  return FFDHE_GROUPS.find((g) => g.name === lower);
}

/**
 * Whether the catalogue has every algorithm LatticeGuard's API names (a check for tests).
 *
 * @example
 * missingApiAlgorithms(); // []
 */
export function missingApiAlgorithms(): string[] {
  return [...KEM_ALGORITHMS, ...SIGNATURE_ALGORITHMS, ...KEY_EXCHANGE_GROUPS].filter(
    (name) => !BY_NAME.has(name),
  );
}

/**
 * The `bom-ref` of an algorithm's component.
 *
 * @example
 * algorithmRef("ML-KEM-768"); // "algorithm/ML-KEM-768"
 */
export function algorithmRef(name: string): string {
  return `algorithm/${name}`;
}

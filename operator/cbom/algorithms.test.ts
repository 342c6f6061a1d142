import { describe, expect, it } from "vitest";
import { KEY_EXCHANGE_GROUPS, SECURITY_CATEGORY } from "../api/algorithms.ts";
import {
  algorithmByOid,
  algorithmFacts,
  algorithmRef,
  keyExchangeFacts,
  missingApiAlgorithms,
} from "./algorithms.ts";

describe("algorithmFacts", () => {
  it("knows every algorithm and group LatticeGuard's API names", () => {
    expect(missingApiAlgorithms()).toEqual([]);
  });

  it.each([
    ["ML-KEM-512", "kem", "512", 1, "2.16.840.1.101.3.4.4.1"],
    ["ML-KEM-768", "kem", "768", 3, "2.16.840.1.101.3.4.4.2"],
    ["ML-KEM-1024", "kem", "1024", 5, "2.16.840.1.101.3.4.4.3"],
    ["X-Wing", "kem", "ML-KEM-768+X25519", 3, "1.3.6.1.4.1.62253.25722"],
    ["ML-DSA-44", "signature", "44", 2, "2.16.840.1.101.3.4.3.17"],
    ["ML-DSA-65", "signature", "65", 3, "2.16.840.1.101.3.4.3.18"],
    ["ML-DSA-87", "signature", "87", 5, "2.16.840.1.101.3.4.3.19"],
  ])("%s: %s, parameter set %s, category %i, OID %s", (name, primitive, set, level, oid) => {
    expect(algorithmFacts(name)).toMatchObject({
      name,
      primitive,
      parameterSetIdentifier: set,
      nistQuantumSecurityLevel: level,
      oid,
    });
    expect(algorithmByOid(oid)?.name).toBe(name);
  });

  it.each([
    ["X25519MLKEM768", 4588, 3],
    ["SecP256r1MLKEM768", 4587, 3],
    ["SecP384r1MLKEM1024", 4589, 5],
    ["MLKEM1024", 514, 5],
  ])("TLS group %s: codepoint %i, category %i", (name, codepoint, level) => {
    expect(keyExchangeFacts(name)).toMatchObject({
      primitive: "kem",
      tlsGroup: codepoint,
      nistQuantumSecurityLevel: level,
    });
  });

  it("gives each post-quantum group the category the API assigns it", () => {
    for (const group of KEY_EXCHANGE_GROUPS)
      expect(keyExchangeFacts(group)?.nistQuantumSecurityLevel).toBe(SECURITY_CATEGORY[group]);
  });

  it("names only the classical signature algorithms by OID, at quantum level 0", () => {
    expect(algorithmByOid("1.2.840.10045.4.3.2")).toMatchObject({
      name: "ecdsa-with-SHA256",
      primitive: "signature",
      nistQuantumSecurityLevel: 0,
    });
    expect(algorithmByOid("1.2.3.4")).toBeUndefined();
    expect(algorithmFacts("ML-KEM-999")).toBeUndefined();
  });
});

describe("keyExchangeFacts", () => {
  it.each([
    ["X25519", "X25519", 29],
    ["x25519", "X25519", 29],
    ["prime256v1", "P-256", 23],
    ["secp256r1", "P-256", 23],
    ["P-384", "P-384", 24],
    ["secp521r1", "P-521", 25],
    ["X448", "X448", 30],
    ["ffdhe2048", "ffdhe2048", 256],
  ])(
    "%s is the classical group %s (codepoint %i), quantum level 0",
    (declared, name, codepoint) => {
      expect(keyExchangeFacts(declared)).toMatchObject({
        name,
        primitive: "key-agree",
        tlsGroup: codepoint,
        nistQuantumSecurityLevel: 0,
      });
    },
  );

  it.each(["x25519mlkem768", "X25519Kyber768", "", "rot13"])(
    "%j is no group it knows (post-quantum names are exact)",
    (declared) => expect(keyExchangeFacts(declared)).toBeUndefined(),
  );

  it("never returns the classical groups' aliases", () => {
    expect(keyExchangeFacts("X25519")).not.toHaveProperty("aliases");
  });
});

describe("algorithmRef", () => {
  it("prefixes the name", () => expect(algorithmRef("ML-KEM-768")).toBe("algorithm/ML-KEM-768"));
});

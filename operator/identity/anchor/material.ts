/**
 * Trust anchor key material: an anchor's id (from its public key, so anyone holding the certificate can
 * recompute it) and a new anchor for a planned `create` step, an ML-DSA seed and its self-signed CA
 * certificate (RFC 9881) for the trust domain. X.509 needs node:crypto's ML-DSA, so anchors always use the
 * native backend.
 *
 * @example
 * const anchor = await createAnchor(step); // { id: "mldsa87-…", seed, certificate, … }
 */
import { sha3_256 } from "@noble/hashes/sha3.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import type { SignatureAlgorithm } from "../../api/algorithms.ts";
import { createCaCertificate, signatureBackend } from "../../crypto/index.ts";
import type { AnchorRecord, CreateAnchorStep } from "./rotation.ts";

/**
 * An anchor with its private seed (key material: never log it) and its certificate (PEM).
 *
 * @example
 * const { id, certificate }: StoredAnchor = decoded.anchors[0];
 */
export interface StoredAnchor extends AnchorRecord {
  seed: Uint8Array;
  certificate: string;
}

/**
 * What every anchor id looks like: the algorithm's tag and 16 hex digits of SHA3-256 of the public key,
 * as KEM key ids are made. Valid as a Secret key and a metric label value.
 *
 * @example
 * ANCHOR_ID_PATTERN.test("mldsa87-3f9a0c11d2e4b5a6"); // true
 */
export const ANCHOR_ID_PATTERN = /^mldsa(?:44|65|87)-[0-9a-f]{16}$/;

/**
 * The id of the anchor whose raw ML-DSA public key is `publicKey`.
 *
 * @example
 * anchorId("ML-DSA-87", publicKey); // "mldsa87-3f9a0c11d2e4b5a6"
 */
export function anchorId(algorithm: SignatureAlgorithm, publicKey: Uint8Array): string {
  const tag = algorithm.toLowerCase().replaceAll("-", "");
  return `${tag}-${bytesToHex(sha3_256(publicKey)).slice(0, 16)}`;
}

/**
 * The public key of an anchor's seed (throws an Error naming `seed` for one of the wrong size).
 *
 * @example
 * anchorPublicKey("ML-DSA-87", seed).length; // 2592
 */
export function anchorPublicKey(algorithm: SignatureAlgorithm, seed: Uint8Array): Uint8Array {
  return signatureBackend("native", algorithm).publicKey(algorithm, seed);
}

/**
 * A new anchor for `step`: a fresh seed and a CA certificate valid exactly from `step.notBefore` to
 * `step.notAfter` (whole seconds).
 *
 * @example
 * const made = await createAnchor({ op: "create", state: "active", algorithm: "ML-DSA-87",
 *   trustDomain: "cluster.local", notBefore, notAfter });
 */
export async function createAnchor(step: CreateAnchorStep): Promise<StoredAnchor> {
  const { algorithm, trustDomain, notBefore, notAfter, state } = step;
  const seed = signatureBackend("native", algorithm).generateSeed(algorithm);
  const certificate = await createCaCertificate({
    key: { algorithm, seed },
    trustDomain,
    notBefore: new Date(notBefore),
    notAfter: new Date(notAfter),
  });
  const id = anchorId(algorithm, anchorPublicKey(algorithm, seed));
  return { id, algorithm, state, trustDomain, notBefore, notAfter, seed, certificate };
}

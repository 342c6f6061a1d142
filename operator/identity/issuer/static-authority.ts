/**
 * An {@link IssuingAuthority} held in memory, for tests and benchmarks of the issuance API until (and
 * beside) the trust anchor kept in a Secret: a self-signed ML-DSA anchor made with `createCaCertificate`,
 * whose signer and bundle a test can change (rotate, or remove the signer) at will.
 *
 * @example
 * const authority = await createStaticAuthority({ algorithm: "ML-DSA-87" });
 * authority.bundle(); // [authority.anchor.certificate]
 * authority.setSigner(undefined); // the issuer now answers 503 NoSigner
 */
import type { SignatureAlgorithm } from "../../api/algorithms.ts";
import { createCaCertificate, signatureBackend } from "../../crypto/index.ts";
import type { IssuingAuthority, Signer } from "../authority.ts";

/**
 * A mutable in-memory authority.
 *
 * @example
 * authority.setBundle([next.certificate, authority.anchor.certificate]);
 */
export interface StaticAuthority extends IssuingAuthority {
  /** The anchor it was created with. */
  anchor: Signer;
  setSigner(signer: Signer | undefined): void;
  setBundle(pems: readonly string[]): void;
}

/**
 * A fresh self-signed anchor (key and certificate), valid from an hour before `now` for `lifetimeMs`.
 *
 * @example
 * const next = await createAnchor({ algorithm: "ML-DSA-87", trustDomain: "cluster.local" });
 */
export async function createAnchor(
  options: {
    algorithm?: SignatureAlgorithm;
    trustDomain?: string;
    now?: Date;
    lifetimeMs?: number;
  } = {},
): Promise<Signer> {
  const { algorithm = "ML-DSA-87", trustDomain = "cluster.local", now = new Date() } = options;
  const key = { algorithm, seed: signatureBackend("auto", algorithm).generateSeed(algorithm) };
  const certificate = await createCaCertificate({
    key,
    trustDomain,
    notBefore: new Date(now.getTime() - 3_600_000),
    notAfter: new Date(now.getTime() + (options.lifetimeMs ?? 86_400_000)),
  });
  return { certificate, key };
}

/**
 * An authority whose signer is a fresh anchor and whose bundle is that anchor alone.
 *
 * @example
 * const authority = await createStaticAuthority({ trustDomain: "cluster.local" });
 */
export async function createStaticAuthority(
  options: Parameters<typeof createAnchor>[0] = {},
): Promise<StaticAuthority> {
  const anchor = await createAnchor(options);
  let signer: Signer | undefined = anchor;
  let bundle: readonly string[] = [anchor.certificate];
  return {
    anchor,
    signer: () => signer,
    bundle: () => [...bundle],
    setSigner: (next) => void (signer = next),
    setBundle: (pems) => void (bundle = [...pems]),
  };
}

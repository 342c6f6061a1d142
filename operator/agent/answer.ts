/**
 * What the agent checks before it writes anything: the issuer's answer must certify the agent's own key
 * (so nobody can hand it a certificate for another key), chain to an anchor the agent already trusted
 * (the mounted bundle) and to one in the answer's bundle (which peers will read from `bundle.pem`), be
 * valid now, and name the SPIFFE ID the answer claims.
 *
 * @example
 * const identity = await checkAnswer(answer, key, trustedPems, new Date());
 * identity.notAfter; // when it expires
 */
import { signatureBackend, verifyCertificate, type SigningSeed } from "../crypto/index.ts";
import type { IssuerAnswer } from "./client.ts";

/**
 * A checked identity, ready to be written.
 *
 * @example
 * const { certificate, bundle, spiffeId, notBefore, notAfter }: CheckedIdentity = identity;
 */
export interface CheckedIdentity {
  certificate: string;
  bundle: string;
  spiffeId: string;
  notBefore: Date;
  notAfter: Date;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----\r?\n[\s\S]*?-----END CERTIFICATE-----\r?\n?/g;

/**
 * The certificates in a PEM bundle, each ending in a newline; other blocks and text are ignored.
 *
 * @example
 * splitPemBundle(readFileSync("bundle.pem", "utf8")).length; // 2 while anchors rotate
 */
export function splitPemBundle(bundle: string): string[] {
  return (bundle.match(PEM_CERTIFICATE) ?? []).map((pem) =>
    pem.endsWith("\n") ? pem : `${pem}\n`,
  );
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/**
 * Checks `answer` for `key` against the anchors the agent trusts; throws an Error saying which check failed.
 *
 * @example
 * await checkAnswer(answer, { algorithm: "ML-DSA-65", seed }, splitPemBundle(mountedBundle), new Date());
 */
export async function checkAnswer(
  answer: IssuerAnswer,
  key: SigningSeed,
  trusted: readonly string[],
  now: Date,
): Promise<CheckedIdentity> {
  const verified = await verifyCertificate(answer.certificate, trusted, now);
  const ownKey = signatureBackend("auto", key.algorithm).publicKey(key.algorithm, key.seed);
  if (verified.algorithm !== key.algorithm || !sameBytes(verified.publicKey, ownKey))
    throw new Error("the issued certificate does not certify the agent's own key");
  if (verified.spiffeId !== answer.spiffeId)
    throw new Error("the issued certificate's SPIFFE ID is not the one the issuer reported");
  const bundle = splitPemBundle(answer.bundle);
  if (bundle.length === 0) throw new Error("the issuer's answer holds no trust bundle");
  await verifyCertificate(answer.certificate, bundle, now).catch((cause: unknown) => {
    throw new Error("the issued certificate does not chain to the bundle that came with it", {
      cause,
    });
  });
  return {
    certificate: answer.certificate,
    bundle: bundle.join(""),
    spiffeId: verified.spiffeId,
    notBefore: verified.notBefore,
    notAfter: verified.notAfter,
  };
}

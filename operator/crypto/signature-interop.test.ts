// Independent implementations must interoperate: for each ML-DSA parameter set, native (OpenSSL) and noble
// derive the same public key from a seed, each verifies what the other signed (with and without a context),
// and both refuse a tampered message, signature, key or context.
import { describe, expect, it } from "vitest";
import { SIGNATURE_ALGORITHMS } from "../api/algorithms.ts";
import { SIGNATURE_BACKENDS } from "./signature-backend.ts";

const backends = Object.values(SIGNATURE_BACKENDS);
const pairs = backends.flatMap((signer) => backends.map((verifier) => ({ signer, verifier })));
const text = (s: string) => new TextEncoder().encode(s);

describe.each(SIGNATURE_ALGORITHMS)("%s", (alg) => {
  const seed = SIGNATURE_BACKENDS.noble.generateSeed(alg);
  const publicKey = SIGNATURE_BACKENDS.native.publicKey(alg, seed);
  const message = text("tools/call: read_file /etc/hostname");

  it("both backends have it", () => {
    expect(backends.map((b) => b.supports(alg))).toEqual([true, true]);
  });

  it("both derive the same public key from a seed", () => {
    expect(SIGNATURE_BACKENDS.noble.publicKey(alg, seed)).toEqual(publicKey);
  });

  it.each(pairs)("$verifier.name verifies what $signer.name signed", ({ signer, verifier }) => {
    const signature = signer.sign(alg, seed, message);
    expect(verifier.verify(alg, publicKey, message, signature)).toBe(true);
  });

  it.each(pairs)(
    "$verifier.name verifies what $signer.name signed with a context, and only with it",
    ({ signer, verifier }) => {
      const context = text("latticeguard.dev/v1alpha1");
      const signature = signer.sign(alg, seed, message, context);
      expect(verifier.verify(alg, publicKey, message, signature, context)).toBe(true);
      expect(verifier.verify(alg, publicKey, message, signature)).toBe(false);
      expect(verifier.verify(alg, publicKey, message, signature, text("other"))).toBe(false);
    },
  );

  it.each(pairs)(
    "$verifier.name treats an empty context as none, signed by $signer.name",
    ({ signer, verifier }) => {
      const signature = signer.sign(alg, seed, message, new Uint8Array(0));
      expect(verifier.verify(alg, publicKey, message, signature)).toBe(true);
    },
  );

  it.each(pairs)(
    "$verifier.name refuses tampering with what $signer.name signed",
    ({ signer, verifier }) => {
      const signature = signer.sign(alg, seed, message);
      const tamperedMessage = message.slice();
      tamperedMessage[0]! ^= 0x01;
      const tamperedSignature = signature.slice();
      tamperedSignature[7]! ^= 0x80; // inside the commitment hash c~
      const otherKey = verifier.publicKey(alg, verifier.generateSeed(alg));
      expect(verifier.verify(alg, publicKey, tamperedMessage, signature)).toBe(false);
      expect(verifier.verify(alg, publicKey, message, tamperedSignature)).toBe(false);
      expect(verifier.verify(alg, otherKey, message, signature)).toBe(false);
    },
  );

  it.each(backends)("$name signs hedged: two signatures differ, both verify", (backend) => {
    const [first, second] = [backend.sign(alg, seed, message), backend.sign(alg, seed, message)];
    expect(first).not.toEqual(second);
    for (const verifier of backends) {
      expect(verifier.verify(alg, publicKey, message, first)).toBe(true);
      expect(verifier.verify(alg, publicKey, message, second)).toBe(true);
    }
  });
});

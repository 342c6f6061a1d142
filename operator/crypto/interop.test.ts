// Independent implementations must interoperate: native (OpenSSL), noble, and @hpke's KEMs (the `mlkem`
// package; noble's curves for X-Wing's X25519) as a third. For each algorithm, every implementation that has
// it derives the same public key from a seed, and decapsulates what every other one encapsulated.
import { describe, expect, it } from "vitest";
import { KEM_ALGORITHMS, type KemAlgorithm } from "../api/algorithms.ts";
import { KEM_BACKENDS } from "./backend.ts";
import type { Encapsulation } from "./kem.ts";
import { referenceKem } from "./testdata/reference-kem.ts";

// One implementation, seen through the async reference interface so all three fit one table.
interface Implementation {
  name: string;
  publicKey(seed: Uint8Array): Promise<Uint8Array>;
  encapsulate(publicKey: Uint8Array): Promise<Encapsulation>;
  decapsulate(seed: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array>;
}

function implementations(alg: KemAlgorithm): Implementation[] {
  const backends = Object.values(KEM_BACKENDS).filter((backend) => backend.supports(alg));
  return [
    ...backends.map((backend) => ({
      name: backend.name,
      publicKey: (seed: Uint8Array) => Promise.resolve(backend.publicKey(alg, seed)),
      encapsulate: (pk: Uint8Array) => Promise.resolve(backend.encapsulate(alg, pk)),
      decapsulate: (seed: Uint8Array, ct: Uint8Array) =>
        Promise.resolve(backend.decapsulate(alg, seed, ct)),
    })),
    { name: "@hpke", ...referenceKem(alg) },
  ];
}

describe.each(KEM_ALGORITHMS)("%s", (alg) => {
  const all = implementations(alg);
  const seed = KEM_BACKENDS.noble.generateSeed(alg);
  const pairs = all.flatMap((sender) => all.map((recipient) => ({ sender, recipient })));

  it("is implemented at least three times (native too, for ML-KEM)", () => {
    expect(all.map((i) => i.name)).toEqual(
      alg === "X-Wing" ? ["noble", "@hpke"] : ["native", "noble", "@hpke"],
    );
  });

  it.each(all)("$name derives the same public key from a seed as the others", async (impl) => {
    const expected = await all[0]!.publicKey(seed);
    expect(await impl.publicKey(seed)).toEqual(expected);
  });

  it.each(pairs)(
    "$recipient.name decapsulates what $sender.name encapsulated",
    async ({ sender, recipient }) => {
      const publicKey = await recipient.publicKey(seed);
      const { ciphertext, sharedSecret } = await sender.encapsulate(publicKey);
      expect(await recipient.decapsulate(seed, ciphertext)).toEqual(sharedSecret);
    },
  );

  it("all reject a tampered ciphertext with the same implicit-rejection secret", async () => {
    const publicKey = await all[0]!.publicKey(seed);
    const { ciphertext, sharedSecret } = await all[0]!.encapsulate(publicKey);
    const tampered = ciphertext.slice();
    tampered[0]! ^= 0x01; // inside the ML-KEM part, for X-Wing too
    const secrets = await Promise.all(all.map((impl) => impl.decapsulate(seed, tampered)));
    expect(secrets[0]).not.toEqual(sharedSecret);
    for (const secret of secrets) expect(secret).toEqual(secrets[0]);
  });

  it("all disagree with a different seed's key", async () => {
    const other = KEM_BACKENDS.noble.generateSeed(alg);
    const { ciphertext, sharedSecret } = await all[0]!.encapsulate(await all[0]!.publicKey(seed));
    for (const impl of all) {
      expect(await impl.decapsulate(other, ciphertext)).not.toEqual(sharedSecret);
    }
  });
});

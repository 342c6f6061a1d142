// The issuing authority read from a (plain map) cache of the anchor Secret: it signs with the active
// anchor, trusts every anchor until its notAfter, decodes once per resourceVersion, and what it hands out
// really issues certificates that verify against its bundle.
import type { V1Secret } from "@kubernetes/client-node";
import { beforeAll, describe, expect, it } from "vitest";
import {
  createCsr,
  issueCertificate,
  nativeSignature,
  verifyCertificate,
  verifyCsr,
} from "../../crypto/index.ts";
import type { Cache } from "../../kube/cache.ts";
import { secretAuthority } from "./authority.ts";
import { createAnchor, type StoredAnchor } from "./material.ts";
import { encodeAnchors } from "./secret.ts";

const HOUR = 3_600_000;
const T0 = Math.floor(Date.now() / 1000) * 1000 - HOUR;
const KEY = "latticeguard-system/latticeguard-trust-anchor";

let a1: StoredAnchor;
let a2: StoredAnchor;
beforeAll(async () => {
  const step = { op: "create" as const, algorithm: "ML-DSA-87" as const, trustDomain: "td.test" };
  const made = await createAnchor({
    ...step,
    state: "next",
    notBefore: T0,
    notAfter: T0 + 3 * HOUR,
  });
  a1 = { ...made, state: "retiring" };
  a2 = await createAnchor({ ...step, state: "active", notBefore: T0, notAfter: T0 + 6 * HOUR });
});

/** A cache holding one Secret, counting how often its data is read. */
function cacheOf(anchors: StoredAnchor[], resourceVersion = "1") {
  const reads = { count: 0 };
  const data = encodeAnchors(anchors);
  const secret: V1Secret = { metadata: { name: "x", resourceVersion } };
  Object.defineProperty(secret, "data", {
    get: () => {
      reads.count++;
      return data;
    },
  });
  const map = new Map([[KEY, secret]]);
  const cache: Cache<V1Secret> = { get: (k) => map.get(k), list: () => [...map.values()] };
  return { cache, reads, map };
}

const authority = (cache: Cache<V1Secret>, now = () => Date.now()) =>
  secretAuthority(cache, "latticeguard-system", "latticeguard-trust-anchor", now);

describe("secretAuthority", () => {
  it("has no signer and an empty bundle before the Secret exists", () => {
    const empty = authority({ get: () => undefined, list: () => [] });
    expect(empty.signer()).toBeUndefined();
    expect(empty.bundle()).toEqual([]);
  });

  it("signs with the active anchor and trusts every valid anchor, the signer first", () => {
    const { cache } = cacheOf([a1, a2]);
    const auth = authority(cache);
    expect(auth.signer()).toEqual({
      certificate: a2.certificate,
      key: { algorithm: "ML-DSA-87", seed: a2.seed },
    });
    expect(auth.signerAnchor()?.id).toBe(a2.id);
    expect(auth.signerAnchor()).not.toHaveProperty("seed");
    expect(auth.bundle()).toEqual([a2.certificate, a1.certificate]);
  });

  it("drops an anchor from the bundle at its notAfter, and stops signing with an expired one", () => {
    const { cache } = cacheOf([a1, a2]);
    let now = T0 + 3 * HOUR - 1;
    const auth = authority(cache, () => now);
    expect(auth.bundle()).toHaveLength(2);
    now = T0 + 3 * HOUR;
    expect(auth.bundle()).toEqual([a2.certificate]);
    now = T0 + 6 * HOUR;
    expect(auth.bundle()).toEqual([]);
    expect(auth.signer()).toBeUndefined();
  });

  it("decodes once per resourceVersion, not per call", () => {
    const { cache, reads, map } = cacheOf([a1, a2], "7");
    const auth = authority(cache);
    for (let i = 0; i < 5; i++) {
      auth.signer();
      auth.bundle();
    }
    expect(reads.count).toBe(1);
    const changed = cacheOf([a2], "8");
    map.set(KEY, changed.map.get(KEY)!);
    expect(auth.bundle()).toEqual([a2.certificate]);
    expect(changed.reads.count).toBe(1);
  });

  it("ignores an anchor whose seed does not match its certificate", () => {
    const forged = { ...a2, seed: nativeSignature.generateSeed("ML-DSA-87") };
    const auth = authority(cacheOf([a1, forged]).cache);
    expect(auth.signer()).toBeUndefined();
    expect(auth.bundle()).toEqual([a1.certificate]);
  });

  it("hands out a signer that issues certificates verifying against its bundle", async () => {
    const auth = authority(cacheOf([a1, a2]).cache);
    const workload = {
      algorithm: "ML-DSA-65" as const,
      seed: nativeSignature.generateSeed("ML-DSA-65"),
    };
    const leaf = await issueCertificate({
      issuer: auth.signer()!,
      subjectKey: await verifyCsr(await createCsr({ key: workload })),
      spiffeId: "spiffe://td.test/ns/mcp/sa/search",
      notBefore: new Date(T0),
      notAfter: new Date(T0 + 2 * HOUR),
    });
    const verified = await verifyCertificate(leaf, auth.bundle());
    expect(verified.spiffeId).toBe("spiffe://td.test/ns/mcp/sa/search");
    await expect(verifyCertificate(leaf, [a1.certificate])).rejects.toThrow(/not signed by any CA/);
  });
});

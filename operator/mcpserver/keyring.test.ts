import { describe, expect, it } from "vitest";
import { keyMaterial } from "./key-material.ts";
import {
  KEYRING_ENTRY,
  decodeKeyring,
  encodeKeyring,
  keyringStatus,
  publishKeys,
} from "./keyring.ts";
import type { KeyRecord } from "./rotation.ts";

const crypto = keyMaterial("auto");
const T0 = Date.parse("2026-11-21T12:00:00Z");
const P = 60_000;
const G = 20_000;

function keyring() {
  const a = crypto.generate("ML-KEM-768");
  const b = crypto.generate("X-Wing");
  const c = crypto.generate("ML-KEM-768");
  const keys: KeyRecord[] = [
    { id: a.id, algorithm: "ML-KEM-768", state: "active", createdAt: T0, activatedAt: T0 },
    { id: b.id, algorithm: "X-Wing", state: "next", createdAt: T0 + P / 2 },
    {
      id: c.id,
      algorithm: "ML-KEM-768",
      state: "retiring",
      createdAt: T0 - P,
      activatedAt: T0 - P,
      retireAt: T0 + G,
    },
  ];
  const seeds = new Map([
    [a.id, a.seed],
    [b.id, b.seed],
    [c.id, c.seed],
  ]);
  return { keys, seeds };
}

const json = (data: Record<string, string>) =>
  JSON.parse(Buffer.from(data[KEYRING_ENTRY]!, "base64").toString()) as object[];
/** Edits the stored key records in place. */
function editRecords(
  data: Record<string, string>,
  edit: (ring: Record<string, unknown>[]) => unknown,
) {
  const ring = JSON.parse(Buffer.from(data[KEYRING_ENTRY]!, "base64").toString()) as Record<
    string,
    unknown
  >[];
  edit(ring);
  data[KEYRING_ENTRY] = b64(ring);
}
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64");

describe("the keyring Secret", () => {
  it("reads back exactly what was written", () => {
    const { keys, seeds } = keyring();
    const decoded = decodeKeyring(encodeKeyring(keys, seeds), crypto);
    expect(decoded.problems).toEqual([]);
    expect(decoded.keys).toEqual(keys);
    expect(decoded.seeds).toEqual(seeds);
  });

  it("keeps a first key's shortened period, which moves its rotation and its published window", () => {
    const { keys, seeds } = keyring();
    keys[0] = { ...keys[0]!, periodFraction: 0.75 };
    const decoded = decodeKeyring(encodeKeyring(keys, seeds), crypto);
    expect(decoded.problems).toEqual([]);
    expect(decoded.keys[0]!.periodFraction).toBe(0.75);
    expect(keyringStatus(decoded.keys, P).nextRotationTime).toBe(
      new Date(T0 + 0.75 * P).toISOString(),
    );
    const windows = publishKeys(decoded.keys, seeds, crypto, {
      rotationPeriodMs: P,
      gracePeriodMs: G,
    });
    expect(windows.map((k) => [k.state, k.notBefore, k.notAfter]).slice(0, 2)).toEqual([
      ["active", new Date(T0).toISOString(), new Date(T0 + 0.75 * P + G).toISOString()],
      ["next", new Date(T0 + 0.75 * P).toISOString(), new Date(T0 + 1.75 * P + G).toISOString()],
    ]);
  });

  it("stores no seed inside the keyring metadata", () => {
    const { keys, seeds } = keyring();
    const data = encodeKeyring(keys, seeds);
    expect(Object.keys(json(data)[0] as object).sort()).toEqual([
      "activatedAt",
      "algorithm",
      "createdAt",
      "id",
      "state",
    ]);
    expect(Object.keys(data).sort()).toEqual([KEYRING_ENTRY, ...keys.map((k) => k.id)].sort());
  });

  it("refuses to write a keyring that would lose a key", () => {
    const { keys, seeds } = keyring();
    seeds.delete(keys[0]!.id);
    expect(() => encodeKeyring(keys, seeds)).toThrow(/no seed for key .* loses a key/);
  });

  it("reads a missing Secret as an empty keyring without complaint", () => {
    expect(decodeKeyring(undefined, crypto)).toEqual({
      keys: [],
      seeds: new Map(),
      problems: [],
      orphans: [],
    });
  });

  it.each<[string, (data: Record<string, string>, ids: string[]) => void, RegExp, number]>([
    [
      "a seed replaced by another key's",
      (d, ids) => (d[ids[0]!] = d[ids[2]!]!),
      /seed of key .* does not match/,
      2,
    ],
    ["a seed removed", (d, ids) => delete d[ids[1]!], /seed of key .* is missing/, 2],
    [
      "a truncated seed",
      (d, ids) => (d[ids[0]!] = Buffer.from(d[ids[0]!]!, "base64").subarray(1).toString("base64")),
      /does not match/,
      2,
    ],
    [
      "keyring.json that is not JSON",
      (d) => (d[KEYRING_ENTRY] = Buffer.from("{oops").toString("base64")),
      /not a JSON list/,
      0,
    ],
    [
      "a retiring key without a valid retireAt",
      (d) => editRecords(d, (ring) => (ring[2]!.retireAt = "soon")),
      /not a valid key record/,
      2,
    ],
    [
      "an active key without activatedAt",
      (d) => editRecords(d, (ring) => delete ring[0]!.activatedAt),
      /not a valid key record/,
      2,
    ],
    ...[0.25, 1.5, "0.75"].map(
      (f): [string, (data: Record<string, string>) => void, RegExp, number] => [
        `a first-period fraction of ${JSON.stringify(f)}`,
        (d) => editRecords(d, (ring) => (ring[0]!.periodFraction = f)),
        /not a valid key record/,
        2,
      ],
    ),
    [
      "a record with an unknown algorithm",
      (d) =>
        (d[KEYRING_ENTRY] = b64([
          { id: "x", algorithm: "RSA", state: "active", createdAt: "2026-01-01T00:00:00Z" },
        ])),
      /not a valid key record/,
      0,
    ],
  ])("notices %s and leaves only the intact keys", (_what, tamper, problem, intact) => {
    const { keys, seeds } = keyring();
    const data = encodeKeyring(keys, seeds);
    tamper(
      data,
      keys.map((k) => k.id),
    );
    const decoded = decodeKeyring(data, crypto);
    expect(decoded.problems.join("; ")).toMatch(problem);
    expect(decoded.keys).toHaveLength(intact);
    for (const k of decoded.keys) expect(decoded.seeds.has(k.id)).toBe(true);
  });

  it("finds intact seeds a damaged keyring.json no longer lists, and only those", () => {
    const { keys, seeds } = keyring();
    const data = encodeKeyring(keys, seeds);
    data[KEYRING_ENTRY] = Buffer.from("{oops").toString("base64");
    data["mlkem768-0000000000000000"] = Buffer.from(seeds.get(keys[0]!.id)!).toString("base64");
    data.unrelated = "eA==";
    const decoded = decodeKeyring(data, crypto);
    expect(decoded.keys).toEqual([]);
    expect(decoded.orphans.map((o) => [o.id, o.algorithm]).sort()).toEqual(
      keys.map((k) => [k.id, k.algorithm]).sort(),
    );
    expect(decoded.problems.join("; ")).toContain(
      "3 seed(s) not in keyring.json kept as retiring keys",
    );
  });

  it("keeps the first of two active keys active, and the other's intact seed as an orphan", () => {
    const { keys, seeds } = keyring();
    const twice = [keys[0]!, { ...keys[2]!, state: "active" as const }];
    const decoded = decodeKeyring(encodeKeyring(twice, seeds), crypto);
    expect(decoded.keys.map((k) => k.id)).toEqual([keys[0]!.id]);
    expect(decoded.orphans.map((o) => o.id)).toEqual([keys[2]!.id]);
    expect(decoded.problems).toEqual([
      `two active keys (${keys[0]!.id}, ${keys[2]!.id}): kept the first`,
      "1 seed(s) not in keyring.json kept as retiring keys",
    ]);
  });
});

describe("publishKeys", () => {
  it("publishes each public key with its HPKE KEM id and validity window, active first", () => {
    const { keys, seeds } = keyring();
    const published = publishKeys(keys, seeds, crypto, { rotationPeriodMs: P, gracePeriodMs: G });
    expect(published.map((k) => [k.state, k.hpkeKemId, k.notBefore, k.notAfter])).toEqual([
      ["active", 0x0041, new Date(T0).toISOString(), new Date(T0 + P + G).toISOString()],
      ["next", 0x647a, new Date(T0 + P).toISOString(), new Date(T0 + 2 * P + G).toISOString()],
      ["retiring", 0x0041, new Date(T0 - P).toISOString(), new Date(T0 + G).toISOString()],
    ]);
    const active = published[0]!;
    expect(Buffer.from(active.publicKey, "base64")).toEqual(
      Buffer.from(crypto.publicKey("ML-KEM-768", seeds.get(active.keyId)!)),
    );
  });
});

describe("keyringStatus", () => {
  it("summarises the keyring for status.kem", () => {
    const { keys } = keyring();
    expect(keyringStatus(keys, P)).toEqual({
      algorithm: "ML-KEM-768",
      activeKeyId: keys[0]!.id,
      nextKeyId: keys[1]!.id,
      retiringKeyId: keys[2]!.id,
      lastRotationTime: new Date(T0).toISOString(),
      nextRotationTime: new Date(T0 + P).toISOString(),
      retiringKeyExpiryTime: new Date(T0 + G).toISOString(),
    });
  });
});

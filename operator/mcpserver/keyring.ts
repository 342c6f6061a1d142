/**
 * How an MCPServer's keys are stored. Secret `<name>-kem` holds the keyring (`keyring.json`: ids,
 * algorithms, states and times) and one entry per key with its private seed; ConfigMap `<name>-kem-public`
 * publishes the public keys (`keys.json`) for clients. Reading the Secret checks every key against its id,
 * so a Secret edited by hand is noticed, reported and repaired rather than trusted.
 *
 * @example
 * const { keys, seeds, problems } = decodeKeyring(secret.data, crypto);
 */
import { KEM_ALGORITHMS, type KemAlgorithm } from "../api/algorithms.ts";
import { KEY_ID_PATTERN, KEY_ID_TAGS } from "../crypto/key-id.ts";
import {
  MIN_FIRST_PERIOD_FRACTION,
  rotationDue,
  type KeyRecord,
  type KeyState,
} from "./rotation.ts";

/** Derives a key's public half and id from its seed; the crypto layer implements it. */
export interface KeyDeriver {
  publicKey(algorithm: KemAlgorithm, seed: Uint8Array): Uint8Array;
  keyId(algorithm: KemAlgorithm, publicKey: Uint8Array): string;
  hpkeKemId(algorithm: KemAlgorithm): number;
}

/** The Secret entry that holds the keyring's metadata. */
export const KEYRING_ENTRY = "keyring.json";
/** The ConfigMap entry that holds the published public keys. */
export const PUBLIC_KEYS_ENTRY = "keys.json";

interface StoredKey {
  id: string;
  algorithm: KemAlgorithm;
  state: KeyState;
  createdAt: string;
  activatedAt?: string;
  retireAt?: string;
  periodFraction?: number;
}

/** A keyring read back from its Secret. */
export interface DecodedKeyring {
  keys: KeyRecord[];
  seeds: Map<string, Uint8Array>;
  /** What was wrong with the Secret and has been left out; empty when it was intact. */
  problems: string[];
  /** Intact seeds the keyring does not list (see {@link findOrphans}). */
  orphans: { id: string; algorithm: KemAlgorithm; seed: Uint8Array }[];
}

const STATES: readonly KeyState[] = ["next", "active", "retiring"];
const time = (iso: string | undefined) => (iso === undefined ? undefined : Date.parse(iso));
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

const isTime = (t: unknown) => typeof t === "string" && !Number.isNaN(Date.parse(t));
/** A first key's share of the period: never more than the period, never less than half of it. */
const isFraction = (f: unknown) =>
  f === undefined || (typeof f === "number" && f >= MIN_FIRST_PERIOD_FRACTION && f <= 1);

function isStoredKey(x: unknown): x is StoredKey {
  const k = x as Partial<StoredKey>;
  return (
    typeof k?.id === "string" &&
    /^[-._a-zA-Z0-9]{1,64}$/.test(k.id) &&
    KEM_ALGORITHMS.includes(k.algorithm!) &&
    STATES.includes(k.state!) &&
    isTime(k.createdAt) &&
    // An active or retiring key must say when it became active; a retiring one when it goes.
    (k.state === "next"
      ? k.activatedAt === undefined || isTime(k.activatedAt)
      : isTime(k.activatedAt)) &&
    (k.state === "retiring"
      ? isTime(k.retireAt)
      : k.retireAt === undefined || isTime(k.retireAt)) &&
    isFraction(k.periodFraction)
  );
}

function parseEntries(raw: Uint8Array | undefined, problems: string[]): unknown[] {
  if (raw === undefined) return [];
  try {
    const parsed: unknown = JSON.parse(Buffer.from(raw).toString("utf8"));
    if (Array.isArray(parsed)) return parsed;
  } catch {
    // reported below
  }
  problems.push(`${KEYRING_ENTRY} is not a JSON list of keys`);
  return [];
}

/** Whether `seed` is the private half of the key named `entry.id`; false for a seed of the wrong size. */
function seedMatches(
  entry: Pick<StoredKey, "id" | "algorithm">,
  seed: Uint8Array,
  derive: KeyDeriver,
): boolean {
  try {
    return derive.keyId(entry.algorithm, derive.publicKey(entry.algorithm, seed)) === entry.id;
  } catch {
    return false;
  }
}

/** Reads a keyring Secret's data (values as the API returns them, base64). Never throws. */
export function decodeKeyring(
  data: Readonly<Record<string, string>> | undefined,
  derive: KeyDeriver,
): DecodedKeyring {
  const problems: string[] = [];
  const bytes = (key: string) =>
    data?.[key] === undefined ? undefined : new Uint8Array(Buffer.from(data[key], "base64"));
  const keys: KeyRecord[] = [];
  const seeds = new Map<string, Uint8Array>();
  for (const entry of parseEntries(bytes(KEYRING_ENTRY), problems)) {
    if (!isStoredKey(entry)) {
      problems.push(`${KEYRING_ENTRY} has an entry that is not a valid key record`);
      continue;
    }
    const seed = bytes(entry.id);
    if (!seed || !seedMatches(entry, seed, derive)) {
      problems.push(`the seed of key ${entry.id} is missing or does not match the key's id`);
      continue;
    }
    const duplicate = keys.find((k) => k.state === entry.state && entry.state !== "retiring");
    if (duplicate) {
      problems.push(`two ${entry.state} keys (${duplicate.id}, ${entry.id}): kept the first`);
      continue;
    }
    keys.push({
      id: entry.id,
      algorithm: entry.algorithm,
      state: entry.state,
      createdAt: time(entry.createdAt)!,
      ...(entry.activatedAt && { activatedAt: time(entry.activatedAt)! }),
      ...(entry.retireAt && { retireAt: time(entry.retireAt)! }),
      ...(entry.periodFraction !== undefined && { periodFraction: entry.periodFraction }),
    });
    seeds.set(entry.id, seed);
  }
  const orphans = findOrphans(data, seeds, derive);
  if (orphans.length) {
    problems.push(`${orphans.length} seed(s) not in ${KEYRING_ENTRY} kept as retiring keys`);
  }
  return { keys, seeds, problems, orphans };
}

/**
 * Seeds in the Secret that the keyring does not list but that are intact (they derive to the key id
 * they are stored under): a damaged `keyring.json` must not cost a key. The caller keeps them as
 * retiring keys for a grace period.
 */
function findOrphans(
  data: Readonly<Record<string, string>> | undefined,
  listed: ReadonlyMap<string, Uint8Array>,
  derive: KeyDeriver,
): { id: string; algorithm: KemAlgorithm; seed: Uint8Array }[] {
  const byTag = new Map(
    Object.entries(KEY_ID_TAGS).map(([alg, tag]) => [tag, alg as KemAlgorithm]),
  );
  return Object.entries(data ?? {}).flatMap(([id, value]) => {
    const algorithm = byTag.get(id.split("-")[0]!);
    if (listed.has(id) || !KEY_ID_PATTERN.test(id) || !algorithm) return [];
    const seed = new Uint8Array(Buffer.from(value, "base64"));
    return seedMatches({ id, algorithm }, seed, derive) ? [{ id, algorithm, seed }] : [];
  });
}

/** The Secret data (base64 values) for a keyring. Seeds of keys not in `keys` are not written. */
export function encodeKeyring(
  keys: readonly KeyRecord[],
  seeds: ReadonlyMap<string, Uint8Array>,
): Record<string, string> {
  const stored: StoredKey[] = keys.map((k) => ({
    id: k.id,
    algorithm: k.algorithm,
    state: k.state,
    createdAt: iso(k.createdAt)!,
    ...(k.activatedAt !== undefined && { activatedAt: iso(k.activatedAt)! }),
    ...(k.retireAt !== undefined && { retireAt: iso(k.retireAt)! }),
    ...(k.periodFraction !== undefined && { periodFraction: k.periodFraction }),
  }));
  const data: Record<string, string> = {
    [KEYRING_ENTRY]: Buffer.from(JSON.stringify(stored)).toString("base64"),
  };
  for (const k of keys) {
    const seed = seeds.get(k.id);
    if (!seed)
      throw new Error(`no seed for key ${k.id}: refusing to write a keyring that loses a key`);
    data[k.id] = Buffer.from(seed).toString("base64");
  }
  return data;
}

/** One published public key, as clients read it from the ConfigMap. */
export interface PublishedKey {
  keyId: string;
  algorithm: KemAlgorithm;
  /** The HPKE (RFC 9180) KEM identifier of the algorithm. */
  hpkeKemId: number;
  /** The encapsulation key, base64. */
  publicKey: string;
  state: KeyState;
  /** When the key is (or was, or will be) first used to encapsulate. */
  notBefore: string;
  /** When the private half is deleted: nothing sealed to it opens after this. */
  notAfter: string;
}

/** When each key is (or was, or will be) first used, and when its private half is deleted. */
export function keyWindows(
  keys: readonly KeyRecord[],
  periods: { rotationPeriodMs: number; gracePeriodMs: number },
): { key: KeyRecord; notBefore: number; notAfter: number }[] {
  const active = keys.find((k) => k.state === "active");
  const activeUntil = active ? rotationDue(active, periods.rotationPeriodMs) : undefined;
  const window = (k: KeyRecord): [number, number] => {
    if (k.state === "retiring") return [k.activatedAt ?? k.createdAt, k.retireAt ?? k.createdAt];
    if (k.state === "active")
      return [k.activatedAt ?? k.createdAt, activeUntil! + periods.gracePeriodMs];
    const from = activeUntil ?? k.createdAt;
    return [from, from + periods.rotationPeriodMs + periods.gracePeriodMs];
  };
  const order: Record<KeyState, number> = { active: 0, next: 1, retiring: 2 };
  return [...keys]
    .sort((a, b) => order[a.state] - order[b.state])
    .map((key) => {
      const [notBefore, notAfter] = window(key);
      return { key, notBefore, notAfter };
    });
}

/** The public keys of a keyring with their validity windows, active key first. */
export function publishKeys(
  keys: readonly KeyRecord[],
  seeds: ReadonlyMap<string, Uint8Array>,
  derive: KeyDeriver,
  periods: { rotationPeriodMs: number; gracePeriodMs: number },
): PublishedKey[] {
  return keyWindows(keys, periods).map(({ key, notBefore, notAfter }) => ({
    keyId: key.id,
    algorithm: key.algorithm,
    hpkeKemId: derive.hpkeKemId(key.algorithm),
    publicKey: Buffer.from(derive.publicKey(key.algorithm, seeds.get(key.id)!)).toString("base64"),
    state: key.state,
    notBefore: iso(notBefore)!,
    notAfter: iso(notAfter)!,
  }));
}

/** The `status.kem` summary of a keyring. */
export function keyringStatus(keys: readonly KeyRecord[], rotationPeriodMs: number) {
  const active = keys.find((k) => k.state === "active");
  const next = keys.find((k) => k.state === "next");
  const retiring = keys
    .filter((k) => k.state === "retiring")
    .sort((a, b) => (b.activatedAt ?? 0) - (a.activatedAt ?? 0))[0];
  return {
    ...(active && {
      algorithm: active.algorithm,
      activeKeyId: active.id,
      lastRotationTime: iso(active.activatedAt),
      nextRotationTime: iso(rotationDue(active, rotationPeriodMs)),
    }),
    ...(next && { nextKeyId: next.id }),
    ...(retiring && { retiringKeyId: retiring.id, retiringKeyExpiryTime: iso(retiring.retireAt) }),
  };
}

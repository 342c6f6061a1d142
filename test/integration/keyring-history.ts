/**
 * Every version of every keyring Secret and public-key ConfigMap in a test namespace, recorded by a
 * watch of the test's own (independent of the operator's informers), and the checks the fault tests
 * share: no key lost, no key activated twice, every published key backed by its seed.
 *
 * A watch sees every write, not samples of them. When the watch breaks (an API server restart, an etcd
 * outage) the recorder lists again and counts a gap: versions written during a gap are not seen.
 * Recording begins once both first lists have answered: a test injects its fault after that.
 *
 * @example
 * const history = await recordKeyrings(kc, namespace);
 * // ... faults ...
 * await history.stop();
 * expect(lostKeys(history)).toEqual([]);
 */
import {
  CoreV1Api,
  Watch,
  type KubeConfig,
  type V1ConfigMap,
  type V1Secret,
} from "@kubernetes/client-node";
import { keyMaterial } from "../../operator/mcpserver/key-material.ts";
import {
  PUBLIC_KEYS_ENTRY,
  decodeKeyring,
  type PublishedKey,
} from "../../operator/mcpserver/keyring.ts";
import type { KeyRecord } from "../../operator/mcpserver/rotation.ts";

const derive = keyMaterial("auto");

/** One version of a keyring Secret `<server>-kem`, decoded. */
export interface KeyringVersion {
  /** When the recorder received it (this machine's clock, as the operator's). */
  at: number;
  /** The resourceVersion as a number: etcd's revision, comparable across objects. */
  rv: number;
  server: string;
  deleted: boolean;
  /** The keys `keyring.json` lists with an intact seed. */
  keys: KeyRecord[];
  /** Ids of every intact seed: listed keys and seeds the keyring does not list. */
  seeds: Map<string, Uint8Array>;
  problems: string[];
  data: Record<string, string>;
}

/** One version of a public-key ConfigMap `<server>-kem-public`. */
export interface PublishedVersion {
  at: number;
  rv: number;
  server: string;
  keys: PublishedKey[];
}

/** What {@link recordKeyrings} has seen so far. */
export interface KeyringHistory {
  secrets: KeyringVersion[];
  published: PublishedVersion[];
  /** How often the watch broke and the recorder listed again. */
  gaps: number;
  stop(): Promise<void>;
}

function decodeSecret(secret: V1Secret, deleted: boolean, at: number): KeyringVersion {
  const data = deleted ? {} : (secret.data ?? {});
  const ring = decodeKeyring(data, derive);
  const seeds = new Map(ring.seeds);
  for (const orphan of ring.orphans) seeds.set(orphan.id, orphan.seed);
  return {
    at,
    rv: Number(secret.metadata!.resourceVersion),
    server: secret.metadata!.name!.replace(/-kem$/, ""),
    deleted,
    keys: ring.keys,
    seeds,
    problems: ring.problems,
    data,
  };
}

function decodePublished(cm: V1ConfigMap, deleted: boolean, at: number): PublishedVersion {
  const raw = deleted ? undefined : cm.data?.[PUBLIC_KEYS_ENTRY];
  return {
    at,
    rv: Number(cm.metadata!.resourceVersion),
    server: cm.metadata!.name!.replace(/-kem-public$/, ""),
    keys: raw ? (JSON.parse(raw) as PublishedKey[]) : [],
  };
}

/**
 * Records every version of the keyring Secrets and public-key ConfigMaps in `namespace` until `stop()`;
 * resolves once both are listed, so what the namespace held before a fault is in the history.
 */
export async function recordKeyrings(kc: KubeConfig, namespace: string): Promise<KeyringHistory> {
  const core = kc.makeApiClient(CoreV1Api);
  const history: KeyringHistory = { secrets: [], published: [], gaps: 0, stop: async () => {} };
  let stopped = false;
  const watches = new Set<AbortController>();
  const follow = async <T extends V1Secret | V1ConfigMap>(
    plural: "secrets" | "configmaps",
    suffix: string,
    list: () => Promise<{ items: T[]; metadata?: { resourceVersion?: string } }>,
    record: (obj: T, deleted: boolean, at: number) => void,
    began: () => void,
  ) => {
    let first = true;
    while (!stopped) {
      const listed = await list().catch(() => undefined);
      if (!listed) {
        await new Promise((r) => setTimeout(r, 250));
        continue;
      }
      if (!first) history.gaps++;
      first = false;
      const at = Date.now();
      for (const item of listed.items)
        if (item.metadata?.name?.endsWith(suffix)) record(item, false, at);
      began();
      await new Promise<void>((resolve) => {
        const onEvent = (type: string, obj: T) => {
          if (type === "ERROR" || type === "BOOKMARK" || !obj.metadata?.name?.endsWith(suffix))
            return;
          record(obj, type === "DELETED", Date.now());
        };
        new Watch(kc)
          .watch(
            `/api/v1/namespaces/${namespace}/${plural}`,
            { resourceVersion: listed.metadata?.resourceVersion },
            onEvent,
            () => resolve(),
          )
          .then(
            (controller) => (stopped ? controller.abort() : watches.add(controller)),
            () => resolve(),
          );
      });
    }
  };
  const secretsListed = Promise.withResolvers<void>();
  const configMapsListed = Promise.withResolvers<void>();
  const loops = [
    follow<V1Secret>(
      "secrets",
      "-kem",
      () => core.listNamespacedSecret({ namespace }),
      (s, deleted, at) => history.secrets.push(decodeSecret(s, deleted, at)),
      secretsListed.resolve,
    ),
    follow<V1ConfigMap>(
      "configmaps",
      "-kem-public",
      () => core.listNamespacedConfigMap({ namespace }),
      (cm, deleted, at) => history.published.push(decodePublished(cm, deleted, at)),
      configMapsListed.resolve,
    ),
  ];
  history.stop = async () => {
    stopped = true;
    for (const w of watches) w.abort();
    await Promise.all(loops);
  };
  await Promise.all([secretsListed.promise, configMapsListed.promise]);
  return history;
}

/** The versions of one server's Secret in the order they were written. */
function byServer<T extends { server: string; rv: number }>(versions: readonly T[]) {
  const out = new Map<string, T[]>();
  for (const v of versions) out.set(v.server, [...(out.get(v.server) ?? []), v]);
  for (const list of out.values()) list.sort((a, b) => a.rv - b.rv);
  return out;
}

/** Options of {@link lostKeys}. */
export interface LossOptions {
  /** Keys the test itself destroyed (a Secret it deleted). */
  exempt?: ReadonlySet<string>;
  /** Whether a `next` key may be dropped (a policy change replaces it before anyone used it). */
  nextMayBeDropped?: boolean;
}

/** Why a seed that vanished in `v` should not have, or undefined if its time had come. */
function earlyLoss(
  id: string,
  record: KeyRecord | undefined,
  v: KeyringVersion,
  options: LossOptions,
): string | undefined {
  if (options.exempt?.has(id)) return undefined;
  if (record?.state === "next" && options.nextMayBeDropped) return undefined;
  if (record?.state === "retiring" && v.at >= record.retireAt!) return undefined;
  const early = record?.retireAt ? `, ${record.retireAt - v.at} ms before its grace ended` : "";
  return `${v.server}: key ${id} vanished at rv ${v.rv} while ${record?.state ?? "unlisted"}${early}`;
}

/**
 * Keys whose seed disappeared before their time: every seed, once written, must stay in the Secret
 * until its key retired and the grace period (`retireAt`) passed. One line per violation.
 */
export function lostKeys(history: KeyringHistory, options: LossOptions = {}): string[] {
  const violations: string[] = [];
  for (const versions of byServer(history.secrets).values()) {
    const lastRecord = new Map<string, KeyRecord>();
    let previous: KeyringVersion | undefined;
    for (const v of versions) {
      for (const id of previous?.seeds.keys() ?? []) {
        const loss = v.seeds.has(id) ? undefined : earlyLoss(id, lastRecord.get(id), v, options);
        if (loss) violations.push(loss);
      }
      for (const k of v.keys) lastRecord.set(k.id, k);
      previous = v;
    }
  }
  return violations;
}

/** When each key became active, per server, from the records that say so. */
export function activations(history: KeyringHistory): Map<string, Map<string, Set<number>>> {
  const out = new Map<string, Map<string, Set<number>>>();
  for (const v of history.secrets) {
    const server = out.get(v.server) ?? new Map<string, Set<number>>();
    out.set(v.server, server);
    for (const k of v.keys) {
      if (k.state === "next" || k.activatedAt === undefined) continue;
      server.set(k.id, (server.get(k.id) ?? new Set()).add(k.activatedAt));
    }
  }
  return out;
}

/** The first-period fraction recorded with each key that has one (a server's first key). */
function periodFractions(history: KeyringHistory): Map<string, number> {
  const out = new Map<string, number>();
  for (const v of history.secrets)
    for (const k of v.keys) if (k.periodFraction !== undefined) out.set(k.id, k.periodFraction);
  return out;
}

/**
 * How long a key stays active at the least: a rotation period, or for a server's first key the shorter
 * first period recorded with it (`periodFraction`), and never less than half a period whatever the
 * record says (a double rotation is milliseconds apart, a first period at least P/2).
 *
 * @example
 * activePeriod(4_000, 0.6); // 2_400
 */
export function activePeriod(periodMs: number, fraction: number | undefined): number {
  return periodMs * Math.max(0.5, Math.min(1, fraction ?? 1));
}

/**
 * Double rotations: a key activated twice (two activation times), or two activations of one server
 * closer than the earlier key's period: a rotation period, or for a server's first key the shorter first
 * period recorded with it, and never less than half a rotation period whatever the record says (a
 * double rotation is milliseconds apart, a first period at least P/2). Keys in `repaired` are left out:
 * a repair activates a key early, and records a seed the keyring had lost track of as activated when it
 * was found.
 */
export function doubleRotations(
  history: KeyringHistory,
  periodMs: number,
  repaired: ReadonlySet<string> = new Set(),
): string[] {
  const violations: string[] = [];
  const fractions = periodFractions(history);
  for (const [server, keys] of activations(history)) {
    const times: { id: string; at: number }[] = [];
    for (const [id, at] of keys) {
      if (repaired.has(id)) continue;
      if (at.size > 1) violations.push(`${server}: key ${id} activated ${at.size} times`);
      times.push({ id, at: Math.min(...at) });
    }
    times.sort((a, b) => a.at - b.at);
    for (let i = 1; i < times.length; i++) {
      const earlier = times[i - 1]!;
      const gap = times[i]!.at - earlier.at;
      const period = activePeriod(periodMs, fractions.get(earlier.id));
      if (gap < period)
        violations.push(
          `${server}: ${times[i]!.id} activated ${gap} ms after ${earlier.id} (period ${period} ms)`,
        );
    }
  }
  return violations;
}

/**
 * Published keys not backed by their seed: each key in a public-key ConfigMap must derive from a seed
 * the Secret held before the ConfigMap was written (a lower resourceVersion), or the key opens nothing.
 * A ConfigMap version older than every Secret version seen (both listed when recording began, the
 * Secret since rewritten) cannot be judged: the Secret it followed was never seen, and a seed it held
 * may rightly be gone by now. After a gap, any version will do: the one that came first may have
 * been written during the gap.
 */
export function unbackedKeys(history: KeyringHistory): string[] {
  const violations: string[] = [];
  const secrets = byServer(history.secrets);
  for (const p of history.published) {
    const versions = secrets.get(p.server) ?? [];
    const earlier = versions.filter((v) => v.rv < p.rv);
    if (earlier.length === 0) continue;
    const before = history.gaps === 0 ? earlier : versions;
    for (const key of p.keys) {
      const seed = before.findLast((v) => v.seeds.has(key.keyId))?.seeds.get(key.keyId);
      const publicKey = seed && Buffer.from(derive.publicKey(key.algorithm, seed));
      if (!publicKey?.equals(Buffer.from(key.publicKey, "base64")))
        violations.push(`${p.server}: key ${key.keyId} published at rv ${p.rv} without its seed`);
    }
  }
  return violations;
}

/** One `KEMKeyRotated` (or `Lockdown`) Event, with the key and reason its message names. */
export interface RotationEvent {
  server: string;
  keyId: string;
  reason: string;
  count: number;
}

/** The rotation Events in `namespace`, parsed from their messages ("Activated <alg> key <id> (<reason>)"). */
export async function rotationEvents(core: CoreV1Api, namespace: string): Promise<RotationEvent[]> {
  const events = await core.listNamespacedEvent({ namespace });
  return events.items.flatMap((e) => {
    const m = /^Activated \S+ key (\S+) \((\w+)\)$/.exec(e.message ?? "");
    if (!m || (e.reason !== "KEMKeyRotated" && e.reason !== "Lockdown")) return [];
    return [{ server: e.involvedObject.name!, keyId: m[1]!, reason: m[2]!, count: e.count ?? 1 }];
  });
}

/** Rotation Events that repeat a key: each key is activated once, so it is reported once. */
export function repeatedEvents(events: readonly RotationEvent[]): string[] {
  const seen = new Map<string, number>();
  for (const e of events) seen.set(e.keyId, (seen.get(e.keyId) ?? 0) + e.count);
  return [...seen].filter(([, n]) => n > 1).map(([id, n]) => `key ${id} reported ${n} times`);
}

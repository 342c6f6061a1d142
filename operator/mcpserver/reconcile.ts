/**
 * The MCPServer reconciler: gather → decide → act → report.
 *
 * - gather reads the informer caches into a plain {@link Gathered} object: the server, its namespace's
 *   effective policy, its keyring Secret (checked key by key) and its pods.
 * - decide is pure: the algorithms (decide.ts), the rotation plan (rotation.ts), the desired Secret,
 *   ConfigMap and status.
 * - act writes in the order that never loses a key: the Secret with the private seeds first (create, or
 *   apply guarded by the resourceVersion that was read, so a stale cache or a second writer fails with 409
 *   instead of rotating twice), then the public ConfigMap, then status. A crash between two writes leaves
 *   a state the next reconcile completes.
 * - report: Events and metrics for what changed, and when to look again.
 *
 * @example
 * const reconcile = mcpServerReconciler(deps);
 * await reconcile("mcp-demo/weather"); // { requeueAfter: 30_000 }
 */
import type { V1ConfigMap, V1Namespace, V1Pod, V1Secret } from "@kubernetes/client-node";
import { isDeepStrictEqual } from "node:util";
import { LOCKDOWN_ANNOTATION, LOCKDOWN_HANDLED_ANNOTATION } from "../api/annotations.ts";
import type { CryptoPolicy, MCPServer, MCPServerStatus } from "../api/types.generated.ts";
import type { EventReason, EventRecorder } from "../events.ts";
import type { Cache, NamespacedCache } from "../kube/cache.ts";
import {
  MANAGED_LABELS,
  applyGuarded,
  isConflict,
  ownerReference,
  type Writer,
} from "../kube/apply.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import { formatDuration } from "../policy/duration.ts";
import { inForceAt, resolvePolicy, type PolicyResolution } from "../policy/merge.ts";
import type { ReconcileResult } from "../runtime/queue.ts";
import { parseKey } from "../runtime/key.ts";
import {
  chooseAlgorithms,
  identityCondition,
  podCounts,
  serverConditions,
  type PodCounts,
} from "./decide.ts";
import type { KeyMaterial } from "./key-material.ts";
import { transportCondition, transportViolations } from "../probe/condition.ts";
import {
  KEYRING_ENTRY,
  PUBLIC_KEYS_ENTRY,
  decodeKeyring,
  encodeKeyring,
  keyWindows,
  keyringStatus,
  publishKeys,
  type DecodedKeyring,
} from "./keyring.ts";
import { isPublished } from "./published-digest.ts";
import type { RekeyLimiter } from "./rekey-limiter.ts";
import { reclaimUnseenSecret } from "./unseen-secret.ts";
import {
  MIN_REQUEUE_MS,
  applySteps,
  decideRotation,
  firstPeriodFraction,
  rotationDue,
  type KeyRecord,
  type RotationPlan,
} from "./rotation.ts";

/** Everything the reconciler reads and writes through. */
export interface MCPServerDeps {
  servers: Cache<MCPServer>;
  policies: Cache<CryptoPolicy>;
  namespaces: Cache<V1Namespace>;
  secrets: Cache<V1Secret>;
  configMaps: Cache<V1ConfigMap>;
  pods: NamespacedCache<V1Pod>;
  /** The configured proxy image (`--proxy-image`): a sidecar of another image does not count. */
  proxyImage?: string;
  writer: Writer;
  keys: KeyMaterial;
  rekeyLimiter: RekeyLimiter;
  events: EventRecorder;
  metrics: Metrics;
  now: () => number;
  log: Logger;
}

/** How soon to decide again after the keyring Secret changed under a write. */
const CONFLICT_RETRY_MS = 200;
/** How soon to look again for a keyring Secret that exists but is not in the cache. */
const UNSEEN_SECRET_RETRY_MS = 5_000;

/** The keyring Secret exists on the server but not in the operator's cache. */
class UnseenSecretError extends Error {
  readonly secret: string;
  constructor(namespace: string, name: string, cause: unknown) {
    super(
      "Found keyring Secret that exists but is not in the operator's cache; it must carry the label " +
        "app.kubernetes.io/managed-by=latticeguard",
      { cause },
    );
    this.secret = `${namespace}/${name}`;
  }
}

/** The Secret holding a server's private seeds. */
export const secretName = (server: string) => `${server}-kem`;
/** The ConfigMap publishing a server's public keys. */
export const publicConfigMapName = (server: string) => `${server}-kem-public`;

/** What gather reads for one server. */
interface Gathered {
  server: MCPServer;
  resolution: PolicyResolution;
  secret: V1Secret | undefined;
  keyring: DecodedKeyring;
  /** What the cache shows of the published `keys.json`: its digest (see published-digest.ts). */
  publishedKeys: string | undefined;
  lockdownRequested: string | undefined;
  pods: PodCounts;
}

/** A lockdown value on the server that its keyring Secret has not acted on yet. */
function pendingLockdown(server: MCPServer, secret: V1Secret | undefined): string | undefined {
  const requested = server.metadata.annotations?.[LOCKDOWN_ANNOTATION];
  const handled = secret?.metadata?.annotations?.[LOCKDOWN_HANDLED_ANNOTATION];
  return requested && requested !== handled ? requested : undefined;
}

function gather(deps: MCPServerDeps, server: MCPServer): Gathered {
  const namespace = server.metadata.namespace!;
  const name = server.metadata.name!;
  const labels = deps.namespaces.get(namespace)?.metadata?.labels;
  // The mode in force now: a dated step may have tightened it (the reconcile requeues at the next one).
  const resolution = inForceAt(resolvePolicy(deps.policies.list(), labels), deps.now());
  const secret = deps.secrets.get(`${namespace}/${secretName(name)}`);
  const keyring = decodeKeyring(secret?.data, deps.keys);
  const lostKey = server.status?.kem?.activeKeyId;
  if (!secret && lostKey) {
    keyring.problems.push(`the Secret was deleted: key ${lostKey} is lost and is replaced`);
  }
  const configMap = deps.configMaps.get(`${namespace}/${publicConfigMapName(name)}`);
  return {
    server,
    resolution,
    secret,
    keyring,
    publishedKeys: configMap?.data?.[PUBLIC_KEYS_ENTRY],
    lockdownRequested: pendingLockdown(server, secret),
    pods: podCounts(
      deps.pods.inNamespace(namespace),
      server.spec.selector,
      resolution.policy,
      deps.proxyImage,
    ),
  };
}

/** The reconcile function of the MCPServer controller. */
export function mcpServerReconciler(
  deps: MCPServerDeps,
): (key: string) => Promise<ReconcileResult> {
  return async (key) => {
    const server = deps.servers.get(key);
    const { namespace, name } = parseKey(key);
    if (!server || server.metadata.deletionTimestamp) {
      forgetMetrics(deps.metrics, namespace!, name);
      return;
    }
    const log = deps.log.child({ kind: "MCPServer", namespace, name });
    const g = gather(deps, server);
    const now = deps.now();
    // Intact seeds the keyring lost track of retire for a grace period rather than vanish.
    for (const { id, algorithm, seed } of g.keyring.orphans) {
      const retireAt = now + g.resolution.policy.gracePeriodMs;
      g.keyring.keys.push({
        id,
        algorithm,
        state: "retiring",
        createdAt: now,
        activatedAt: now,
        retireAt,
      });
      g.keyring.seeds.set(id, seed);
    }
    const active = g.keyring.keys.find((k) => k.state === "active");
    const choice = chooseAlgorithms(server.spec, g.resolution, active?.algorithm);
    const { policy } = g.resolution;
    const plan = decideRotation({
      keys: g.keyring.keys,
      algorithm: choice.kem,
      rotationPeriodMs: policy.rotationPeriodMs,
      gracePeriodMs: policy.gracePeriodMs,
      firstPeriodFraction: firstPeriodFraction(server.metadata.uid ?? key),
      lockdown: g.lockdownRequested !== undefined,
      rekeyAllowed: deps.rekeyLimiter.available(),
      now,
    });
    if (plan.rotation === "AlgorithmChanged") deps.rekeyLimiter.tryTake();

    if (plan.rotation === "Initial" && g.keyring.problems.length > 0) plan.rotation = "Repaired";
    let written;
    try {
      written = await writeKeyring(deps, g, plan, now, log);
    } catch (error) {
      if (error instanceof UnseenSecretError) {
        // Either the cache has not caught up with a Secret just written, or another writer took away
        // the label the informer selects on: never write over its keys, at most restore its labels.
        const requeueAfter = await reclaimUnseenSecret(deps, server, secretName(name), log, {
          soonMs: CONFLICT_RETRY_MS,
          laterMs: UNSEEN_SECRET_RETRY_MS,
        });
        return { requeueAfter };
      }
      if (!isConflict(error)) throw error;
      // The cache was behind the Secret (or another writer won): decide again on fresh state.
      log.debug("Found keyring Secret changed since it was read; retrying");
      return { requeueAfter: CONFLICT_RETRY_MS };
    }
    const { keys, seeds } = written;
    await publish(deps, g, keys, seeds);
    await writeStatus(deps, g, keys, choice, plan, now);
    report(deps, g, keys, plan, log);
    // The plan counts from `now`, the queue from when this returns: the writes in between must not
    // make every rotation late by their duration.
    const wait = plan.rekeyPending
      ? Math.max(deps.rekeyLimiter.waitMs(), 100)
      : Math.max(MIN_REQUEUE_MS, plan.requeueAfterMs - (deps.now() - now));
    // Status shows the enforcement in force: look again when the next dated step takes effect.
    const nextStep = g.resolution.policy.schedule[0]?.from;
    const untilStep =
      nextStep === undefined ? Infinity : Math.max(MIN_REQUEUE_MS, nextStep - deps.now());
    return { requeueAfter: Math.min(wait, untilStep) };
  };
}

/** Writes the keyring Secret if anything changed; returns the keyring now stored. */
async function writeKeyring(
  deps: MCPServerDeps,
  g: Gathered,
  plan: RotationPlan,
  now: number,
  log: Logger,
): Promise<{ keys: KeyRecord[]; seeds: Map<string, Uint8Array> }> {
  const seeds = new Map(g.keyring.seeds);
  const keys = applySteps(g.keyring.keys, plan.steps, now, (algorithm, state) => {
    const { id, seed } = deps.keys.generate(algorithm);
    seeds.set(id, seed);
    return {
      id,
      algorithm,
      state,
      createdAt: now,
      ...(state === "active" && { activatedAt: now }),
    };
  });
  const repairing = g.keyring.problems.length > 0;
  const ids = new Set<string>([KEYRING_ENTRY, ...keys.map((k) => k.id)]);
  const leftovers = (s: V1Secret | undefined) =>
    Object.keys(s?.data ?? {}).filter((k) => !ids.has(k));
  let written = g.secret;
  if (plan.steps.length > 0 || repairing || !g.secret) {
    const lockdown =
      g.lockdownRequested ?? g.secret?.metadata?.annotations?.[LOCKDOWN_HANDLED_ANNOTATION];
    const shell: V1Secret = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: secretName(g.server.metadata.name!),
        namespace: g.server.metadata.namespace!,
        labels: { ...MANAGED_LABELS, "latticeguard.dev/mcpserver": g.server.metadata.name! },
        ...(lockdown && { annotations: { [LOCKDOWN_HANDLED_ANNOTATION]: lockdown } }),
        ownerReferences: [ownerReference(g.server)],
      },
      type: "latticeguard.dev/kem-keyring",
    };
    try {
      written = await applyGuarded(deps.writer, g.secret, shell, {
        ...shell,
        data: encodeKeyring(keys, seeds),
      });
    } catch (error) {
      if (g.secret || !isConflict(error)) throw error;
      throw new UnseenSecretError(shell.metadata!.namespace!, shell.metadata!.name!, error);
    }
    if (repairing) reportRepair(deps, g, log);
  }
  // Seeds of deleted keys that some other writer owns would outlive their grace period: remove them.
  const stale = leftovers(written);
  if (written && stale.length > 0) {
    log.warn({ entries: stale.length }, "Removed stale entries from KEM keyring Secret");
    await deps.writer.removeSecretEntries(written, stale);
  }
  return { keys, seeds };
}

function reportRepair(deps: MCPServerDeps, g: Gathered, log: Logger): void {
  log.warn({ problems: g.keyring.problems }, "Repaired KEM keyring Secret");
  deps.metrics.kemRepairs.inc({
    namespace: g.server.metadata.namespace,
    mcpserver: g.server.metadata.name,
  });
  void deps.events.record(
    g.server,
    "Warning",
    "KEMKeyringRepaired",
    `Secret ${secretName(g.server.metadata.name!)}: ${g.keyring.problems.join("; ")}`,
  );
}

/** Publishes the public keys in the ConfigMap when they differ from what is published. */
async function publish(
  deps: MCPServerDeps,
  g: Gathered,
  keys: readonly KeyRecord[],
  seeds: ReadonlyMap<string, Uint8Array>,
): Promise<void> {
  const published = JSON.stringify(
    publishKeys(keys, seeds, deps.keys, g.resolution.policy),
    null,
    2,
  );
  if (isPublished(published, g.publishedKeys)) return;
  await deps.writer.apply<V1ConfigMap>({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: publicConfigMapName(g.server.metadata.name!),
      namespace: g.server.metadata.namespace!,
      labels: { ...MANAGED_LABELS, "latticeguard.dev/mcpserver": g.server.metadata.name! },
      ownerReferences: [ownerReference(g.server)],
    },
    data: { [PUBLIC_KEYS_ENTRY]: published },
  });
}

/** Writes status when it differs from what the server shows. */
async function writeStatus(
  deps: MCPServerDeps,
  g: Gathered,
  keys: readonly KeyRecord[],
  choice: ReturnType<typeof chooseAlgorithms>,
  plan: RotationPlan,
  now: number,
): Promise<void> {
  const { policy } = g.resolution;
  const active = keys.find((k) => k.state === "active");
  const kem = keyringStatus(keys, policy.rotationPeriodMs);
  const lastLockdown = g.lockdownRequested ?? g.server.status?.kem?.lastLockdown;
  const status: MCPServerStatus = {
    observedGeneration: g.server.metadata.generation ?? 0,
    conditions: transportCondition(
      identityCondition(
        serverConditions(
          g.server.status?.conditions,
          {
            generation: g.server.metadata.generation ?? 0,
            hasActiveKey: active !== undefined,
            activeAlgorithm: active?.algorithm,
            wantedAlgorithm: choice.kem,
            rekeyPending: plan.rekeyPending,
            violations: [
              ...choice.violations,
              ...transportViolations(g.server.status?.transport, policy.enforcement),
            ],
          },
          new Date(now),
        ),
        g.server,
        now,
      ),
      g.server,
      new Date(now),
    ),
    kem: { ...kem, ...(lastLockdown && { lastLockdown }) },
    effectivePolicy: {
      policies: policy.policies,
      enforcement: policy.enforcement,
      kemAlgorithm: choice.kem,
      identityAlgorithm: choice.identity,
      rotationPeriod: formatDuration(policy.rotationPeriodMs),
      gracePeriod: formatDuration(policy.gracePeriodMs),
    },
    pods: g.pods,
  };
  // `status.identity` belongs to the issuance API's field manager and `status.transport` to the probe's:
  // compare everything else (and never apply them, so their managers keep them).
  const { identity: _issued, transport: _probed, ...current } = g.server.status ?? {};
  if (isDeepStrictEqual(status, current)) return;
  await deps.writer.applyStatus(
    {
      kind: "MCPServer",
      metadata: { name: g.server.metadata.name!, namespace: g.server.metadata.namespace! },
    },
    "mcpservers",
    status,
  );
}

/** Events and metrics for what this reconcile changed. */
function report(
  deps: MCPServerDeps,
  g: Gathered,
  keys: readonly KeyRecord[],
  plan: RotationPlan,
  log: Logger,
): void {
  const { server } = g;
  const labels = { namespace: server.metadata.namespace!, mcpserver: server.metadata.name! };
  const record = (type: "Normal" | "Warning", reason: EventReason, message: string) =>
    void deps.events.record(server, type, reason, message);
  const active = keys.find((k) => k.state === "active");
  // One Event per rotation and per deleted key: preparing the next key shows in status.kem.nextKeyId
  // and in the ConfigMap, and would only add to the API server's Event load.
  if (plan.rotation && active) {
    deps.metrics.kemRotations.inc({
      ...labels,
      algorithm: active.algorithm,
      reason: plan.rotation,
    });
    log.info(
      { keyId: active.id, algorithm: active.algorithm, reason: plan.rotation },
      "Rotated KEM key",
    );
    const message = `Activated ${active.algorithm} key ${active.id} (${plan.rotation})`;
    if (plan.rotation === "Lockdown") record("Warning", "Lockdown", message);
    else record("Normal", "KEMKeyRotated", message);
  }
  for (const step of plan.steps) {
    if (step.op !== "delete") continue;
    deps.metrics.kemKeysDeleted.inc({ ...labels, reason: step.reason });
    record("Normal", "KEMKeyRetired", `Deleted key ${step.id} (${step.reason})`);
  }
  const wasPending = server.status?.conditions?.some((c) => c.reason === "RekeyPending");
  if (plan.rekeyPending && active && !wasPending) {
    record(
      "Normal",
      "RekeyPending",
      `Re-key of ${active.algorithm} key ${active.id} waits for the cluster-wide rate limit`,
    );
  }
  setGauges(deps.metrics, labels, keys, g.resolution.policy);
}

/** Next-rotation and key-expiry timestamps for one server. */
function setGauges(
  metrics: Metrics,
  labels: { namespace: string; mcpserver: string },
  keys: readonly KeyRecord[],
  policy: PolicyResolution["policy"],
): void {
  const active = keys.find((k) => k.state === "active");
  if (active)
    metrics.kemNextRotation.set(labels, rotationDue(active, policy.rotationPeriodMs) / 1000);
  const windows = keyWindows(keys, policy);
  for (const state of ["active", "next", "retiring"] as const) {
    const window = windows.find((w) => w.key.state === state);
    if (window) metrics.kemKeyExpiry.set({ ...labels, state }, window.notAfter / 1000);
    else metrics.kemKeyExpiry.remove({ ...labels, state });
  }
}

function forgetMetrics(metrics: Metrics, namespace: string, mcpserver: string): void {
  metrics.kemNextRotation.remove({ namespace, mcpserver });
  for (const state of ["active", "next", "retiring"])
    metrics.kemKeyExpiry.remove({ namespace, mcpserver, state });
}

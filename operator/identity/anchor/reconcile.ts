/**
 * The trust anchor reconciler (leader only): gather → decide → act → report, for the one anchor Secret in
 * the operator's namespace and the source trust bundle ConfigMap beside it.
 *
 * - gather reads the caches: the anchor Secret (checked anchor by anchor) and the published bundle.
 * - decide is pure (`anchor-rotation.ts`).
 * - act writes in the order that never loses the signing key: the Secret first, then the bundle. A new
 *   Secret is created empty (so a second writer fails with 409 instead of replacing it), then its data is
 *   applied, like every later change, guarded by the resourceVersion that was read: a stale cache or a
 *   second leader fails with 409 and the decision is taken again on fresh state. Applying the data under
 *   one field manager is what deletes the seed of a removed anchor from the Secret; an entry someone else
 *   edited is theirs, so apply leaves it, and a resourceVersion-guarded patch then removes it.
 * - report: Events on the Secret, metrics, and when to look again.
 *
 * @example
 * const reconcile = trustAnchorReconciler(deps);
 * await reconcile("latticeguard-system/latticeguard-trust-anchor"); // { requeueAfter: 1_296_000_000 }
 */
import type { V1ConfigMap, V1Secret } from "@kubernetes/client-node";
import type { SignatureAlgorithm } from "../../api/algorithms.ts";
import type { EventRecorder } from "../../events.ts";
import { MANAGED_LABELS, applyGuarded, isConflict, type Writer } from "../../kube/apply.ts";
import type { Cache } from "../../kube/cache.ts";
import type { Logger } from "../../log.ts";
import type { Metrics } from "../../metrics.ts";
import type { ReconcileResult } from "../../runtime/reconcile.ts";
import { createAnchor, type StoredAnchor } from "./material.ts";
import { reportAnchors } from "./report.ts";
import {
  applyAnchorSteps,
  decideAnchors,
  type AnchorPlan,
  type CreateAnchorStep,
} from "./rotation.ts";
import { decodeAnchors, encodeAnchors, type DecodedAnchors } from "./secret.ts";
import { BUNDLE_ENTRY, bundleAnchors, bundleConfigMap, bundlePem } from "./bundle.ts";

/** The type of the anchor Secret, which tells it from any other Secret of the same name. */
const ANCHOR_SECRET_TYPE = "latticeguard.dev/trust-anchor";

/**
 * Everything the trust anchor reconciler reads, writes and is configured with.
 *
 * @example
 * const deps: TrustAnchorDeps = { namespace: "latticeguard-system", secretName, bundleName, … };
 */
export interface TrustAnchorDeps {
  /** The operator's namespace, which holds the Secret and the source bundle. */
  namespace: string;
  secretName: string;
  bundleName: string;
  algorithm: SignatureAlgorithm;
  trustDomain: string;
  lifetimeMs: number;
  secrets: Cache<V1Secret>;
  configMaps: Cache<V1ConfigMap>;
  writer: Writer;
  events: EventRecorder;
  metrics: Metrics;
  now: () => number;
  log: Logger;
}

/** How soon to decide again after the Secret changed under a write. */
const CONFLICT_RETRY_MS = 200;

/** What gather reads. */
interface Gathered {
  secret: V1Secret | undefined;
  decoded: DecodedAnchors;
  published: string | undefined;
}

function gather(deps: TrustAnchorDeps): Gathered {
  const secret = deps.secrets.get(`${deps.namespace}/${deps.secretName}`);
  const decoded = decodeAnchors(secret?.data);
  const published = deps.configMaps.get(`${deps.namespace}/${deps.bundleName}`)?.data?.[
    BUNDLE_ENTRY
  ];
  if (decoded.anchors.length === 0 && decoded.problems.length === 0 && published) {
    const lost = secret ? "the Secret holds no anchors" : "the Secret was deleted";
    decoded.problems.push(`${lost}: the published anchors are lost and replaced`);
  }
  return { secret, decoded, published };
}

/**
 * The reconcile function of the trust anchor controller; the key is ignored (there is one anchor Secret).
 *
 * @example
 * new Controller({ name: "trust-anchor", leader, reconcile: trustAnchorReconciler(deps) });
 */
export function trustAnchorReconciler(deps: TrustAnchorDeps): () => Promise<ReconcileResult> {
  const log = deps.log.child({ kind: "Secret", namespace: deps.namespace, name: deps.secretName });
  return async () => {
    const g = gather(deps);
    const now = deps.now();
    const plan = decideAnchors({
      anchors: g.decoded.anchors,
      algorithm: deps.algorithm,
      trustDomain: deps.trustDomain,
      lifetimeMs: deps.lifetimeMs,
      now,
    });
    if (plan.rotation === "Initial" && g.decoded.problems.length > 0) plan.rotation = "Repaired";
    let written;
    try {
      written = await writeAnchors(deps, g, plan);
    } catch (error) {
      if (!isConflict(error)) throw error;
      log.debug("Found trust anchor Secret changed since it was read; retrying");
      return { requeueAfter: CONFLICT_RETRY_MS };
    }
    const pem = bundlePem(bundleAnchors(written.anchors, now));
    if (pem !== g.published) {
      await deps.writer.apply(bundleConfigMap(deps.bundleName, deps.namespace, pem));
    }
    reportAnchors(deps, { ...written, plan, problems: g.decoded.problems, now, log });
    return { requeueAfter: plan.requeueAfterMs };
  };
}

/** Writes the Secret if anything changed; returns the anchors now stored and the Secret as written. */
async function writeAnchors(
  deps: TrustAnchorDeps,
  g: Gathered,
  plan: AnchorPlan,
): Promise<{ anchors: StoredAnchor[]; created: StoredAnchor[]; secret: V1Secret | undefined }> {
  const made = new Map<CreateAnchorStep, StoredAnchor>();
  for (const step of plan.steps) if (step.op === "create") made.set(step, await createAnchor(step));
  const material = new Map([...g.decoded.anchors, ...made.values()].map((a) => [a.id, a]));
  const anchors = applyAnchorSteps(g.decoded.anchors, plan.steps, (s) => made.get(s)!.id).map(
    (record) => ({ ...material.get(record.id)!, ...record }),
  );
  const created = [...made.values()];
  const data = encodeAnchors(anchors);
  let secret = g.secret;
  if (plan.steps.length > 0 || g.decoded.problems.length > 0 || !g.secret) {
    const metadata = { name: deps.secretName, namespace: deps.namespace, labels: MANAGED_LABELS };
    const base = { apiVersion: "v1", kind: "Secret", type: ANCHOR_SECRET_TYPE };
    try {
      secret = await applyGuarded<V1Secret>(
        deps.writer,
        g.secret,
        { ...base, metadata },
        { ...base, metadata, data },
      );
    } catch (error) {
      if (g.secret || !isConflict(error)) throw error;
      throw await relabelUnseen(deps, error);
    }
  }
  // Entries no apply of ours owns (edited by hand) would outlive the anchors they belonged to.
  const stale = Object.keys(secret?.data ?? {}).filter((k) => !(k in data));
  if (secret && stale.length > 0) secret = await deps.writer.removeSecretEntries(secret, stale);
  return { anchors, created, secret };
}

/**
 * The anchor Secret exists but the cache, which selects on LatticeGuard's label, does not hold it: someone
 * removed the label. If it is an anchor Secret (by its type), the label is restored, and nothing else, so
 * the informer sees it again and the next reconcile reads its anchors; a Secret of that name of another
 * type is never written. Either way, returns the error the reconcile fails with (and is retried on).
 */
async function relabelUnseen(deps: TrustAnchorDeps, conflict: unknown): Promise<Error> {
  const where = `Secret ${deps.namespace}/${deps.secretName}`;
  const secret = await deps.writer.readSecret(deps.namespace, deps.secretName);
  if (secret?.type !== ANCHOR_SECRET_TYPE)
    return new Error(
      `${where} exists but is not in the operator's cache: it must carry the label ` +
        `app.kubernetes.io/managed-by=latticeguard and type ${ANCHOR_SECRET_TYPE}`,
      { cause: conflict },
    );
  await deps.writer.labelSecret(secret, MANAGED_LABELS);
  deps.log.warn({ secret: deps.secretName }, "Restored the label of the trust anchor Secret");
  return new Error(
    `${where} had lost its label app.kubernetes.io/managed-by=latticeguard: restored`,
  );
}

/**
 * What the trust anchor controller tells people about a reconcile: Events on the anchor Secret
 * (`TrustAnchorCreated`, `TrustAnchorRotated`, `TrustAnchorRetired`, and a `TrustAnchorRepaired` Warning),
 * logs that name anchors by id only (never key material), and the metrics
 * `latticeguard_trust_anchor_expiry_timestamp_seconds{anchor,state}`,
 * `latticeguard_trust_anchor_rotations_total{reason}` and `latticeguard_trust_anchor_repairs_total`.
 *
 * @example
 * reportAnchors(deps, { anchors, created, secret, plan, problems, now, log });
 */
import type { V1Secret } from "@kubernetes/client-node";
import type { EventReason, EventRecorder } from "../../events.ts";
import type { Logger } from "../../log.ts";
import type { Metrics } from "../../metrics.ts";
import type { AnchorRecord, AnchorPlan } from "./rotation.ts";

/**
 * What one reconcile did: the anchors now stored, those it created, the Secret as written, the plan, and
 * what was wrong with the Secret it read.
 *
 * @example
 * const outcome: AnchorOutcome = { anchors, created, secret, plan, problems: [], now, log };
 */
export interface AnchorOutcome {
  anchors: readonly AnchorRecord[];
  created: readonly AnchorRecord[];
  secret: V1Secret | undefined;
  plan: AnchorPlan;
  problems: readonly string[];
  now: number;
  log: Logger;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Records the Events, logs and metrics for `outcome`.
 *
 * @example
 * reportAnchors({ events, metrics, secretName: "latticeguard-trust-anchor" }, outcome);
 */
export function reportAnchors(
  deps: { events: EventRecorder; metrics: Metrics; secretName: string },
  outcome: AnchorOutcome,
): void {
  const { anchors, created, secret, plan, problems, log } = outcome;
  const record = (type: "Normal" | "Warning", reason: EventReason, message: string) => {
    if (secret) void deps.events.record(secret, type, reason, message);
  };
  if (problems.length > 0) {
    log.warn({ problems }, "Repaired trust anchor Secret");
    deps.metrics.trustAnchorRepairs.inc();
    record("Warning", "TrustAnchorRepaired", `Secret ${deps.secretName}: ${problems.join("; ")}`);
  }
  for (const a of created) {
    log.info({ anchor: a.id, algorithm: a.algorithm, state: a.state }, "Created trust anchor");
    record(
      "Normal",
      "TrustAnchorCreated",
      `Created ${a.algorithm} anchor ${a.id} for trust domain ${a.trustDomain}, valid until ` +
        `${iso(a.notAfter)}, and published it in the trust bundle`,
    );
  }
  const active = anchors.find((a) => a.state === "active");
  if (plan.rotation && active) {
    deps.metrics.trustAnchorRotations.inc({ reason: plan.rotation });
    log.info({ anchor: active.id, reason: plan.rotation }, "Rotated trust anchor");
    const retiring = anchors.filter((a) => a.state === "retiring").map((a) => a.id);
    const kept = retiring.length ? `; ${retiring.join(", ")} stay in the bundle until expiry` : "";
    record(
      "Normal",
      "TrustAnchorRotated",
      `Anchor ${active.id} signs new identities (${plan.rotation})${kept}`,
    );
  }
  for (const step of plan.steps) {
    if (step.op !== "delete") continue;
    log.info({ anchor: step.id, reason: step.reason }, "Retired trust anchor");
    record(
      "Normal",
      "TrustAnchorRetired",
      `Removed anchor ${step.id} from the trust bundle (${step.reason})`,
    );
  }
  setExpiryGauges(deps.metrics, anchors, outcome.now);
}

/** One series per stored anchor, by id and state; series of anchors gone or moved are removed. */
function setExpiryGauges(metrics: Metrics, anchors: readonly AnchorRecord[], now: number): void {
  metrics.trustAnchorExpiry.reset();
  for (const a of anchors) {
    if (now < a.notAfter)
      metrics.trustAnchorExpiry.set({ anchor: a.id, state: a.state }, a.notAfter / 1000);
  }
}

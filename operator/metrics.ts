/**
 * Every Prometheus metric LatticeGuard exports, in one private registry (prefix `latticeguard_`), so the
 * names, labels and help texts are reviewed in one place and nothing leaks into prom-client's global one.
 *
 * @example
 * metrics.kemRotations.inc({ namespace, mcpserver: name, algorithm, reason: "Scheduled" });
 * await metrics.registry.metrics(); // the /metrics body
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** The operator's metrics and the registry that serves them. */
export interface Metrics {
  registry: Registry;
  kemRotations: Counter<"namespace" | "mcpserver" | "algorithm" | "reason">;
  kemKeysDeleted: Counter<"namespace" | "mcpserver" | "reason">;
  kemNextRotation: Gauge<"namespace" | "mcpserver">;
  kemKeyExpiry: Gauge<"namespace" | "mcpserver" | "state">;
  kemRepairs: Counter<"namespace" | "mcpserver">;
  trustAnchorExpiry: Gauge<"anchor" | "state">;
  trustAnchorRotations: Counter<"reason">;
  trustAnchorRepairs: Counter;
  reconciles: Counter<"controller" | "result">;
  reconcileErrors: Counter<"controller">;
  reconcileDuration: Histogram<"controller">;
  queueDepth: Gauge<"controller">;
  leader: Gauge;
  policyConflicts: Gauge<"policy">;
  policyEnforcementMode: Gauge<"policy" | "mode">;
  policyDenyPreview: Gauge<"policy">;
  admissionReviews: Counter<"webhook" | "resource" | "decision" | "mode" | "transport">;
  admissionDuration: Histogram<"webhook" | "resource">;
  sidecarInjections: Counter<"outcome">;
  transportProbes: Counter<"result" | "group">;
  transportLastSuccess: Gauge<"namespace" | "mcpserver">;
  transportVerified: Gauge<"namespace" | "mcpserver">;
  transportFalseClaims: Gauge<"namespace" | "mcpserver">;
  transportProbeRound: Gauge;
  shadowServers: Gauge<"namespace" | "state">;
}

/** Creates the metrics in a fresh registry (tests make their own). */
export function createMetrics(options: { processMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.processMetrics ?? true)
    collectDefaultMetrics({ register: registry, prefix: "latticeguard_" });
  const registers = [registry];
  return {
    registry,
    kemRotations: new Counter({
      name: "latticeguard_kem_rotations_total",
      help: "KEM key activations, by reason (Initial, Scheduled, AlgorithmChanged, Lockdown, Repaired).",
      labelNames: ["namespace", "mcpserver", "algorithm", "reason"],
      registers,
    }),
    kemKeysDeleted: new Counter({
      name: "latticeguard_kem_keys_deleted_total",
      help: "KEM private keys deleted, by reason (GraceExpired, Lockdown, AlgorithmChanged).",
      labelNames: ["namespace", "mcpserver", "reason"],
      registers,
    }),
    kemNextRotation: new Gauge({
      name: "latticeguard_kem_next_rotation_timestamp_seconds",
      help: "When each MCP server's active KEM key is due to be replaced (Unix time).",
      labelNames: ["namespace", "mcpserver"],
      registers,
    }),
    kemKeyExpiry: new Gauge({
      name: "latticeguard_kem_key_expiry_timestamp_seconds",
      help: "When each MCP server's keys stop being usable (Unix time), by key state.",
      labelNames: ["namespace", "mcpserver", "state"],
      registers,
    }),
    kemRepairs: new Counter({
      name: "latticeguard_kem_keyring_repairs_total",
      help: "Keyring Secrets found edited, corrupted or deleted, and repaired.",
      labelNames: ["namespace", "mcpserver"],
      registers,
    }),
    trustAnchorExpiry: new Gauge({
      name: "latticeguard_trust_anchor_expiry_timestamp_seconds",
      help: "When each trust anchor leaves the trust bundle (its notAfter, Unix time), by anchor id and state (active, next, retiring).",
      labelNames: ["anchor", "state"],
      registers,
    }),
    trustAnchorRotations: new Counter({
      name: "latticeguard_trust_anchor_rotations_total",
      help: "Trust anchors that became the signer, by reason (Initial, Scheduled, Expired, Repaired, TrustDomainChanged).",
      labelNames: ["reason"],
      registers,
    }),
    trustAnchorRepairs: new Counter({
      name: "latticeguard_trust_anchor_repairs_total",
      help: "Trust anchor Secrets found edited, corrupted or deleted, and repaired.",
      registers,
    }),
    reconciles: new Counter({
      name: "latticeguard_reconcile_total",
      help: "Reconciles, by controller and result (success, error, terminal, requeue).",
      labelNames: ["controller", "result"],
      registers,
    }),
    reconcileErrors: new Counter({
      name: "latticeguard_reconcile_errors_total",
      help: "Reconciles that failed and will be retried with backoff.",
      labelNames: ["controller"],
      registers,
    }),
    reconcileDuration: new Histogram({
      name: "latticeguard_reconcile_duration_seconds",
      help: "How long one reconcile takes.",
      labelNames: ["controller"],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    queueDepth: new Gauge({
      name: "latticeguard_workqueue_depth",
      help: "Keys waiting in each controller's work queue.",
      labelNames: ["controller"],
      registers,
    }),
    leader: new Gauge({
      name: "latticeguard_leader",
      help: "1 while this replica holds the leader Lease, else 0.",
      registers,
    }),
    policyConflicts: new Gauge({
      name: "latticeguard_policy_conflicts",
      help: "Namespaces where a CryptoPolicy takes part in an unsatisfiable combination.",
      labelNames: ["policy"],
      registers,
    }),
    policyEnforcementMode: new Gauge({
      name: "latticeguard_policy_enforcement_mode",
      help: "1 for the enforcement mode (Audit, Warn, Enforce) a CryptoPolicy is in now, by its schedule; 0 for the others.",
      labelNames: ["policy", "mode"],
      registers,
    }),
    policyDenyPreview: new Gauge({
      name: "latticeguard_policy_deny_preview_pods",
      help: "Pods in the namespaces a CryptoPolicy selects that admission would deny under Enforce today.",
      labelNames: ["policy"],
      registers,
    }),
    admissionReviews: new Counter({
      name: "latticeguard_admission_reviews_total",
      help: "Admission reviews answered, by webhook (validate, mutate), resource, decision (allowed, denied, admitted_violation, error; bad_request, too_large, overloaded for bodies no handler saw), enforcement mode (Enforce, Warn, Audit, none) and the post-quantum transport of what was admitted (sidecar, claim, none).",
      labelNames: ["webhook", "resource", "decision", "mode", "transport"],
      registers,
    }),
    admissionDuration: new Histogram({
      name: "latticeguard_admission_duration_seconds",
      help: "How long the webhook takes to answer one admission review, from decoded request to response, by webhook (validate, mutate) and resource.",
      labelNames: ["webhook", "resource"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    sidecarInjections: new Counter({
      name: "latticeguard_sidecar_injections_total",
      help: "Pods the mutating webhook reviewed, by outcome: injected, or why not (already_injected, not_selected, opted_out, injection_off, host_network, policy_conflict, port_not_found, port_conflict, volume_conflict, error).",
      labelNames: ["outcome"],
      registers,
    }),
    transportProbes: new Counter({
      name: "latticeguard_transport_probes_total",
      help: "Endpoints probed by the leader's handshake probe, by result (Verified, ClassicalGroupAccepted, UntrustedCertificate, ClassicalCertificate, HandshakeFailed, Unreachable) and negotiated group (none without a handshake).",
      labelNames: ["result", "group"],
      registers,
    }),
    transportLastSuccess: new Gauge({
      name: "latticeguard_transport_probe_last_success_timestamp_seconds",
      help: "When every endpoint of each MCP server last passed the handshake probe (Unix time).",
      labelNames: ["namespace", "mcpserver"],
      registers,
    }),
    transportVerified: new Gauge({
      name: "latticeguard_transport_verified",
      help: "1 when every endpoint of each MCP server passed the last handshake probe, else 0.",
      labelNames: ["namespace", "mcpserver"],
      registers,
    }),
    transportFalseClaims: new Gauge({
      name: "latticeguard_transport_false_claims",
      help: "Pods of each MCP server claiming post-quantum transport by annotation whose endpoint failed the last handshake probe.",
      labelNames: ["namespace", "mcpserver"],
      registers,
    }),
    transportProbeRound: new Gauge({
      name: "latticeguard_transport_probe_round_duration_seconds",
      help: "How long the last full handshake probe round took, from the first handshake to the last status write.",
      registers,
    }),
    shadowServers: new Gauge({
      name: "latticeguard_shadow_mcp_servers",
      help: "Pods and Services that look like MCP but that no MCPServer covers, in namespaces a CryptoPolicy selects, by namespace and state (suspected, confirmed); only non-zero series are exported.",
      labelNames: ["namespace", "state"],
      registers,
    }),
  };
}

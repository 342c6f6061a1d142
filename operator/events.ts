/**
 * Kubernetes Events for what a user should see in `kubectl describe`: key and trust anchor rotations,
 * policy violations, repairs. Recording an Event never fails a reconcile: a lost Event is logged and
 * forgotten.
 *
 * Callers record without waiting (a reconcile or an admission never waits for an Event), so the writes
 * in flight are bounded: at most `maxInFlight` (default 100) at once, each bounded by the API client's
 * timeout; an Event recorded while that many are in flight is dropped at once and counted in
 * `latticeguard_events_dropped_total{reason}`, never queued.
 *
 * @example
 * await events.record(server, "Normal", "KEMKeyRotated", "Activated key mlkem768-3f9a0c11d2e4b5a6");
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { CoreV1Api, type KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import { Counter, type Registry } from "prom-client";
import type { Logger } from "./log.ts";

/** The reasons LatticeGuard records, CamelCase as Kubernetes expects. */
export type EventReason =
  | "KEMKeyRotated"
  | "KEMKeyRetired"
  | "KEMKeyringRepaired"
  | "RekeyPending"
  | "Lockdown"
  | "PolicyViolation"
  | "PolicyConflict"
  | "EnforcementStepApproaching"
  | "EnforcementStepChanged"
  | "ShadowMCPServer"
  | "TrustAnchorCreated"
  | "TrustAnchorRotated"
  | "TrustAnchorRetired"
  | "TrustAnchorRepaired"
  | "TransportVerified"
  | "TransportDowngradable"
  | "TransportUnverified";

/** Records Events about objects. */
export interface EventRecorder {
  record(
    object: KubernetesObject,
    type: "Normal" | "Warning",
    reason: EventReason,
    message: string,
  ): Promise<void>;
}

/**
 * How many Event writes may be in flight, and where drops are counted.
 *
 * @example
 * apiEventRecorder(kc, log, { maxInFlight: 100, registry: metrics.registry });
 */
export interface EventRecorderOptions {
  /** Default {@link DEFAULT_MAX_EVENTS_IN_FLIGHT}. */
  maxInFlight?: number;
  /** Registers `latticeguard_events_dropped_total{reason}` here. */
  registry?: Registry;
}

/**
 * The default bound on Event writes in flight: far above what rotations and throttled violations need.
 *
 * @example
 * apiEventRecorder(kc, log, { maxInFlight: DEFAULT_MAX_EVENTS_IN_FLIGHT });
 */
export const DEFAULT_MAX_EVENTS_IN_FLIGHT = 100;

/**
 * An EventRecorder that writes core/v1 Events through the API server, at most `maxInFlight` at once.
 *
 * @example
 * const events = apiEventRecorder(kc, log, { registry: metrics.registry });
 */
export function apiEventRecorder(
  kc: KubeConfig,
  log: Logger,
  options: EventRecorderOptions = {},
): EventRecorder {
  const core = kc.makeApiClient(CoreV1Api);
  const instance = hostname();
  const maxInFlight = options.maxInFlight ?? DEFAULT_MAX_EVENTS_IN_FLIGHT;
  if (!(Number.isInteger(maxInFlight) && maxInFlight >= 1))
    throw new RangeError("`maxInFlight` must be a positive integer");
  const dropped = new Counter({
    name: "latticeguard_events_dropped_total",
    help: "Events not recorded because too many Event writes were in flight, by reason.",
    labelNames: ["reason"],
    registers: options.registry ? [options.registry] : [],
  });
  let inFlight = 0;
  return {
    async record(object, type, reason, message) {
      const { name = "unknown", namespace, uid, resourceVersion } = object.metadata ?? {};
      if (inFlight >= maxInFlight) {
        dropped.inc({ reason });
        log.debug({ reason, object: `${namespace ?? ""}/${name}` }, "Dropped Event");
        return;
      }
      inFlight++;
      // Events about cluster-scoped objects live in `default`, as the API server's own do.
      const eventNamespace = namespace ?? "default";
      const now = new Date();
      try {
        await core.createNamespacedEvent({
          namespace: eventNamespace,
          body: {
            metadata: {
              name: `${name}.${randomBytes(8).toString("hex")}`,
              namespace: eventNamespace,
            },
            involvedObject: {
              apiVersion: object.apiVersion,
              kind: object.kind,
              name,
              namespace,
              uid,
              resourceVersion,
            },
            type,
            reason,
            message: message.slice(0, 1024),
            firstTimestamp: now,
            lastTimestamp: now,
            count: 1,
            source: { component: "latticeguard" },
            reportingComponent: "latticeguard",
            reportingInstance: instance,
          },
        });
      } catch (error) {
        log.warn(
          { err: error, reason, object: `${namespace ?? ""}/${name}` },
          "Failed to record Event",
        );
      } finally {
        inFlight--;
      }
    },
  };
}

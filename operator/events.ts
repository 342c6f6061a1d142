/**
 * Kubernetes Events for what a user should see in `kubectl describe`: key and trust anchor rotations,
 * policy violations, repairs. Recording an Event never fails a reconcile: a lost Event is logged and
 * forgotten.
 *
 * @example
 * await events.record(server, "Normal", "KEMKeyRotated", "Activated key mlkem768-3f9a0c11d2e4b5a6");
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { CoreV1Api, type KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
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
  | "TrustAnchorCreated"
  | "TrustAnchorRotated"
  | "TrustAnchorRetired"
  | "TrustAnchorRepaired";

/** Records Events about objects. */
export interface EventRecorder {
  record(
    object: KubernetesObject,
    type: "Normal" | "Warning",
    reason: EventReason,
    message: string,
  ): Promise<void>;
}

/** An EventRecorder that writes core/v1 Events through the API server. */
export function apiEventRecorder(kc: KubeConfig, log: Logger): EventRecorder {
  const core = kc.makeApiClient(CoreV1Api);
  const instance = hostname();
  return {
    async record(object, type, reason, message) {
      const { name = "unknown", namespace, uid, resourceVersion } = object.metadata ?? {};
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
      }
    },
  };
}

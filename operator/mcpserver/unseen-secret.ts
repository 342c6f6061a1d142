/**
 * A keyring Secret that exists but that the operator's cache does not hold. The Secret informer selects
 * on `app.kubernetes.io/managed-by=latticeguard`; when another writer removes or changes that label, the
 * Secret vanishes from the cache while it still holds the server's keys. The reconciler then sees no
 * Secret, tries to create one and is refused (409): left there, the server would never rotate again
 * while its status still said Ready.
 *
 * So the reconciler reads the Secret from the API server and decides:
 * - this server's own (its controller owner reference names the server's uid) but unlabelled: restore
 *   the labels, and nothing else. The informer then sees the Secret, and the next reconcile reads its
 *   keys, checks them one by one and repairs them as for any Secret edited by hand;
 * - this server's own and labelled: the cache has not caught up with a write yet; look again later;
 * - not this server's (a Secret of the same name someone else made): never write to it;
 * - gone: deleted meanwhile; look again soon.
 *
 * @example
 * const action = unseenSecretAction(await writer.readSecret(namespace, name), server);
 * // { kind: "relabel", labels: { "app.kubernetes.io/managed-by": "latticeguard", ... }, missing: [...] }
 */
import type { V1Secret } from "@kubernetes/client-node";
import type { MCPServer } from "../api/types.generated.ts";
import type { EventRecorder } from "../events.ts";
import { MANAGED_LABELS, isConflict, type Writer } from "../kube/apply.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";

/**
 * What to do about a keyring Secret the cache does not hold (see the module notes).
 *
 * @example
 * if (action.kind === "relabel") await writer.labelSecret(secret, action.labels);
 */
export type UnseenSecretAction =
  | { kind: "relabel"; labels: Record<string, string>; missing: string[] }
  | { kind: "wait" }
  | { kind: "foreign" }
  | { kind: "gone" };

/**
 * The labels every keyring Secret carries: the informer selects on the first.
 *
 * @example
 * keyringLabels("weather"); // { "app.kubernetes.io/managed-by": "latticeguard", "latticeguard.dev/mcpserver": "weather" }
 */
export function keyringLabels(server: string): Record<string, string> {
  return { ...MANAGED_LABELS, "latticeguard.dev/mcpserver": server };
}

/**
 * Decides what to do about the Secret as the API server has it. Pure.
 *
 * @example
 * unseenSecretAction(undefined, server); // { kind: "gone" }
 */
export function unseenSecretAction(
  secret: V1Secret | undefined,
  server: MCPServer,
): UnseenSecretAction {
  if (!secret) return { kind: "gone" };
  const controller = secret.metadata?.ownerReferences?.find((r) => r.controller);
  const ours =
    controller?.kind === "MCPServer" &&
    controller.uid === server.metadata.uid &&
    controller.name === server.metadata.name;
  if (!ours) return { kind: "foreign" };
  const labels = keyringLabels(server.metadata.name!);
  const missing = Object.entries(labels)
    .filter(([k, v]) => secret.metadata?.labels?.[k] !== v)
    .map(([k, v]) => `${k}=${v}`);
  return missing.length ? { kind: "relabel", labels, missing } : { kind: "wait" };
}

/** What {@link reclaimUnseenSecret} writes and reports through. */
export interface ReclaimDeps {
  writer: Writer;
  events: EventRecorder;
  metrics: Pick<Metrics, "kemRepairs">;
}

/** How soon to look again after acting (ms). */
export interface ReclaimDelays {
  /** After relabelling, or when the Secret was gone or changed meanwhile. */
  soonMs: number;
  /** When the cache is behind or the Secret is not ours. */
  laterMs: number;
}

/**
 * Reads the Secret `name` from the API server and acts on {@link unseenSecretAction}; returns when to
 * reconcile again. Restoring labels is reported as a keyring repair (Event and metric).
 *
 * @example
 * return { requeueAfter: await reclaimUnseenSecret(deps, server, "weather-kem", log, delays) };
 */
export async function reclaimUnseenSecret(
  deps: ReclaimDeps,
  server: MCPServer,
  name: string,
  log: Logger,
  delays: ReclaimDelays,
): Promise<number> {
  const namespace = server.metadata.namespace!;
  const secret = await deps.writer.readSecret(namespace, name);
  const action = unseenSecretAction(secret, server);
  switch (action.kind) {
    case "gone":
      return delays.soonMs;
    case "wait":
      return delays.laterMs;
    case "foreign":
      log.warn(
        { secret: `${namespace}/${name}` },
        "Found keyring Secret that this MCPServer does not control; left it alone",
      );
      return delays.laterMs;
    case "relabel":
      try {
        await deps.writer.labelSecret(secret!, action.labels);
      } catch (error) {
        if (!isConflict(error)) throw error;
        return delays.soonMs;
      }
      log.warn(
        { secret: `${namespace}/${name}`, labels: action.missing },
        "Restored keyring Secret labels",
      );
      deps.metrics.kemRepairs.inc({ namespace, mcpserver: server.metadata.name });
      void deps.events.record(
        server,
        "Warning",
        "KEMKeyringRepaired",
        `Secret ${name}: restored label(s) ${action.missing.join(", ")} that another writer had ` +
          "removed or changed; its keys are checked next",
      );
      return delays.soonMs;
  }
}

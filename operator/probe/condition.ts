/**
 * What the MCPServer reconciler makes of `status.transport` (which the probe writes): the
 * `TransportVerified` condition, and under `Enforce` a `FalseTransportClaim` violation that turns
 * `PolicyCompliant` (and so `Ready`) False. Pure, like decide.ts of the reconciler. The reconciler owns
 * the conditions; the probe owns only `status.transport`, so the two never apply the same field.
 *
 * @example
 * conditions = transportCondition(conditions, server, new Date());
 * violations.push(...transportViolations(server.status?.transport, policy.enforcement));
 */
import type { EnforcementMode } from "../api/cryptopolicy.schema.ts";
import type { Condition, MCPServer } from "../api/types.generated.ts";
import { setCondition } from "../kube/conditions.ts";
import type { Violation } from "../mcpserver/decide.ts";
import type { TransportStatus } from "./decide.ts";

/**
 * `conditions` with `TransportVerified` set from `status.transport`; unchanged before the first probe.
 *
 * @example
 * transportCondition([], { metadata: {}, status: { transport: { result: "Verified", message: "2 of 2 endpoints verified" } } }, now);
 */
export function transportCondition(
  conditions: readonly Condition[],
  server: Pick<MCPServer, "metadata" | "status">,
  now: Date,
): Condition[] {
  const transport = server.status?.transport;
  if (!transport?.result) return [...conditions];
  const verified = transport.result === "Verified";
  return setCondition(
    conditions,
    {
      type: "TransportVerified",
      status: verified ? "True" : "False",
      reason: verified ? "PostQuantumVerified" : transport.result,
      message: transport.message ?? "",
      observedGeneration: server.metadata.generation ?? 0,
    },
    now,
  );
}

/**
 * Under `Enforce`, the pods whose claim of post-quantum transport the probe found false, as a policy
 * violation; nothing under `Warn` and `Audit` (the condition and metrics still say so).
 *
 * @example
 * transportViolations({ falseClaims: 1, message: "…" }, "Enforce")[0]?.reason; // "FalseTransportClaim"
 */
export function transportViolations(
  transport: TransportStatus | undefined,
  enforcement: EnforcementMode,
): Violation[] {
  const claims = transport?.falseClaims ?? 0;
  if (enforcement !== "Enforce" || claims === 0) return [];
  return [
    {
      reason: "FalseTransportClaim",
      message:
        `${claims} pod${claims === 1 ? "" : "s"} claim${claims === 1 ? "s" : ""} post-quantum transport with ` +
        `\`latticeguard.dev/transport\` but failed the handshake probe: ${transport?.message ?? ""}`,
    },
  ];
}

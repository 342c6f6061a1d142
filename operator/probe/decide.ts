/**
 * From one round's endpoint probes to what the MCPServer shows: `status.transport`, whether to write it,
 * and the Event of a changed result. Pure.
 *
 * The server's result is `Verified` when every endpoint is; otherwise the gravest endpoint outcome, in
 * the order of {@link GRAVITY}: an untrusted certificate first (nothing else it says can be believed),
 * then an accepted classical group (recorded traffic can be decrypted later), a classical certificate,
 * a failed handshake, an endpoint that does not answer. A server with no endpoint is `NoEndpoints`.
 *
 * Status is written when anything but `lastProbeTime` changed, and otherwise once `lastProbeTime` is
 * {@link HEARTBEAT_INTERVALS} probe intervals old, so 1,000 unchanged servers cost no writes per round.
 *
 * @example
 * const plan = decideTransport({ probes, previous: server.status?.transport, intervalMs: 300_000 }, now);
 * if (plan.write) await writer.applyStatus(server, "mcpservers", { transport: plan.transport }, PROBE_FIELD_MANAGER);
 */
import { isDeepStrictEqual } from "node:util";
import type { TransportResult } from "../api/mcpserver.schema.ts";
import type { MCPServerStatus } from "../api/types.generated.ts";
import type { EndpointOutcome, EndpointProbe } from "./endpoint.ts";
import type { Endpoint } from "./endpoints.ts";

/**
 * `status.transport` as the API defines it.
 *
 * @example
 * const t: TransportStatus = { result: "Verified", probed: 2, verified: 2, downgradable: 0, falseClaims: 0 };
 */
export type TransportStatus = NonNullable<MCPServerStatus["transport"]>;

/** Endpoint outcomes, gravest first. */
export const GRAVITY: readonly EndpointOutcome[] = [
  "UntrustedCertificate",
  "ClassicalGroupAccepted",
  "ClassicalCertificate",
  "HandshakeFailed",
  "Unreachable",
];

/** Unchanged results are rewritten (their `lastProbeTime`) after this many probe intervals. */
export const HEARTBEAT_INTERVALS = 6;

/** Endpoints listed in status, and named in a message. */
const LISTED = 16;
const NAMED = 5;

/**
 * One endpoint and what its probe concluded.
 *
 * @example
 * const p: ProbedEndpoint = { endpoint, probe };
 */
export interface ProbedEndpoint {
  endpoint: Endpoint;
  probe: EndpointProbe;
}

/**
 * The Event of a result that changed.
 *
 * @example
 * const e: TransportEvent = { type: "Warning", reason: "TransportDowngradable", message: "…" };
 */
export interface TransportEvent {
  type: "Normal" | "Warning";
  reason: "TransportVerified" | "TransportDowngradable" | "TransportUnverified";
  message: string;
}

/**
 * What to do with one server after a round.
 *
 * @example
 * const plan: TransportPlan = { transport, write: true, event: undefined };
 */
export interface TransportPlan {
  transport: TransportStatus;
  write: boolean;
  event: TransportEvent | undefined;
}

const address = (e: Endpoint) => `${e.host}:${e.port}`;

function describe({ endpoint, probe }: ProbedEndpoint): string {
  const where = `${address(endpoint)} (pod ${endpoint.pod}${endpoint.claimed ? ", claims post-quantum transport" : ""})`;
  switch (probe.outcome) {
    case "ClassicalGroupAccepted":
      return `${where} accepted a classical-only handshake (${probe.classicalGroup})`;
    case "UntrustedCertificate":
      return `${where} presented a certificate that does not chain to the trust bundle (${probe.error ?? "unverified"})`;
    case "ClassicalCertificate":
      return `${where} presented a ${probe.handshake?.certificateAlgorithm} certificate, not ML-DSA`;
    case "HandshakeFailed":
      return `${where} completed no TLS handshake (${probe.error})`;
    case "Unreachable":
      return `${where} is unreachable (${probe.error})`;
    default:
      return `${where} is verified`;
  }
}

function seen(probe: EndpointProbe) {
  const h = probe.handshake;
  if (!h) return {};
  return {
    group: h.group,
    tlsVersion: h.tlsVersion,
    ...(h.cipherSuite && { cipherSuite: h.cipherSuite }),
    certificateAlgorithm: h.certificateAlgorithm,
    ...(h.spiffeId && { spiffeId: h.spiffeId }),
  };
}

/**
 * The server's `status.transport` from its endpoints' probes, at `now`.
 *
 * @example
 * transportStatus([], new Date()).result; // "NoEndpoints"
 */
export function transportStatus(probes: readonly ProbedEndpoint[], now: Date): TransportStatus {
  const failed = probes.filter((p) => p.probe.outcome !== "Verified");
  const gravest = GRAVITY.find((o) => failed.some((p) => p.probe.outcome === o));
  const result: TransportResult = !probes.length ? "NoEndpoints" : (gravest ?? "Verified");
  const ordered = [...failed, ...probes.filter((p) => p.probe.outcome === "Verified")];
  const message = !probes.length
    ? "No selected pod has an IP and the MCP port yet"
    : failed.length
      ? `${failed.length} of ${probes.length} endpoints failed: ` +
        failed.slice(0, NAMED).map(describe).join("; ") +
        (failed.length > NAMED ? `; and ${failed.length - NAMED} more` : "")
      : `${probes.length} of ${probes.length} endpoints verified`;
  const representative = ordered.find((p) => p.probe.handshake);
  return {
    lastProbeTime: now.toISOString(),
    result,
    message: message.slice(0, 1024),
    ...(representative && seen(representative.probe)),
    probed: probes.length,
    verified: probes.length - failed.length,
    downgradable: probes.filter((p) => p.probe.outcome === "ClassicalGroupAccepted").length,
    falseClaims: failed.filter((p) => p.endpoint.claimed).length,
    endpoints: ordered.slice(0, LISTED).map(({ endpoint, probe }) => ({
      address: address(endpoint),
      pod: endpoint.pod,
      result: probe.outcome,
      ...seen(probe),
      ...(probe.classicalGroup && { classicalGroup: probe.classicalGroup }),
      claimed: endpoint.claimed,
    })),
  };
}

function eventOf(transport: TransportStatus): TransportEvent {
  const message = transport.message ?? "";
  if (transport.result === "Verified")
    return { type: "Normal", reason: "TransportVerified", message };
  if (transport.result === "ClassicalGroupAccepted")
    return { type: "Warning", reason: "TransportDowngradable", message };
  return { type: "Warning", reason: "TransportUnverified", message };
}

/**
 * The plan for one server: its new `status.transport`, whether to write it, the Event of a new result.
 *
 * @example
 * decideTransport({ probes, previous, intervalMs: 300_000 }, new Date()).write; // false when nothing changed
 */
export function decideTransport(
  input: {
    probes: readonly ProbedEndpoint[];
    previous: TransportStatus | undefined;
    intervalMs: number;
  },
  now: Date,
): TransportPlan {
  const transport = transportStatus(input.probes, now);
  const { previous } = input;
  const { lastProbeTime: _new, ...fresh } = transport;
  const { lastProbeTime: last, ...old } = previous ?? {};
  const age = last ? now.getTime() - Date.parse(last) : Infinity;
  const write =
    !previous || !isDeepStrictEqual(fresh, old) || !(age < HEARTBEAT_INTERVALS * input.intervalMs);
  const changed = previous?.result !== transport.result;
  return { transport, write, event: changed ? eventOf(transport) : undefined };
}

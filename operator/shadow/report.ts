/**
 * What a CryptoPolicy says about the shadow MCP servers of the namespaces it selects, decided from the
 * candidates (classify.ts) and what probes found (prober.ts). Pure.
 *
 * A candidate is `confirmed` when probing is on in its namespace and it answered MCP `initialize`;
 * otherwise it is `suspected`. `status.shadowServers` counts both and lists the first
 * {@link LISTED_SHADOWS}, confirmed first, then by namespace, kind and name, so the list is stable
 * between reconciles and the ones that certainly speak MCP are never crowded out.
 *
 * @example
 * const status = shadowStatus([{ candidate, state: "confirmed" }]);
 * // { count: 1, suspected: 0, confirmed: 1, servers: [{ kind: "Pod", … state: "confirmed" }] }
 */
import { LISTED_SHADOWS } from "../api/shadow.schema.ts";
import type { ShadowCandidate } from "./classify.ts";
import type { ProbeAnswer } from "./prober.ts";

export { LISTED_SHADOWS };

/**
 * Whether a shadow server answered MCP.
 *
 * @example
 * const state: ShadowState = "suspected";
 */
export type ShadowState = "suspected" | "confirmed";

/**
 * A candidate, its state and, when confirmed, how it answered the probe.
 *
 * @example
 * const s: JudgedShadow = { candidate, state: "confirmed", answer: { scheme: "https", tlsGroup: "x25519" } };
 */
export interface JudgedShadow {
  candidate: ShadowCandidate;
  state: ShadowState;
  answer?: ProbeAnswer;
}

/**
 * One entry of `status.shadowServers.servers`.
 *
 * @example
 * const e: ShadowEntry = { kind: "Pod", namespace: "shop", name: "web-0", port: 8080, state: "suspected", reason: "PortName", message: 'port "mcp" of container "web"' };
 */
export interface ShadowEntry {
  kind: "Pod" | "Service";
  namespace: string;
  name: string;
  port?: number;
  state: ShadowState;
  reason: string;
  message: string;
  /** How a confirmed one answered: `http` or `https`. */
  scheme?: ProbeAnswer["scheme"];
  /** Over TLS, the key-exchange group it negotiated. */
  tlsGroup?: string;
}

/**
 * `status.shadowServers` of a policy.
 *
 * @example
 * const s: ShadowServersStatus = { count: 0, suspected: 0, confirmed: 0, servers: [] };
 */
export interface ShadowServersStatus {
  count: number;
  suspected: number;
  confirmed: number;
  servers: ShadowEntry[];
}

/** The longest TLS group name a status entry quotes (a server chooses what it reports). */
const MAX_GROUP = 64;

const rank = (s: JudgedShadow) =>
  `${s.state === "confirmed" ? 0 : 1}\u0000${s.candidate.namespace}\u0000${s.candidate.kind}\u0000${s.candidate.name}`;

/**
 * The counts and the first {@link LISTED_SHADOWS} entries.
 *
 * @example
 * shadowStatus([]); // { count: 0, suspected: 0, confirmed: 0, servers: [] }
 */
export function shadowStatus(judged: readonly JudgedShadow[]): ShadowServersStatus {
  const confirmed = judged.filter((s) => s.state === "confirmed").length;
  const servers = [...judged]
    .sort((a, b) => (rank(a) < rank(b) ? -1 : rank(a) > rank(b) ? 1 : 0))
    .slice(0, LISTED_SHADOWS)
    .map(({ candidate: c, state, answer }) => ({
      kind: c.kind,
      namespace: c.namespace,
      name: c.name,
      ...(c.port !== undefined && { port: c.port }),
      state,
      reason: c.reason,
      message: c.message,
      ...(answer && { scheme: answer.scheme }),
      ...(answer?.tlsGroup !== undefined && { tlsGroup: answer.tlsGroup.slice(0, MAX_GROUP) }),
    }));
  return { count: judged.length, suspected: judged.length - confirmed, confirmed, servers };
}

/**
 * Suspected and confirmed counts by namespace, for the `latticeguard_shadow_mcp_servers` gauge.
 *
 * @example
 * countsByNamespace(judged).get("shop"); // { suspected: 1, confirmed: 2 }
 */
export function countsByNamespace(
  judged: readonly JudgedShadow[],
): Map<string, Record<ShadowState, number>> {
  const counts = new Map<string, Record<ShadowState, number>>();
  for (const { candidate, state } of judged) {
    const c = counts.get(candidate.namespace) ?? { suspected: 0, confirmed: 0 };
    c[state]++;
    counts.set(candidate.namespace, c);
  }
  return counts;
}

/**
 * The identity of a discovery, for recording its Event once: the object (by UID, so a new pod of the
 * same name is a new discovery) and its state (a confirmation is news of its own).
 *
 * @example
 * discoveryKey({ candidate, state: "confirmed" }); // "Pod/shop/web-0/6a1c…/confirmed"
 */
export function discoveryKey({ candidate: c, state }: JudgedShadow): string {
  return `${c.kind}/${c.namespace}/${c.name}/${c.uid}/${state}`;
}

/**
 * The Event message for a discovery.
 *
 * @example
 * discoveryMessage(judged); // 'No MCPServer covers this Pod, which looks like an MCP server: port "mcp" of container "web"'
 */
export function discoveryMessage({ candidate: c, state, answer }: JudgedShadow): string {
  const what = `No MCPServer covers this ${c.kind}, which looks like an MCP server: ${c.message}`;
  if (state !== "confirmed" || !c.target) return what;
  const over = !answer
    ? ""
    : answer.scheme === "http"
      ? " over plain HTTP"
      : ` over TLS${answer.tlsGroup ? ` (group ${answer.tlsGroup})` : ""}`;
  return `${what}; it answered MCP initialize on ${c.target.host}:${c.target.port}${over}`;
}

/**
 * Who may call an MCP server: the rules of an MCPServer's `spec.clients`, in the one form the mutating
 * webhook writes into the proxy's flags (`--allow=<rule>`), the proxy enforces on every connection, and
 * the issuer checks before it gives a client pod an identity.
 *
 * A caller is known by the SPIFFE ID of its workload certificate. `namespace` and `serviceAccount` rules
 * match workload IDs of the server's own trust domain only (`spiffe://<td>/ns/<ns>/sa/<sa>`); a
 * `spiffeId` rule matches that ID exactly. No `spec.clients`: the server's own namespace only. An empty
 * list: nobody.
 *
 * @example
 * const rules = clientRules(server); // [{ kind: "Namespace", namespace: "mcp-demo" }]
 * clientAllowed(rules, "spiffe://cluster.local/ns/mcp-demo/sa/planner", "cluster.local"); // true
 */
import type { MCPServer } from "../api/types.generated.ts";

/**
 * One rule: every workload of a namespace, one service account, or one exact SPIFFE ID.
 *
 * @example
 * const rule: ClientRule = { kind: "ServiceAccount", namespace: "agents", name: "planner" };
 */
export type ClientRule =
  | { kind: "Namespace"; namespace: string }
  | { kind: "ServiceAccount"; namespace: string; name: string }
  | { kind: "SpiffeId"; id: string };

/**
 * The rules an MCPServer's `spec.clients` says, with its default (the server's own namespace).
 *
 * @example
 * clientRules({ metadata: { namespace: "mcp" }, spec: { clients: [{ namespace: "agents" }] } });
 * // [{ kind: "Namespace", namespace: "agents" }]
 */
export function clientRules(server: Pick<MCPServer, "metadata" | "spec">): ClientRule[] {
  const own = server.metadata.namespace ?? "";
  const clients = server.spec.clients;
  if (clients === undefined) return [{ kind: "Namespace", namespace: own }];
  return clients.map((c): ClientRule => {
    if (c.spiffeId !== undefined) return { kind: "SpiffeId", id: c.spiffeId };
    if (c.serviceAccount !== undefined)
      return { kind: "ServiceAccount", namespace: c.namespace ?? own, name: c.serviceAccount };
    return { kind: "Namespace", namespace: c.namespace ?? own };
  });
}

/**
 * A rule as the proxy's `--allow` flag spells it.
 *
 * @example
 * formatClientRule({ kind: "ServiceAccount", namespace: "agents", name: "planner" }); // "serviceaccount:agents/planner"
 */
export function formatClientRule(rule: ClientRule): string {
  switch (rule.kind) {
    case "Namespace":
      return `namespace:${rule.namespace}`;
    case "ServiceAccount":
      return `serviceaccount:${rule.namespace}/${rule.name}`;
    case "SpiffeId":
      return `spiffe:${rule.id}`;
  }
}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const SPIFFE = /^spiffe:\/\/[a-z0-9._-]+\/[^?#]+$/;

/**
 * Reads an `--allow` value, or throws an Error that names `flag` and says what is wrong.
 *
 * @example
 * parseClientRule("namespace:agents"); // { kind: "Namespace", namespace: "agents" }
 * parseClientRule("agents"); // throws: `--allow` must be namespace:<ns>, serviceaccount:<ns>/<name> or spiffe:<id>
 */
export function parseClientRule(value: string, flag = "--allow"): ClientRule {
  const colon = value.indexOf(":");
  const kind = colon < 0 ? "" : value.slice(0, colon);
  const rest = value.slice(colon + 1);
  const bad = (why: string) => new RangeError(`\`${flag}\` "${value}": ${why}`);
  switch (kind) {
    case "namespace":
      if (!NAME.test(rest) || rest.length > 63)
        throw bad("the namespace must be a Kubernetes namespace name");
      return { kind: "Namespace", namespace: rest };
    case "serviceaccount": {
      const [namespace = "", name = "", extra] = rest.split("/");
      if (extra !== undefined || !NAME.test(namespace) || !SUBDOMAIN.test(name))
        throw bad("must be serviceaccount:<namespace>/<name>, both Kubernetes names");
      return { kind: "ServiceAccount", namespace, name };
    }
    case "spiffe":
      if (!SPIFFE.test(rest) || rest.length > 2048)
        throw bad("must be spiffe:spiffe://<trust-domain>/<path>");
      return { kind: "SpiffeId", id: rest };
    default:
      throw bad("must be namespace:<ns>, serviceaccount:<ns>/<name> or spiffe:<id>");
  }
}

const WORKLOAD = /^spiffe:\/\/([^/]+)\/ns\/([^/]+)\/sa\/([^/]+)$/;

/**
 * Whether a caller with `spiffeId` may call a server of `trustDomain` under `rules`.
 *
 * @example
 * clientAllowed([{ kind: "Namespace", namespace: "agents" }], "spiffe://cluster.local/ns/agents/sa/x", "cluster.local"); // true
 * clientAllowed([{ kind: "Namespace", namespace: "agents" }], "spiffe://evil/ns/agents/sa/x", "cluster.local"); // false
 */
export function clientAllowed(
  rules: readonly ClientRule[],
  spiffeId: string,
  trustDomain: string,
): boolean {
  const workload = WORKLOAD.exec(spiffeId);
  const ours = workload !== null && workload[1] === trustDomain;
  return rules.some((rule) => {
    switch (rule.kind) {
      case "SpiffeId":
        return rule.id === spiffeId;
      case "Namespace":
        return ours && workload[2] === rule.namespace;
      case "ServiceAccount":
        return ours && workload[2] === rule.namespace && workload[3] === rule.name;
    }
  });
}

/**
 * The CryptoPolicy fields of shadow MCP server discovery (operator/shadow/), kept apart from the rest
 * of the policy's schema: `spec.discovery` (whether the leader probes suspected servers) and
 * `status.shadowServers` (what it found in the namespaces the policy selects).
 *
 * @example
 * object("…", { discovery: shadowDiscovery }); // in cryptopolicy.schema.ts
 */
import { boolean, integer, object, oneOf, string, type Schema } from "./schema-kit.ts";

/** How many shadow servers a policy's status lists; the counts include the rest. */
export const LISTED_SHADOWS = 20;

/** The `appProtocol` values that mark a Service port as MCP (operator/shadow/classify.ts). */
export const MCP_APP_PROTOCOLS: readonly string[] = ["latticeguard.dev/mcp", "mcp"];

/** The paths a probe tries, in order: the SDK's conventional endpoint, then the root. */
export const PROBE_PATHS: readonly string[] = ["/mcp", "/"];

/**
 * The bounds the prober keeps unless told otherwise (operator/shadow/prober.ts; docs/api.md quotes
 * them).
 *
 * @example
 * PROBE_DEFAULTS.timeoutMs; // 3000
 */
export const PROBE_DEFAULTS = {
  concurrency: 4,
  maxQueued: 1000,
  jitterMs: 1000,
  timeoutMs: 3000,
  recheckMs: 600_000,
  maxEntries: 10_000,
} as const;

/**
 * `spec.discovery`.
 *
 * @example
 * // spec: { discovery: { probe: true } }
 */
export const shadowDiscovery: Schema = object(
  "How LatticeGuard looks for shadow MCP servers (pods and Services that look like MCP but that no " +
    "MCPServer covers) in the namespaces this policy selects.",
  {
    probe: boolean(
      "Whether the leader connects to each suspected shadow server (the pod's IP and port, plain " +
        "HTTP and TLS without verifying its certificate, TLS first when the port's name, " +
        "`appProtocol` or number says TLS; paths `/mcp` then `/`) and sends MCP `initialize`: one " +
        "that answers is `confirmed`. " +
        "Probing is on in a namespace when any policy that selects it sets this. Absent means `false`: " +
        "shadow servers are found by their ports and annotations only, and stay `suspected`.",
    ),
  },
);

const count = (description: string) => integer(description, 0, 2 ** 31 - 1);

/**
 * `status.shadowServers`.
 *
 * @example
 * // status: { shadowServers: { count: 1, suspected: 1, confirmed: 0, servers: [ … ] } }
 */
export const shadowServersStatus: Schema = object(
  "Shadow MCP servers in the namespaces this policy selects: pods and Services that look like MCP " +
    "but that no MCPServer covers (docs/api.md says exactly when). Register an MCPServer that selects " +
    "them to clear them.",
  {
    count: count("How many there are, suspected and confirmed: the `Shadow` column."),
    suspected: count(
      "Of those, the ones that look like MCP but did not answer, or were not probed.",
    ),
    confirmed: count("Of those, the ones that answered MCP `initialize` to a probe."),
    servers: {
      type: "array",
      description: `The first ${LISTED_SHADOWS}: confirmed first, then by namespace, kind and name.`,
      maxItems: LISTED_SHADOWS,
      "x-kubernetes-list-type": "atomic",
      items: object("A shadow MCP server.", {
        "kind!": oneOf("`Pod` or `Service`.", ["Pod", "Service"]),
        "namespace!": string("Its namespace.", { maxLength: 63 }),
        "name!": string("Its name."),
        port: integer("The port that looks like MCP (a Service's own port).", 1, 65535),
        "state!": oneOf("`suspected` or `confirmed`.", ["suspected", "confirmed"]),
        "reason!": oneOf(
          "Why it looks like MCP: `PortName` (a port named `mcp` or `mcp-*`), `Annotation` " +
            "(`latticeguard.dev/mcp-port`) or `AppProtocol` (a Service port's `appProtocol`).",
          ["PortName", "Annotation", "AppProtocol"],
        ),
        "message!": string("The same, for people: which port, container or annotation.", {
          maxLength: 1024,
        }),
        scheme: oneOf("For a confirmed one, how it answered: `http` (plain) or `https` (TLS).", [
          "http",
          "https",
        ]),
        tlsGroup: string(
          "For one that answered over TLS, the key-exchange group it negotiated with the probe " +
            "(IANA name, e.g. `X25519`: a classical group means its traffic is open to " +
            "harvest-now-decrypt-later).",
          { maxLength: 64 },
        ),
      }),
    },
  },
);

/**
 * The MCPServer API: one MCP server and the pods that serve it. Namespaced. LatticeGuard keeps its ML-KEM
 * keys rotated and issues identities to its pods (see DESIGN.md, "MCPServer").
 */
import { KEM_ALGORITHMS, SIGNATURE_ALGORITHMS } from "./algorithms.ts";
import type { CustomResource } from "./crd.ts";
import { ENFORCEMENT_MODES } from "./cryptopolicy.schema.ts";
import {
  boolean,
  conditions,
  integer,
  labelSelector,
  object,
  oneOf,
  string,
  timestamp,
} from "./schema-kit.ts";

/** How LatticeGuard's proxy is put in front of the server's pods (see `spec.proxy.mode`). */
export const PROXY_MODES = ["Auto", "Sidecar", "Disabled"] as const;
export type ProxyMode = (typeof PROXY_MODES)[number];

/** The MCP transports an MCPServer may speak. */
export const MCP_TRANSPORTS = ["streamable-http", "sse"] as const;
export type MCPTransport = (typeof MCP_TRANSPORTS)[number];

const keyId = (description: string) => string(description, { maxLength: 64 });

const spec = object("The MCP server and what it may narrow within its namespace's policy.", {
  "selector!": labelSelector("The pods that serve this MCP server. Must not be empty.", {
    rules: [
      {
        rule:
          "(has(self.matchLabels) && size(self.matchLabels) > 0) || " +
          "(has(self.matchExpressions) && size(self.matchExpressions) > 0)",
        message:
          "`selector` must name at least one label: an empty selector would select every pod",
      },
    ],
  }),
  // An int-or-string as controller-gen writes one. `kubectl explain` prints its type as `<Object>` all
  // the same (it names a type only from `type` or `$ref`, and a CRD may have neither here; see
  // kubernetes/kubernetes#130946), so the description says what the field takes.
  "port!": {
    description:
      "Number or name of the MCP endpoint's container port: `port: 8443`, or `port: mcp` for the " +
      "container port named `mcp`. A number must be 1 to 65535; a name, at most 15 lowercase letters, " +
      "digits and dashes. An IntOrString: an integer or a string, never an object (`kubectl explain` " +
      "shows `<Object>` for every int-or-string field of a custom resource).",
    anyOf: [{ type: "integer" }, { type: "string" }],
    "x-kubernetes-int-or-string": true,
    "x-kubernetes-validations": [
      {
        rule:
          "type(self) == int ? (self >= 1 && self <= 65535) : " +
          "self.matches('^[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$')",
        message:
          "`port` must be a port number from 1 to 65535 or a port name of at most 15 lowercase letters, digits and dashes",
      },
    ],
  },
  transport: oneOf("The MCP protocol the endpoint speaks.", MCP_TRANSPORTS, {
    default: "streamable-http",
  }),
  serviceName: string(
    "The Service that fronts the MCP server; its DNS names go into workload certificates. " +
      "Defaults to the MCPServer's own name.",
    { pattern: "^[a-z]([-a-z0-9]*[a-z0-9])?$", maxLength: 63 },
  ),
  clients: {
    type: "array",
    description:
      "Who may call this server through its LatticeGuard proxy, by the SPIFFE ID of the caller's " +
      "workload certificate. Each entry is a `spiffeId`, or a `namespace`, a `serviceAccount` (in this " +
      "MCPServer's namespace) or both (that service account in that namespace). Absent: workloads in this " +
      "MCPServer's own namespace only. Empty: nobody. Pods read it when they are created.",
    maxItems: 64,
    "x-kubernetes-list-type": "atomic",
    items: object(
      "One kind of caller.",
      {
        namespace: string("Every workload in this namespace.", {
          pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
          maxLength: 63,
        }),
        serviceAccount: string(
          "The workloads running as this service account (in `namespace`, or in this MCPServer's namespace).",
          { pattern: "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", maxLength: 253 },
        ),
        spiffeId: string(
          "Exactly this SPIFFE ID, such as `spiffe://cluster.local/ns/agents/sa/planner`.",
          { pattern: "^spiffe://[a-z0-9._-]+/[^?#]+$", maxLength: 2048 },
        ),
      },
      {
        rules: [
          {
            rule:
              "has(self.spiffeId) ? !has(self.namespace) && !has(self.serviceAccount) : " +
              "(has(self.namespace) || has(self.serviceAccount))",
            message:
              "each entry of `clients` must set `spiffeId` alone, or `namespace`, `serviceAccount` or both",
          },
        ],
      },
    ),
  },
  proxy: object(
    "LatticeGuard's proxy: a native sidecar injected into the server's pods that terminates TLS 1.3 " +
      "with post-quantum key exchange and mutual ML-DSA authentication on the MCP port, and forwards to " +
      "the server on loopback.",
    {
      mode: oneOf(
        "`Sidecar` injects the proxy into every pod this MCPServer selects; `Disabled` never does (the " +
          "server must terminate post-quantum TLS itself and declare it with the " +
          "`latticeguard.dev/transport` annotation, a claim); `Auto` injects where the namespace's " +
          "effective enforcement is `Enforce`.",
        PROXY_MODES,
        { default: "Auto" },
      ),
    },
  ),
  kem: object("Narrows the KEM within what the namespace's policy allows.", {
    algorithm: oneOf(
      "The KEM for this server's keys; must be one the policy allows. Defaults to the policy's preferred KEM.",
      KEM_ALGORITHMS,
    ),
  }),
  identity: object("Narrows the workload identity within what the namespace's policy allows.", {
    algorithm: oneOf(
      "The signature algorithm for this server's workload certificates; must be one the policy allows.",
      SIGNATURE_ALGORITHMS,
    ),
  }),
});

const kemStatus = object(
  "The server's KEM keys: full key material is in Secret `<name>-kem`, " +
    "public keys in ConfigMap `<name>-kem-public`.",
  {
    algorithm: oneOf("The KEM of the active key.", KEM_ALGORITHMS),
    activeKeyId: keyId("The key clients should encapsulate to now."),
    nextKeyId: keyId("The key published ahead of its activation."),
    retiringKeyId: keyId(
      "The previous key, kept for `gracePeriod` to decrypt what was sealed to it.",
    ),
    nextRotationTime: timestamp("When the next key becomes active."),
    lastRotationTime: timestamp("When the active key became active."),
    retiringKeyExpiryTime: timestamp("When the retiring key's private half is deleted."),
    lastLockdown: string("The value of the last `latticeguard.dev/lockdown` annotation acted on."),
  },
);

const effectivePolicy = object(
  "The policy in force for this server: every matching CryptoPolicy, merged.",
  {
    policies: {
      type: "array",
      description: "The CryptoPolicies that select this namespace.",
      maxItems: 64,
      "x-kubernetes-list-type": "atomic",
      items: { type: "string", maxLength: 253 },
    },
    enforcement: oneOf("The strongest enforcement among them.", ENFORCEMENT_MODES),
    kemAlgorithm: oneOf("The KEM this server uses.", KEM_ALGORITHMS),
    identityAlgorithm: oneOf(
      "The signature algorithm this server's identities use.",
      SIGNATURE_ALGORITHMS,
    ),
    rotationPeriod: string("The rotation period in force.", { maxLength: 32 }),
    gracePeriod: string("The grace period in force.", { maxLength: 32 }),
  },
);

/** What a handshake probe concludes about one endpoint, or about a server (`NoEndpoints`). */
export const TRANSPORT_RESULTS = [
  "Verified",
  "ClassicalGroupAccepted",
  "UntrustedCertificate",
  "ClassicalCertificate",
  "HandshakeFailed",
  "Unreachable",
  "NoEndpoints",
] as const;
export type TransportResult = (typeof TRANSPORT_RESULTS)[number];

const count = (description: string) => integer(description, 0, 2 ** 31 - 1);
const seenFields = {
  group: string("The key-exchange group negotiated (IANA name).", { maxLength: 64 }),
  tlsVersion: string("The TLS version negotiated, such as `1.3`.", { maxLength: 16 }),
  cipherSuite: string("The cipher suite negotiated, such as `TLS_AES_256_GCM_SHA384`.", {
    maxLength: 64,
  }),
  certificateAlgorithm: string(
    "The key algorithm of the certificate presented: `ML-DSA-65`, `ec`, `rsa`, … or `none`.",
    { maxLength: 32 },
  ),
  spiffeId: string("The SPIFFE ID of the certificate presented.", { maxLength: 2048 }),
};

const transportStatus = object(
  "What the leader's handshake probe saw on the wire at the server's endpoints (written by the probe " +
    "under its own field manager, `latticeguard-probe`).",
  {
    lastProbeTime: timestamp(
      "When the probe last recorded these results; rewritten when they change and at least every " +
        "six probe intervals.",
    ),
    result: oneOf(
      "The server's verdict: `Verified` when every endpoint is, else the gravest endpoint outcome.",
      TRANSPORT_RESULTS,
    ),
    message: string("What the verdict rests on, naming the endpoints that failed.", {
      maxLength: 1024,
    }),
    ...seenFields,
    probed: count("Endpoints probed (pod IPs on the MCP port)."),
    verified: count("Of those, endpoints that passed every check."),
    downgradable: count("Of those, endpoints that accepted a classical-only handshake."),
    falseClaims: count(
      "Pods claiming post-quantum transport by annotation whose endpoint failed the probe.",
    ),
    endpoints: {
      type: "array",
      description: "Up to 16 endpoints, those that failed first.",
      maxItems: 16,
      "x-kubernetes-list-type": "atomic",
      items: object("One probed endpoint.", {
        address: string("`host:port` probed.", { maxLength: 64 }),
        pod: string("The pod behind it.", { maxLength: 253 }),
        result: oneOf("What the probe concluded.", TRANSPORT_RESULTS),
        ...seenFields,
        classicalGroup: string(
          "The classical group a classical-only handshake agreed on, when one was accepted.",
          { maxLength: 64 },
        ),
        claimed: boolean("The pod claims post-quantum transport by annotation."),
      }),
    },
  },
);

const status = object("What LatticeGuard observed and did for this server.", {
  observedGeneration: integer(
    "The `metadata.generation` last acted on.",
    0,
    Number.MAX_SAFE_INTEGER,
  ),
  conditions: conditions(
    "`Ready` summarises `KeysReady` (keys exist and rotate on schedule) and `PolicyCompliant`; " +
      "`IdentityReady` says whether a pod holds an unexpired workload identity; `TransportVerified`, " +
      "what the handshake probe saw (see `transport`).",
  ),
  kem: kemStatus,
  effectivePolicy,
  identity: object(
    "Workload identities issued to this server's pods (written by the issuance API on any replica).",
    {
      algorithm: oneOf(
        "The signature algorithm of the last identity issued.",
        SIGNATURE_ALGORITHMS,
      ),
      lastIssuanceTime: timestamp("When an identity was last issued to one of the pods."),
      lastIssuedNotAfter: timestamp("When the last identity issued expires."),
    },
  ),
  transport: transportStatus,
  pods: object("The pods this server selects.", {
    selected: integer("Pods the selector matches.", 0, 2 ** 31 - 1),
    compliant: integer(
      "Of those, pods with post-quantum transport: `proxied` and `claimed` together.",
      0,
      2 ** 31 - 1,
    ),
    proxied: integer(
      "Of those, pods whose MCP port LatticeGuard's proxy sidecar serves (its image, allowed groups): checked.",
      0,
      2 ** 31 - 1,
    ),
    claimed: integer(
      "Of those, pods without the proxy whose `latticeguard.dev/transport` annotation names an allowed " +
        "group: the server claims to terminate post-quantum TLS itself, which admission cannot check.",
      0,
      2 ** 31 - 1,
    ),
  }),
});

/** The MCPServer custom resource definition. */
export const mcpServer: CustomResource = {
  kind: "MCPServer",
  plural: "mcpservers",
  singular: "mcpserver",
  shortNames: ["mcp", "mcps"],
  scope: "Namespaced",
  description:
    "MCPServer describes one Model Context Protocol server and the pods that serve it. LatticeGuard " +
    "rotates its ML-KEM keys and issues ML-DSA identities to its pods under the namespace's CryptoPolicy.",
  spec,
  status,
  printerColumns: [
    { name: "Ready", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: "Algorithm", type: "string", jsonPath: ".status.kem.algorithm" },
    { name: "Active Key", type: "string", jsonPath: ".status.kem.activeKeyId" },
    { name: "Next Rotation", type: "string", jsonPath: ".status.kem.nextRotationTime" },
    { name: "Pods", type: "integer", jsonPath: ".status.pods.selected", priority: 1 },
    { name: "Proxied", type: "integer", jsonPath: ".status.pods.proxied", priority: 1 },
    { name: "Claimed", type: "integer", jsonPath: ".status.pods.claimed", priority: 1 },
    { name: "Transport", type: "string", jsonPath: ".status.transport.result", priority: 1 },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ],
};

/**
 * The CryptoPolicy API: what cryptography is acceptable, and where. Cluster-scoped. Where several
 * policies match a namespace the strictest wins (see DESIGN.md, "CryptoPolicy").
 */
import {
  KEM_ALGORITHMS,
  KEY_EXCHANGE_GROUPS,
  SIGNATURE_ALGORITHMS,
  type KemAlgorithm,
  type KeyExchangeGroup,
  type SecurityCategory,
  type SignatureAlgorithm,
} from "./algorithms.ts";
import type { CustomResource } from "./crd.ts";
import {
  boolean,
  conditions,
  duration,
  integer,
  labelSelector,
  object,
  oneOf,
  orderedChoice,
  string,
} from "./schema-kit.ts";
import { shadowDiscovery, shadowServersStatus } from "./shadow.schema.ts";
import {
  CATEGORY_FLOORS,
  DEFAULT_SECURITY_CATEGORY,
  categoryFloorRule,
} from "./security-category.ts";

/** How a policy treats a pod that breaks it. */
export const ENFORCEMENT_MODES = ["Enforce", "Warn", "Audit"] as const;
export type EnforcementMode = (typeof ENFORCEMENT_MODES)[number];

/**
 * What a CryptoPolicy says about anything it leaves out: the schema's defaults, and the policy in force
 * where no CryptoPolicy selects a namespace.
 */
export const POLICY_DEFAULTS = {
  enforcement: "Audit",
  keyExchange: ["X25519MLKEM768", "SecP256r1MLKEM768", "SecP384r1MLKEM1024", "MLKEM1024"],
  kemAlgorithms: ["ML-KEM-768", "X-Wing", "ML-KEM-1024"],
  rotationPeriod: "168h",
  gracePeriod: "24h",
  identityAlgorithms: ["ML-DSA-65", "ML-DSA-87"],
  identityTtl: "1h",
  minimumSecurityCategory: DEFAULT_SECURITY_CATEGORY,
  allowOptOut: false,
} as const satisfies {
  enforcement: EnforcementMode;
  keyExchange: readonly KeyExchangeGroup[];
  kemAlgorithms: readonly KemAlgorithm[];
  rotationPeriod: string;
  gracePeriod: string;
  identityAlgorithms: readonly SignatureAlgorithm[];
  identityTtl: string;
  minimumSecurityCategory: SecurityCategory;
  allowOptOut: boolean;
};

const spec = object(
  "What cryptography is acceptable for MCP servers in the namespaces this policy selects.",
  {
    namespaceSelector: labelSelector(
      "The namespaces this policy applies to. Empty or absent selects every namespace.",
    ),
    enforcement: oneOf(
      "What happens to a pod that breaks this policy: `Enforce` denies it at admission, `Warn` admits it " +
        "with a warning, `Audit` admits it and records the violation. Start with `Audit` and read " +
        "`status.coverage` before switching to `Enforce`.",
      ENFORCEMENT_MODES,
      { default: POLICY_DEFAULTS.enforcement },
    ),
    transport: object(
      "Transport requirements for MCP endpoints.",
      {
        keyExchange: orderedChoice(
          "`keyExchange` lists the TLS 1.3 key-exchange groups (IANA names) an MCP endpoint may use.",
          KEY_EXCHANGE_GROUPS,
          { default: POLICY_DEFAULTS.keyExchange },
        ),
        allowOptOut: boolean(
          "Whether a pod may opt out of the injected LatticeGuard proxy with the annotation " +
            '`latticeguard.dev/inject: "false"`. Such a pod must terminate post-quantum TLS itself and ' +
            "declare it with `latticeguard.dev/transport` (a claim). Every policy of a namespace must allow it; " +
            "absent means `false`.",
        ),
      },
      { default: {} },
    ),
    kem: object(
      "Key-encapsulation keys of MCP servers, and how they rotate.",
      {
        algorithms: orderedChoice(
          "`algorithms` lists the KEMs MCP servers may use; the first is preferred for new keys.",
          KEM_ALGORITHMS,
          { default: POLICY_DEFAULTS.kemAlgorithms },
        ),
        rotationPeriod: duration(
          "How long a key stays active before the next one replaces it.",
          {
            min: "1s",
            max: "8760h",
          },
          { default: POLICY_DEFAULTS.rotationPeriod },
        ),
        gracePeriod: duration(
          "How long a replaced key's private half is kept to decrypt what was sealed to it, " +
            "then deleted. Must be shorter than `rotationPeriod`.",
          { min: "0s", max: "8760h" },
          { default: POLICY_DEFAULTS.gracePeriod },
        ),
      },
      {
        default: {},
        rules: [
          {
            // `has` guards let the schema default `{}` validate; real objects always have both.
            rule:
              "!has(self.gracePeriod) || !has(self.rotationPeriod) || " +
              "duration(self.gracePeriod) < duration(self.rotationPeriod)",
            message: "`gracePeriod` must be shorter than `rotationPeriod`",
            fieldPath: ".gracePeriod",
          },
        ],
      },
    ),
    identity: object(
      "Workload identities (X.509 certificates) issued to the pods behind MCP servers.",
      {
        algorithms: orderedChoice(
          "`algorithms` lists the signature algorithms workload identities may use; the first is preferred.",
          SIGNATURE_ALGORITHMS,
          { default: POLICY_DEFAULTS.identityAlgorithms },
        ),
        ttl: duration(
          "How long an issued identity certificate is valid.",
          {
            min: "1m",
            max: "24h",
          },
          { default: POLICY_DEFAULTS.identityTtl },
        ),
      },
      { default: {} },
    ),
    minimumSecurityCategory: integer(
      "The lowest NIST security category (1-5) an algorithm may have: ML-KEM-512 is 1, ML-DSA-44 is 2, " +
        "ML-KEM-768, X-Wing and ML-DSA-65 are 3, ML-KEM-1024 and ML-DSA-87 are 5.",
      1,
      5,
      { default: POLICY_DEFAULTS.minimumSecurityCategory },
    ),
    // Shadow MCP servers (operator/shadow/): whether the leader probes them.
    discovery: shadowDiscovery,
  },
  // Each list must name something of at least `minimumSecurityCategory`; the message names the
  // category in force and what would meet it, in the webhook's words (security-category.ts).
  { rules: CATEGORY_FLOORS.map(categoryFloorRule) },
);

const count = (description: string) => integer(description, 0, 2 ** 31 - 1);

const status = object("What LatticeGuard observed of this policy.", {
  observedGeneration: integer(
    "The `metadata.generation` last acted on.",
    0,
    Number.MAX_SAFE_INTEGER,
  ),
  conditions: conditions(
    "`Ready` says whether the policy governs any namespace it selects without conflict; " +
      "`Conflicting` names the namespaces where it and other policies together allow nothing.",
  ),
  kem: object(
    "The KEMs this policy allows on its own: `spec.kem.algorithms` without those " +
      "`minimumSecurityCategory` excludes. A namespace it shares with other policies may allow fewer " +
      "(an MCPServer's `status.effectivePolicy` says what is in force there).",
    {
      allowed: {
        type: "array",
        description: "In order of preference, the first preferred for new keys.",
        maxItems: KEM_ALGORITHMS.length,
        "x-kubernetes-list-type": "atomic",
        items: { type: "string", enum: KEM_ALGORITHMS },
      },
      summary: string(
        "`allowed` in short, for the `KEM` column of `kubectl get cryptopolicies`: the preferred KEM " +
          "and how many more follow it, such as `ML-KEM-768,+2`.",
        { maxLength: 64 },
      ),
    },
  ),
  coverage: object(
    "What the policy covers today, and how much of it complies: an impact preview.",
    {
      namespaces: count("Namespaces the policy selects."),
      mcpServers: count("MCPServers in those namespaces."),
      compliantMCPServers: count("Of those, MCPServers that comply."),
      pods: count("Pods selected by those MCPServers."),
      compliantPods: count("Of those, pods that comply."),
    },
  ),
  // Shadow MCP servers (operator/shadow/), written under a field manager of their own.
  shadowServers: shadowServersStatus,
});

/** The CryptoPolicy custom resource definition. */
export const cryptoPolicy: CustomResource = {
  kind: "CryptoPolicy",
  plural: "cryptopolicies",
  singular: "cryptopolicy",
  shortNames: ["cpol"],
  scope: "Cluster",
  description:
    "CryptoPolicy declares what cryptography is acceptable for MCP servers in the namespaces it selects. " +
    "Where several policies select a namespace, the strictest wins.",
  spec,
  status,
  printerColumns: [
    { name: "Enforcement", type: "string", jsonPath: ".spec.enforcement" },
    { name: "Ready", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    {
      name: "Conflicting",
      type: "string",
      jsonPath: '.status.conditions[?(@.type=="Conflicting")].status',
    },
    { name: "KEM", type: "string", jsonPath: ".status.kem.summary" },
    { name: "Allowed KEMs", type: "string", jsonPath: ".status.kem.allowed", priority: 1 },
    { name: "Rotation", type: "string", jsonPath: ".spec.kem.rotationPeriod" },
    { name: "Namespaces", type: "integer", jsonPath: ".status.coverage.namespaces" },
    { name: "Servers", type: "integer", jsonPath: ".status.coverage.mcpServers" },
    { name: "Compliant", type: "integer", jsonPath: ".status.coverage.compliantMCPServers" },
    // Shadow MCP servers (operator/shadow/).
    { name: "Shadow", type: "integer", jsonPath: ".status.shadowServers.count" },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ],
};

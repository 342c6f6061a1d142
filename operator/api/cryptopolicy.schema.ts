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
  timestamp,
  type CelRule,
  type Schema,
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

/** The order of strictness of the modes: a schedule only ever moves to a stricter one. */
export const MODE_RANK: Readonly<Record<EnforcementMode, number>> = {
  Audit: 0,
  Warn: 1,
  Enforce: 2,
};

/** How long before each scheduled step its `EnforcementStepApproaching` Event is recorded by default. */
export const DEFAULT_NOTICE_BEFORE = "24h";

const RANK_CEL = "{'Audit': 0, 'Warn': 1, 'Enforce': 2}";

/** The order rules between step `i` and the one before it, as the validating webhook words them too. */
function stepOrderRules(i: number): CelRule[] {
  return [
    {
      rule: `self.size() <= ${i} || self[${i}].from > self[${i - 1}].from`,
      message: `\`steps[${i}].from\` must be later than \`steps[${i - 1}].from\``,
    },
    {
      rule: `self.size() <= ${i} || ${RANK_CEL}[self[${i}].mode] > ${RANK_CEL}[self[${i - 1}].mode]`,
      message:
        `\`steps[${i}].mode\` must be stricter than \`steps[${i - 1}].mode\` ` +
        "(Audit, then Warn, then Enforce)",
    },
  ];
}

/** `spec.enforcementSchedule`: dated steps from `Audit` through `Warn` to `Enforce`. */
const enforcementSchedule: Schema = object(
  "Dated steps that tighten `enforcement` over time, such as `Audit` now, `Warn` from one date and " +
    "`Enforce` from a later one (a migration calendar in the manner of CNSA 2.0). Before the first step " +
    "`enforcement` is in force; from each step's `from` on, its `mode`. Steps are in time order and each " +
    "is stricter than the one before; a new or changed step must start in the future.",
  {
    "steps!": {
      type: "array",
      description: "The steps, earliest first.",
      minItems: 1,
      maxItems: ENFORCEMENT_MODES.length,
      "x-kubernetes-list-type": "atomic",
      items: object("One step: a mode, in force from a point in time on.", {
        "mode!": oneOf("The mode in force from `from` on.", ENFORCEMENT_MODES),
        "from!": timestamp(
          "When the step takes effect (RFC 3339, such as `2027-01-01T00:00:00Z`).",
        ),
      }),
      "x-kubernetes-validations": [1, 2].flatMap(stepOrderRules),
    },
    noticeBefore: duration(
      "How long before each step LatticeGuard records an `EnforcementStepApproaching` Event.",
      { min: "0s", max: "8760h" },
      { default: DEFAULT_NOTICE_BEFORE },
    ),
  },
);

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
    enforcementSchedule,
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
  {
    rules: [
      ...CATEGORY_FLOORS.map(categoryFloorRule),
      {
        rule:
          "!has(self.enforcementSchedule) || !has(self.enforcement) || " +
          `${RANK_CEL}[self.enforcementSchedule.steps[0].mode] >= ${RANK_CEL}[self.enforcement]`,
        message: "`enforcementSchedule.steps[0].mode` must not be weaker than `enforcement`",
        fieldPath: ".enforcementSchedule.steps",
      },
    ],
  },
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
  enforcement: object(
    "Where the policy stands on its enforcement schedule (`spec.enforcementSchedule`), on its own: a " +
      "namespace it shares with stricter policies may be under a stricter mode.",
    {
      current: object("The step in force.", {
        mode: oneOf("Its mode.", ENFORCEMENT_MODES),
        from: timestamp("When it took effect; absent for `spec.enforcement` before any step."),
      }),
      next: object("The next step, absent when none is left.", {
        mode: oneOf("Its mode.", ENFORCEMENT_MODES),
        from: timestamp("When it takes effect."),
        noticeTime: timestamp("When its `EnforcementStepApproaching` Event is due."),
      }),
      noticeGivenFor: timestamp(
        "The `from` of the last step whose `EnforcementStepApproaching` Event was recorded, so that the " +
          "notice is given once, across restarts and replicas.",
      ),
      denyPreview: object(
        "What `Enforce` would do today: pods in the namespaces this policy selects that the admission " +
          "webhook would deny, under each namespace's effective policy.",
        { pods: count("Pods that would be denied.") },
      ),
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
    { name: "Enforcement", type: "string", jsonPath: ".status.enforcement.current.mode" },
    { name: "Next Step", type: "string", jsonPath: ".status.enforcement.next.mode", priority: 1 },
    { name: "Next Step At", type: "date", jsonPath: ".status.enforcement.next.from", priority: 1 },
    {
      name: "Would Deny",
      type: "integer",
      jsonPath: ".status.enforcement.denyPreview.pods",
      priority: 1,
    },
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

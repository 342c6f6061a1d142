/**
 * The hand-written half of `docs/api.md`: what the schemas cannot say (the effective policy, conditions
 * and their reasons, the objects an MCPServer owns, rotation, annotations, algorithms). Names come from
 * the code where the code has them (annotations, algorithms, security categories), so a renamed constant
 * changes the reference with it; `hack/api-docs.test.ts` checks the condition reasons against the
 * controllers' own condition functions.
 *
 * @example
 * [INTRO, annotationsSection(), algorithmsSection()].join("\n\n");
 */
import {
  KEM_ALGORITHMS,
  KEY_EXCHANGE_GROUPS,
  SECURITY_CATEGORY,
  SIGNATURE_ALGORITHMS,
} from "../operator/api/algorithms.ts";
import {
  INJECTED_ANNOTATION,
  INJECT_ANNOTATION,
  LOCKDOWN_ANNOTATION,
  LOCKDOWN_HANDLED_ANNOTATION,
  MCP_PORT_ANNOTATION,
  PROXIED_LABEL,
  TRANSPORT_ANNOTATION,
} from "../operator/api/annotations.ts";
import { code, markdownTable } from "./markdown.ts";
import { SHADOW_COLUMNS, SHADOW_SECTIONS } from "./shadow-docs-prose.ts";

/**
 * Hand-written text around one kind's generated tables: an introduction, what each printer column means
 * (by column name), the conditions, further sections, and the file in `config/samples/` shown as its
 * example.
 *
 * @example
 * const prose: KindProse = { intro: "…", columns: { Age: "…" }, conditions: markdownTable(…), sections: [], sample: "mcpserver.yaml" };
 */
export interface KindProse {
  intro: string;
  columns: Record<string, string>;
  conditions: string;
  sections: string[];
  sample: string;
}

const AGE = "How long ago the object was created (`metadata.creationTimestamp`).";

/**
 * What the CryptoPolicy section says besides its fields.
 *
 * @example
 * kindSection(cryptoPolicy, CRYPTO_POLICY_PROSE);
 */
export const CRYPTO_POLICY_PROSE: KindProse = {
  intro:
    "A namespace's **effective policy** merges every CryptoPolicy whose `namespaceSelector` selects it, " +
    "and the strictest wins: allowed key-exchange groups and algorithms are intersected (in the preference " +
    "order of the first policy by name) and filtered by the highest `minimumSecurityCategory`; " +
    "`rotationPeriod`, `gracePeriod` and `ttl` take the shortest value; `enforcement` the strongest mode " +
    "(`Enforce` over `Warn` over `Audit`). Where no CryptoPolicy selects a namespace, the defaults below " +
    "apply in `Audit` mode. An empty intersection is a **conflict**: it is reported on the policies " +
    "involved (`Conflicting=True`, naming the namespace) and on the MCPServers of that namespace " +
    "(`PolicyCompliant=False`, reason `PolicyConflict`), and admission treats the namespace as " +
    "violating its policy.",
  columns: {
    Enforcement:
      "What happens now to a pod that breaks the policy: `Enforce` denies it, `Warn` admits it with a " +
      "warning, `Audit` admits it and records it. The mode in force (`status.enforcement.current.mode`): " +
      "`spec.enforcement`, or the latest step of `spec.enforcementSchedule` whose `from` has passed. " +
      "The policy's own; a namespace it shares with a stricter policy may be under a stricter one.",
    "Next Step":
      "The mode of the next step of `spec.enforcementSchedule`; empty when none is left.",
    "Next Step At": "When the next step takes effect.",
    "Would Deny":
      "How many pods in the namespaces the policy selects the admission webhook would deny under " +
      "`Enforce` today (`status.enforcement.denyPreview.pods`).",
    Ready:
      "The `Ready` condition: `True` while the policy governs at least one namespace it selects " +
      "without conflict (or selects none); `False` when every namespace it selects is in conflict.",
    Conflicting:
      "The `Conflicting` condition: `True` when, in some namespace, this policy and others together " +
      "allow nothing for a list; `kubectl describe` shows which namespaces.",
    KEM:
      "The KEM the policy prefers and how many more it allows: `ML-KEM-768,+2` is ML-KEM-768 first, " +
      "then two others. KEMs below its `minimumSecurityCategory` are not counted. Empty until the " +
      "operator has reconciled the policy.",
    "Allowed KEMs":
      "Every KEM the policy allows, in order of preference, as a JSON list " +
      '(`["ML-KEM-768","ML-KEM-1024","X-Wing"]`).',
    Rotation: "`spec.kem.rotationPeriod`: how long a key stays active before the next replaces it.",
    Namespaces: "How many namespaces the policy selects.",
    Servers: "How many MCPServers those namespaces hold.",
    Compliant: "How many of those MCPServers comply with their effective policy.",
    ...SHADOW_COLUMNS,
    Age: AGE,
  },
  conditions:
    markdownTable(
      ["Type", "Status", "Reason", "Meaning"],
      [
        [
          "`Ready`",
          "True",
          "`InForce`",
          "The policy governs at least one namespace it selects without conflict, or selects none. " +
            "The message says in how many of the namespaces it selects; conflicts elsewhere are " +
            "reported by `Conflicting` and do not make the policy unready.",
        ],
        [
          "`Ready`",
          "False",
          "`PolicyConflict`",
          "Every namespace the policy selects is in conflict: with other policies it allows nothing " +
            "there for some list.",
        ],
        ["`Conflicting`", "False", "`NoConflict`", "No namespace's policies conflict."],
        [
          "`Conflicting`",
          "True",
          "`EmptyIntersection`",
          "The message names up to five namespaces, the policies involved and the empty lists " +
            "(`spec.transport.keyExchange`, `spec.kem.algorithms`, `spec.identity.algorithms`). A " +
            "`PolicyConflict` Warning Event is recorded when the condition turns True.",
        ],
      ],
    ) +
    "\n\n`Ready` reports the policy's own health, as cert-manager's Issuers and Kyverno's policies " +
    "do: a policy that is valid and governs some namespace stays Ready when it takes part in a " +
    "conflict in another. A cluster-wide `baseline` that one team's policy conflicts with in the " +
    "team's namespace stays `Ready=True` with `Conflicting=True` naming that namespace; the team's " +
    "policy, in conflict everywhere it applies, is `Ready=False`; the MCPServers in the team's " +
    "namespace report `PolicyCompliant=False` with reason `PolicyConflict`.",
  sections: [
    "### Coverage",
    "`status.coverage` is an impact preview: before switching a policy to `Enforce`, compare " +
      "`mcpServers` with `compliantMCPServers` and `pods` with `compliantPods` (the `Servers` and " +
      "`Compliant` columns of `kubectl get cryptopolicies`). A server complies when its spec asks for " +
      "nothing the effective policy forbids; a pod complies when it has post-quantum transport: " +
      "LatticeGuard's proxy sidecar, or a `latticeguard.dev/transport` annotation naming an allowed " +
      "group (a claim).",
    "### Enforcement schedule",
    "`spec.enforcementSchedule` gives a policy a calendar: `spec.enforcement` is in force until the " +
      "first step's `from`, then each step's `mode` from its `from` on (inclusive). Every webhook " +
      "replica computes the step in force from spec and its own clock at each review, never from " +
      "status, so a step takes effect on time on every replica, leader or not.",
    "**Validation.** The CRD's rules refuse unknown modes, more than three steps, steps out of time " +
      "order or at the same time, a step not stricter than the one before (`Audit`, then `Warn`, then " +
      "`Enforce`), and a first step weaker than `spec.enforcement`. The validating webhook repeats " +
      "these with the field named by index (`spec.enforcementSchedule.steps[1].from`) and adds what " +
      "needs a clock: on create every step, and on update every **new or changed** step, must start " +
      "after the time of the review (a few seconds ahead is fine). A step equal to one of the stored " +
      "object's (same mode, same instant) may lie in the past, so an old policy whose calendar has run " +
      "can still be updated; a passed step can be kept or removed, never moved or added in the past.",
    "**Several policies.** The strictest wins at every instant: a namespace is in the strongest mode " +
      "any of its policies is in at that time. A namespace shared by an `Enforce` policy and a " +
      "scheduled one is under `Enforce` whatever the schedule says. The webhook, and the proxy injection " +
      "of MCPServers with `spec.proxy.mode: Auto`, use this merged mode at the time of each review.",
    "**Status and Events.** The leader reports `status.enforcement.current` and `next` (with " +
      "`noticeTime`, `from` minus `noticeBefore`, default 24h) and `denyPreview.pods`, the pods that " +
      "the webhook's own pod rule would deny under `Enforce` today in the namespaces the policy " +
      "selects (pods of `kube-system` and LatticeGuard's namespace, which the webhook is not called " +
      "for, are counted too). At each notice time it records one `EnforcementStepApproaching` Event, " +
      "and when a step takes effect one `EnforcementStepChanged` Event (a Warning for `Enforce`); " +
      "`status.enforcement.noticeGivenFor` and `current.from` record what was announced, so restarts " +
      "and failovers do not repeat them. The reconcile is requeued for the next notice or step.",
    ...SHADOW_SECTIONS,
  ],
  sample: "cryptopolicy.yaml",
};

/**
 * What the MCPServer section says besides its fields.
 *
 * @example
 * kindSection(mcpServer, MCP_SERVER_PROSE);
 */
export const MCP_SERVER_PROSE: KindProse = {
  columns: {
    Ready:
      "The `Ready` condition: `True` while keys rotate on schedule under a satisfied policy " +
      "(`KeysReady` and `PolicyCompliant`).",
    Algorithm: "The KEM of the active key.",
    "Active Key": "The id of the key clients should encapsulate to now.",
    "Next Rotation": "When the next key becomes active.",
    Pods: "How many pods the selector matches.",
    Proxied:
      "Of those, pods whose post-quantum transport is LatticeGuard's injected proxy sidecar.",
    Claimed:
      "Of those, pods whose post-quantum transport is a claim: a `latticeguard.dev/transport` annotation " +
      "naming an allowed group, on a server that terminates TLS itself.",
    Transport:
      "What the leader's handshake probe concluded (`status.transport.result`): `Verified`, or why not.",
    Age: AGE,
  },
  intro:
    "LatticeGuard owns two objects per MCPServer, in its namespace, deleted with it (owner references):\n\n" +
    markdownTable(
      ["Object", "Holds"],
      [
        [
          "Secret `<name>-kem`",
          "The keyring: `keyring.json` (key ids, algorithms, states, times) and one entry per key with " +
            "its private seed (active, next and retiring keys).",
        ],
        [
          "ConfigMap `<name>-kem-public`",
          "`keys.json`: each public key with its key id (`mlkem768-` and 16 hex digits of SHA3-256 of " +
            "the key, for example), algorithm, HPKE KEM id, state, `notBefore` and `notAfter`.",
        ],
      ],
    ) +
    "\n\nThe trust bundle ConfigMap (`latticeguard-trust-bundle` by default, key `bundle.pem`) is copied " +
    "into every namespace that has an MCPServer or a client pod (`latticeguard.dev/connect`).",
  conditions:
    markdownTable(
      ["Type", "Status", "Reason", "Meaning"],
      [
        ["`Ready`", "True", "`Ready`", "Keys are rotating under a satisfied policy."],
        [
          "`Ready`",
          "False",
          "`NoActiveKey`, `RekeyPending`, `KEMAlgorithmNotAllowed`, `IdentityAlgorithmNotAllowed`, " +
            "`PolicyConflict`",
          "The reason and message of the first of `KeysReady` and `PolicyCompliant` that is not True.",
        ],
        ["`KeysReady`", "True", "`KeysRotating`", "The active key rotates on schedule."],
        [
          "`KeysReady`",
          "False",
          "`NoActiveKey`",
          "No active KEM key yet (the server was just created).",
        ],
        [
          "`KeysReady`",
          "False",
          "`RekeyPending`",
          "The policy no longer allows the active key's algorithm; the replacement waits for the " +
            "cluster-wide re-key rate limit (`--rekey-rate`, `--rekey-burst`).",
        ],
        [
          "`PolicyCompliant`",
          "True",
          "`Compliant`",
          "The server's cryptography is allowed by its policy.",
        ],
        [
          "`PolicyCompliant`",
          "False",
          "`KEMAlgorithmNotAllowed`",
          "`spec.kem.algorithm` is not allowed by the effective policy; the policy's preferred KEM is used.",
        ],
        [
          "`PolicyCompliant`",
          "False",
          "`IdentityAlgorithmNotAllowed`",
          "`spec.identity.algorithm` is not allowed by the effective policy.",
        ],
        [
          "`PolicyCompliant`",
          "False",
          "`PolicyConflict`",
          "The CryptoPolicies that select the namespace allow nothing together; keys keep rotating on " +
            "their current algorithm.",
        ],
        [
          "`PolicyCompliant`",
          "False",
          "`FalseTransportClaim`",
          "Under `Enforce` only: a pod claims post-quantum transport with `latticeguard.dev/transport`, " +
            "and the handshake probe found its endpoint failing (`status.transport.falseClaims`).",
        ],
        [
          "`TransportVerified`",
          "True",
          "`PostQuantumVerified`",
          "Every endpoint negotiated a post-quantum group, presented an ML-DSA certificate that chains to " +
            "the trust bundle, and refused a classical-only handshake.",
        ],
        [
          "`TransportVerified`",
          "False",
          "`ClassicalGroupAccepted`, `UntrustedCertificate`, `ClassicalCertificate`, `HandshakeFailed`, " +
            "`Unreachable`, `NoEndpoints`",
          "The gravest outcome among the endpoints (in that order); the message names the endpoints " +
            "that failed, and the pods among them that claimed post-quantum transport.",
        ],
        [
          "`IdentityReady`",
          "True",
          "`IdentityIssued`",
          "A pod holds an unexpired workload identity (from `status.identity.lastIssuedNotAfter`).",
        ],
        [
          "`IdentityReady`",
          "False",
          "`NoIdentityIssued`",
          "No pod has been issued an identity yet.",
        ],
        [
          "`IdentityReady`",
          "False",
          "`IdentityExpired`",
          "The last identity issued has expired: check that the pods' agent runs.",
        ],
      ],
    ) +
    "\n\n`IdentityReady` is informational: it does not count towards `Ready`, since a server may have no " +
    "pods yet. `TransportVerified` appears once the handshake probe has run; it does not count towards " +
    "`Ready` either, except through `PolicyCompliant` for false claims under `Enforce`.",
  sections: [
    "### The proxy sidecar",
    "With `spec.proxy.mode: Sidecar`, or `Auto` (the default) where the namespace's effective " +
      "enforcement is `Enforce`, the mutating webhook injects LatticeGuard's proxy (`latticeguard-proxy`, " +
      "a native sidecar) into every new pod this MCPServer selects: TLS 1.3 with only the groups the " +
      "policy allows on the pod IP and `spec.port`, mutual ML-DSA authentication, only the callers of " +
      "`spec.clients`, forwarding to the server on `127.0.0.1` (which it must bind). `status.pods` counts " +
      "the pods `proxied` this way apart from those that only `claimed` their transport with the " +
      "`latticeguard.dev/transport` annotation; `kubectl get mcpservers -o wide` shows both.",
    "### Handshake probe",
    "The leader probes every endpoint of every MCPServer (each selected pod's `status.podIP` on " +
      "`spec.port`, which is the proxy's port when the proxy is injected) every `--probe-interval` " +
      "(default 5m, jittered by up to a tenth), `--probe-concurrency` handshakes at once (default 8), each " +
      "abandoned after `--probe-timeout` (default 5s). Each endpoint gets two TLS handshakes without a " +
      "client certificate (in TLS 1.3 the group and the server's certificate are known before a server " +
      "that requires mutual TLS refuses the client): one offering every post-quantum group, which records " +
      "the group, TLS version, cipher suite, certificate algorithm, SPIFFE ID and whether the chain " +
      "leads to the trust bundle; and one offering only X25519 and P-256, which a post-quantum-only " +
      "server must refuse. Results go to `status.transport` (under the field manager " +
      "`latticeguard-probe`, written when they change and at least every six intervals), the " +
      "`TransportVerified` condition, the `TransportVerified`, `TransportDowngradable` and " +
      "`TransportUnverified` Events (on each change of result), the `latticeguard_transport_*` metrics " +
      "and the CBOM. `--probe-interval=off` turns the probe off (chart value `probe.interval`).",
    "### Key rotation",
    "The next key is generated and published (`status.kem.nextKeyId`) when the previous key's " +
      "`gracePeriod` ends, in the same write that deletes that key, or halfway through the active " +
      "key's `rotationPeriod` if that is sooner; at the end of the period it becomes active and the " +
      "old key retires (`status.kem.retiringKeyId`); the retired key's private half is kept for " +
      "`gracePeriod`, then deleted. A server's first key (and one that replaces a lost active key) is " +
      "active for a shorter first period: between half and all of `rotationPeriod`, a point fixed by " +
      "a hash of the MCPServer's UID and stored with the key, so servers created together rotate " +
      "spread over half a period rather than all at once; `status.kem.nextRotationTime` shows it. No " +
      "period is ever longer than `rotationPeriod`, and every key after the first is active for all " +
      "of it. A key whose algorithm the policy no longer allows is replaced at once, limited " +
      "cluster-wide by `--rekey-rate`/`--rekey-burst`. A new value of the `latticeguard.dev/lockdown` " +
      "annotation replaces the active key at once and deletes every other key, with no grace period.",
  ],
  sample: "mcpserver.yaml",
};

/**
 * The annotations that are part of the API, from `operator/api/annotations.ts`.
 *
 * @example
 * annotationsSection().startsWith("## Annotations"); // true
 */
export function annotationsSection(): string {
  return [
    "## Annotations",
    markdownTable(
      ["Annotation", "On", "Meaning"],
      [
        [
          code(TRANSPORT_ANNOTATION),
          "Pod (or pod template)",
          "A claim: the TLS 1.3 key-exchange group the pod's MCP endpoint uses, by IANA name, for servers " +
            "that terminate post-quantum TLS themselves. The pod has post-quantum transport when an " +
            "MCPServer covers it and its namespace's effective policy allows this group; admission cannot " +
            "check it, so it is counted apart (`status.pods.claimed`). A pod with LatticeGuard's proxy " +
            "needs none.",
        ],
        [
          code(INJECT_ANNOTATION),
          "Pod (or pod template)",
          '`"false"` opts the pod out of LatticeGuard\'s proxy sidecar; honoured only where every ' +
            "CryptoPolicy of the namespace sets `spec.transport.allowOptOut: true` (otherwise ignored, " +
            "with a warning). The pod must then claim its transport with `latticeguard.dev/transport`.",
        ],
        [
          code(INJECTED_ANNOTATION),
          "Pod",
          "Written by the mutating webhook: the MCPServer whose proxy (`latticeguard-proxy`) it injected.",
        ],
        [
          code(PROXIED_LABEL),
          "Pod (a label)",
          'Written by the mutating webhook with `latticeguard.dev/injected`, always `"true"`: a label, so ' +
            "that a PodMonitor can select the pods whose proxy serves metrics on port `lgproxy-metrics` " +
            "(15090); the chart's `podMonitor.enabled` creates one.",
        ],
        [
          code(MCP_PORT_ANNOTATION),
          "Pod (or pod template)",
          "Marks the pod as exposing an MCP endpoint on this port (name or number), besides pods an " +
            "MCPServer selects and containers with a port named `mcp` or `mcp-*`.",
        ],
        [
          code(LOCKDOWN_ANNOTATION),
          "MCPServer",
          "Any new value replaces the active KEM key at once and deletes every other key, with no grace " +
            "period. Use a fresh value each time: " +
            "`kubectl annotate mcpserver <name> latticeguard.dev/lockdown=$(date +%s) --overwrite`.",
        ],
        [
          code(LOCKDOWN_HANDLED_ANNOTATION),
          "Secret `<name>-kem`",
          "Written by LatticeGuard: the lockdown value already acted on, so a restart never repeats a " +
            "lockdown. Do not edit.",
        ],
      ],
    ),
  ].join("\n\n");
}

/**
 * Every algorithm and key-exchange group with its NIST category, from `operator/api/algorithms.ts`.
 *
 * @example
 * algorithmsSection().includes("| `ML-KEM-768`"); // true
 */
export function algorithmsSection(): string {
  const row = (kind: string) => (name: string) => [
    code(name),
    kind,
    String(SECURITY_CATEGORY[name as keyof typeof SECURITY_CATEGORY]),
  ];
  return [
    "## Algorithms",
    "Algorithms go by the standards' own names and TLS groups by their IANA names. " +
      "`minimumSecurityCategory` compares against the NIST category each claims (a hybrid counts its " +
      "post-quantum part):",
    markdownTable(
      ["Name", "Used for", "NIST category"],
      [
        ...KEM_ALGORITHMS.map(
          row("KEM (`spec.kem`): FIPS 203 ML-KEM; X-Wing is ML-KEM-768 + X25519"),
        ),
        ...SIGNATURE_ALGORITHMS.map(row("workload identities (`spec.identity`): FIPS 204 ML-DSA")),
        ...KEY_EXCHANGE_GROUPS.map(row("TLS 1.3 key exchange (`spec.transport.keyExchange`)")),
      ],
    ),
  ].join("\n\n");
}

/**
 * The reference's title, banner and introduction.
 *
 * @example
 * INTRO.startsWith("# API reference"); // true
 */
export const INTRO = [
  "# API reference",
  "<!-- Generated by hack/api-docs.ts from operator/api/*.schema.ts. Do not edit; run `make generate`. -->",
  `LatticeGuard's API is the group \`latticeguard.dev\`, version \`v1alpha1\`, with two kinds: ` +
    "**CryptoPolicy** (cluster-scoped) declares what cryptography is acceptable, and where; **MCPServer** " +
    "(namespaced) describes one MCP server and the pods that serve it. Both are in the `latticeguard` " +
    "category (`kubectl get latticeguard -A` lists every LatticeGuard object), and `kubectl explain` " +
    "prints every field's description (`kubectl explain cryptopolicy.spec.kem`).",
  "See also [operations](operations.md), [metrics, Events and alerts](metrics.md) and the " +
    "[security model](security-model.md).",
  "- [CryptoPolicy](#cryptopolicy)\n- [MCPServer](#mcpserver)\n- [Annotations](#annotations)\n" +
    "- [Algorithms](#algorithms)",
].join("\n\n");

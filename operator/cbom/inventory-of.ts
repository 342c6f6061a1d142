/**
 * From what was read to what is reported: {@link inventoryOf} turns a {@link ClusterSnapshot} (the
 * objects as the API server returned them, already stripped to what the CBOM reads) into a
 * {@link CbomInventory}. Each namespace's effective policy is resolved as the operator and the webhook
 * resolve it (strictest wins; the CRD defaults, in `Audit`, where no policy selects it). Anything
 * unreadable is left out and said in `gaps`, never guessed. Pure.
 *
 * @example
 * const inventory = inventoryOf(await readCluster(kc, scope));
 */
import type { CryptoPolicy, MCPServer } from "../api/types.generated.ts";
import { POLICY_DEFAULTS } from "../api/cryptopolicy.schema.ts";
import { inForceAt, resolvePolicy, type EffectivePolicy } from "../policy/merge.ts";
import { modeAt, scheduleSteps } from "../policy/schedule.ts";
import { selects } from "../policy/selector.ts";
import { describeCertificates } from "./certificates.ts";
import { postQuantumGroups, transportOf, type PodRecord } from "./findings.ts";
import type {
  CbomInventory,
  IdentityRecord,
  ObservedTransport,
  PolicyTransport,
  ServedTransport,
  ServerAsset,
  WebhookCertificates,
} from "./inventory.ts";
import { kemKeysOf } from "./kem-keys.ts";

/**
 * The policy entry standing for the CRD defaults, where no CryptoPolicy selects a namespace.
 *
 * @example
 * inventory.policies.some((p) => p.name === DEFAULTS_POLICY_NAME);
 */
export const DEFAULTS_POLICY_NAME = "(defaults)";

/**
 * The webhook's certificates as read: PEM texts (certificates only) and where they came from.
 *
 * @example
 * const webhook: WebhookPems = { source: "Secret latticeguard-system/latticeguard-webhook-tls", serving: tlsCrt, cas: [caCrt] };
 */
export interface WebhookPems {
  source: string;
  serving?: string;
  cas: string[];
}

/**
 * What was read from the cluster, already reduced to what the CBOM needs.
 *
 * @example
 * const snapshot: ClusterSnapshot = { source: "latticeguard cbom", servers, policies, namespaceLabels,
 *   pods, publicKeys, served: LATTICEGUARD_TRANSPORT, observedTransport: [], gaps: [] };
 */
export interface ClusterSnapshot {
  source: string;
  /** The namespaces read; undefined: every namespace. */
  namespaces?: string[];
  servers: MCPServer[];
  policies: CryptoPolicy[];
  /** Each namespace's labels, by name (what policies select on). */
  namespaceLabels: Record<string, Record<string, string> | undefined>;
  pods: PodRecord[];
  /** Each `<name>-kem-public` ConfigMap's `keys.json` text, by `namespace/name` of the ConfigMap. */
  publicKeys: Record<string, string | undefined>;
  /** The source trust bundle (`bundle.pem`), and where it was read; undefined when it was not. */
  trustBundle?: { source: string; pem: string };
  webhook?: WebhookPems;
  served: ServedTransport[];
  observedTransport: ObservedTransport[];
  gaps: string[];
}

const key = (o: { metadata?: { namespace?: string; name?: string } }) =>
  `${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`;

function webhookOf(pems: WebhookPems, gaps: string[]): WebhookCertificates {
  const serving = pems.serving
    ? describeCertificates(pems.serving, `${pems.source} tls.crt`)
    : undefined;
  const cas = pems.cas.map((pem, i) => describeCertificates(pem, `${pems.source} CA ${i}`));
  gaps.push(...(serving?.problems ?? []), ...cas.flatMap((c) => c.problems));
  const seen = new Set<string>();
  return {
    source: pems.source,
    ...(serving?.certificates[0] && { serving: serving.certificates[0] }),
    cas: cas
      .flatMap((c) => c.certificates)
      .filter((c) => !seen.has(c.sha256) && seen.add(c.sha256)),
  };
}

/** A policy's own mode at `at`: `spec.enforcement`, or the dated step in force. */
function modeInForce(policy: CryptoPolicy, at: number) {
  const base = policy.spec?.enforcement ?? POLICY_DEFAULTS.enforcement;
  try {
    return modeAt(
      { base, steps: scheduleSteps(policy.spec ?? {}, "spec.enforcementSchedule") },
      at,
    );
  } catch {
    return base; // the validating webhook refuses such a schedule; its policy status says why
  }
}

function policiesOf(
  policies: readonly CryptoPolicy[],
  defaultsUsed: boolean,
  at: number,
): PolicyTransport[] {
  const declared = [...policies]
    .sort((a, b) => (a.metadata.name ?? "").localeCompare(b.metadata.name ?? ""))
    .map((p) => ({
      name: p.metadata.name ?? "",
      enforcement: modeInForce(p, at),
      keyExchange: [...(p.spec?.transport?.keyExchange ?? POLICY_DEFAULTS.keyExchange)],
    }));
  if (!defaultsUsed) return declared;
  const defaults = {
    name: DEFAULTS_POLICY_NAME,
    enforcement: POLICY_DEFAULTS.enforcement,
    keyExchange: [...POLICY_DEFAULTS.keyExchange],
  };
  return [...declared, defaults];
}

/** `server` with its pods (`podsInNamespace`: the pods of its namespace). */
function serverOf(
  server: MCPServer,
  policy: EffectivePolicy,
  podsInNamespace: readonly PodRecord[],
  claims: Record<string, number> | undefined,
): ServerAsset {
  const namespace = server.metadata.namespace ?? "";
  const selected = podsInNamespace.filter((p) =>
    selects(server.spec?.selector, p.metadata?.labels),
  );
  const kemAlgorithm = server.status?.kem?.algorithm;
  return {
    namespace,
    name: server.metadata.name ?? "",
    transport: server.spec?.transport ?? "streamable-http",
    policies: policy.policies,
    enforcement: policy.enforcement,
    ...(kemAlgorithm && { kemAlgorithm }),
    selectedPods: selected.length,
    compliantPods: selected.filter((p) => postQuantumGroups(p, policy).length > 0).length,
    claimedGroups: claims ?? {},
  };
}

function identityOf(server: MCPServer): IdentityRecord[] {
  const identity = server.status?.identity;
  if (!identity?.lastIssuanceTime && !identity?.lastIssuedNotAfter) return [];
  const { algorithm, lastIssuanceTime, lastIssuedNotAfter } = identity;
  return [
    {
      namespace: server.metadata.namespace ?? "",
      mcpserver: server.metadata.name ?? "",
      ...(algorithm && { algorithm }),
      ...(lastIssuanceTime && { lastIssuanceTime }),
      ...(lastIssuedNotAfter && { lastIssuedNotAfter }),
    },
  ];
}

/**
 * The inventory of `snapshot` (see the module notes), with the enforcement in force at `at` (epoch
 * milliseconds): a policy's dated steps may have tightened it.
 *
 * @example
 * inventoryOf({ ...snapshot, servers: [] }, Date.now()).kemKeys; // []
 */
export function inventoryOf(snapshot: ClusterSnapshot, at: number): CbomInventory {
  const gaps = [...snapshot.gaps];
  const byKey = (a: MCPServer, b: MCPServer) => key(a).localeCompare(key(b));
  const servers = [...snapshot.servers].sort(byKey);
  const resolved = new Map<string, EffectivePolicy>();
  let defaultsUsed = false;
  const resolve = (namespace: string) => {
    let policy = resolved.get(namespace);
    if (!policy) {
      policy = inForceAt(
        resolvePolicy(snapshot.policies, snapshot.namespaceLabels[namespace]),
        at,
      ).policy;
      defaultsUsed ||= policy.policies.length === 0;
      resolved.set(namespace, policy);
    }
    return policy;
  };
  const { findings, claims } = transportOf(snapshot.pods, servers, resolve);
  const kemKeys = servers.flatMap((s) => {
    const { keys, problems } = kemKeysOf(s, snapshot.publicKeys[`${key(s)}-kem-public`]);
    gaps.push(...problems);
    return keys;
  });
  const bundle = snapshot.trustBundle
    ? describeCertificates(snapshot.trustBundle.pem, snapshot.trustBundle.source)
    : { certificates: [], problems: [] };
  gaps.push(...bundle.problems);
  const signer = bundle.certificates[0]?.uris.find((u) => u.startsWith("spiffe://"));
  const podsByNamespace = new Map<string, PodRecord[]>();
  for (const pod of snapshot.pods) {
    const ns = pod.metadata?.namespace ?? "";
    const list = podsByNamespace.get(ns);
    if (list) list.push(pod);
    else podsByNamespace.set(ns, [pod]);
  }
  const assets = servers.map((s) => {
    const ns = s.metadata.namespace ?? "";
    return serverOf(s, resolve(ns), podsByNamespace.get(ns) ?? [], claims.get(key(s)));
  });
  return {
    source: snapshot.source,
    ...(signer && { trustDomain: signer.slice("spiffe://".length) }),
    ...(snapshot.namespaces && { namespaces: snapshot.namespaces }),
    kemKeys,
    trustAnchors: bundle.certificates.map((certificate, position) => ({ certificate, position })),
    identities: servers.flatMap(identityOf),
    ...(snapshot.webhook && { webhook: webhookOf(snapshot.webhook, gaps) }),
    policies: policiesOf(snapshot.policies, defaultsUsed, at),
    served: snapshot.served,
    servers: assets,
    findings,
    observedTransport: snapshot.observedTransport,
    gaps,
  };
}

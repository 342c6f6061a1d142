/**
 * The runtime CBOM: a CycloneDX 1.6 BOM of the cluster's cryptographic assets, built from a
 * {@link CbomInventory} by one pure function. What it holds (docs/operations.md, "Reading the CBOM"):
 *
 * - `algorithm` assets, one per algorithm anything below uses or allows, with primitive, parameter set,
 *   functions, NIST quantum security level and OID where one is assigned (algorithms.ts);
 * - `related-crypto-material` assets, one per MCPServer KEM key: its id, algorithm, state (`next` is
 *   `pre-activation`, `active` is `active`, `retiring` is `deactivated`: it may still decrypt), activation
 *   and expiry, size; never the key;
 * - `certificate` assets: the trust anchors (the first in the bundle signs), the webhook's serving
 *   certificate and CAs, and per MCPServer the last workload identity issued (only what `status.identity`
 *   records: the certificates themselves stay in the pods);
 * - `protocol` assets: TLS 1.3 with the groups each CryptoPolicy allows (`evidence` `policy`), the groups
 *   LatticeGuard's own endpoints offer (`configuration`), the groups MCPServers' pods claim by annotation
 *   (`claim`), what a handshake probe observed (`observed`; none until probes exist), and one finding per
 *   MCP pod without the post-quantum transport its policy asks for (`latticeguard:finding`);
 * - a service per MCPServer, depending on its keys, identity, claimed transport and findings.
 *
 * The serial number is a name-based (v5) UUID of the inventory and `now`, so the same cluster at the same
 * instant gives the same document.
 *
 * @example
 * const json = serializeCbom(buildCbom(inventoryOf(snapshot), new Date()));
 */
import { createHash } from "node:crypto";
import { Enums, Models } from "@cyclonedx/cyclonedx-library";
import { Assembly, properties } from "./assembly.ts";
import {
  certificate,
  claims,
  finding,
  identity,
  kemKey,
  observed,
  serverRef,
  service,
  tls,
} from "./assets.ts";
import type { CbomInventory } from "./inventory.ts";

/** The namespace of the CBOM's v5 serial numbers (a fixed random UUID). */
const SERIAL_NAMESPACE = Buffer.from("5b0f0a6e4c1d4f7a9a3e2c8d1b6f4e27", "hex");

/** A name-based (version 5, SHA-1) UUID of `name`, as RFC 9562 defines it. */
function uuidV5(name: string): string {
  const hash = createHash("sha1").update(SERIAL_NAMESPACE).update(name).digest().subarray(0, 16);
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** LatticeGuard's own description of what the CBOM covers, at the top of every document. */
const COVERAGE =
  "KEM keys from <name>-kem-public and status.kem; trust anchors from the trust bundle; the last " +
  "workload identity per MCPServer from status.identity (workload certificates stay in their pods); " +
  "the webhook's certificates; TLS groups by policy, configuration, claim and observation; MCP pods " +
  "without post-quantum transport as findings. Never key material.";

function metadata(bom: Models.Bom, inventory: CbomInventory, now: Date): void {
  bom.metadata.timestamp = now;
  bom.metadata.lifecycles.add(Enums.LifecyclePhase.Operations);
  bom.metadata.tools.components.add(
    new Models.Component(Enums.ComponentType.Application, "latticeguard", {
      description: "LatticeGuard: quantum-safe MCP servers on Kubernetes",
    }),
  );
  bom.metadata.component = new Models.Component(
    Enums.ComponentType.Platform,
    inventory.trustDomain ?? "kubernetes",
    {
      bomRef: "cluster",
      description: "The Kubernetes cluster whose cryptography LatticeGuard manages",
    },
  );
  bom.metadata.properties = properties({
    "latticeguard:source": inventory.source,
    "latticeguard:trustDomain": inventory.trustDomain,
    "latticeguard:namespaces": inventory.namespaces ?? "all",
    "latticeguard:coverage": COVERAGE,
  });
  for (const gap of inventory.gaps)
    bom.metadata.properties.add(new Models.Property("latticeguard:gap", gap));
}

/** Records that an MCPServer's service depends on the component `ref`. */
type Uses = (namespace: string, mcpserver: string, ref: string | undefined) => void;

/** KEM keys, trust anchors, identities and the webhook's certificates. */
function keysAndCertificates(assembly: Assembly, inventory: CbomInventory, uses: Uses): void {
  for (const key of inventory.kemKeys) uses(key.namespace, key.mcpserver, kemKey(assembly, key));
  for (const anchor of inventory.trustAnchors) {
    const role = anchor.position === 0 ? "trust-anchor-signing" : "trust-anchor";
    certificate(assembly, anchor.certificate, role, {
      "latticeguard:trustBundlePosition": anchor.position,
    });
  }
  for (const record of inventory.identities)
    uses(record.namespace, record.mcpserver, identity(assembly, record));
  const webhook = inventory.webhook;
  if (!webhook) return;
  const source = { "latticeguard:source": webhook.source };
  if (webhook.serving) certificate(assembly, webhook.serving, "webhook-serving", source);
  for (const ca of webhook.cas) certificate(assembly, ca, "webhook-ca", source);
}

/** TLS by policy, configuration, claim and observation, and the findings. */
function protocols(assembly: Assembly, inventory: CbomInventory, uses: Uses): void {
  for (const policy of inventory.policies) {
    const name = `TLS 1.3 for MCP endpoints under CryptoPolicy ${policy.name}`;
    tls(assembly, `tls/policy/${policy.name}`, name, policy.keyExchange, {
      "latticeguard:evidence": "policy",
      "latticeguard:cryptoPolicy": policy.name,
      "latticeguard:enforcement": policy.enforcement,
    });
  }
  for (const own of inventory.served) {
    const slug = own.name.toLowerCase().replace(/[^a-z0-9]+/g, "-");
    const name = `TLS 1.3 of the LatticeGuard ${own.name}`;
    tls(assembly, `tls/latticeguard/${slug}`, name, own.groups, {
      "latticeguard:evidence": "configuration",
    });
  }
  for (const server of inventory.servers)
    uses(server.namespace, server.name, claims(assembly, server));
  for (const seen of inventory.observedTransport) observed(assembly, seen);
  for (const found of inventory.findings) {
    const ref = finding(assembly, found);
    for (const name of found.mcpservers) uses(found.namespace, name, ref);
  }
}

/**
 * The CBOM of `inventory` at `now` (see the module notes). Pure: the same inputs give the same BOM.
 * Throws a RangeError when `now` is not a valid Date.
 *
 * @example
 * const bom = buildCbom(inventory, new Date("2026-01-01T00:00:00Z"));
 * bom.components.size; // algorithms, keys, certificates and protocols
 */
export function buildCbom(inventory: CbomInventory, now: Date): Models.Bom {
  if (!(now instanceof Date) || Number.isNaN(now.getTime()))
    throw new RangeError("`now` must be a valid Date");
  const bom = new Models.Bom({
    serialNumber: `urn:uuid:${uuidV5(`${now.toISOString()}\n${JSON.stringify(inventory)}`)}`,
  });
  metadata(bom, inventory, now);
  const assembly = new Assembly();
  const byServer = new Map<string, string[]>();
  const uses: Uses = (namespace, name, ref) => {
    if (!ref) return;
    const key = serverRef(namespace, name);
    const refs = byServer.get(key);
    if (refs) refs.push(ref);
    else byServer.set(key, [ref]);
  };
  keysAndCertificates(assembly, inventory, uses);
  protocols(assembly, inventory, uses);
  for (const server of inventory.servers) {
    const svc = service(server);
    bom.services.add(svc);
    assembly.dependOn(svc, byServer.get(serverRef(server.namespace, server.name)) ?? []);
  }
  assembly.finish(bom);
  return bom;
}

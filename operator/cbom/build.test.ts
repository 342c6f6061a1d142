import { describe, expect, it } from "vitest";
import { buildCbom } from "./build.ts";
import { serializeCbom } from "./crypto-model.ts";
import type { CbomInventory } from "./inventory.ts";
import { inventoryOf } from "./inventory-of.ts";
import { cbomSchemaErrors, sampleSnapshot, secretForms } from "./testing.ts";

const now = new Date("2026-06-01T12:00:00Z");
const sample = await sampleSnapshot(now);
const inventory = inventoryOf(sample.snapshot, now.getTime());

interface Component {
  "bom-ref": string;
  name: string;
  cryptoProperties: Record<string, Record<string, unknown> | string>;
  properties?: { name: string; value: string }[];
}
interface Bom {
  serialNumber: string;
  specVersion: string;
  metadata: { timestamp: string; properties?: { name: string; value: string }[] };
  components: Component[];
  services: { "bom-ref": string }[];
  dependencies: { ref: string; dependsOn?: string[] }[];
}

const render = (inv: CbomInventory, at = now) => serializeCbom(buildCbom(inv, at));
const parse = (json: string) => JSON.parse(json) as Bom;
const component = (bom: Bom, ref: string) => bom.components.find((c) => c["bom-ref"] === ref);
const property = (
  c: { properties?: { name: string; value: string }[] } | undefined,
  name: string,
) => c?.properties?.filter((p) => p.name === name).map((p) => p.value);

const empty: CbomInventory = {
  source: "test",
  kemKeys: [],
  trustAnchors: [],
  identities: [],
  policies: [],
  served: [],
  servers: [],
  findings: [],
  observedTransport: [],
  gaps: [],
};

const observed: CbomInventory = {
  ...inventory,
  observedTransport: [
    {
      namespace: "mcp",
      pod: "weather-0",
      endpoint: "10.0.0.7:8443",
      observedAt: now.toISOString(),
      tlsVersion: "1.3",
      group: "X25519MLKEM768",
      cipherSuite: "TLS_AES_256_GCM_SHA384",
      certificate: inventory.trustAnchors[0]!.certificate,
      acceptsClassicalOnly: true,
    },
    {
      namespace: "mcp",
      pod: "weather-1",
      endpoint: "10.0.0.8:8443",
      observedAt: now.toISOString(),
      tlsVersion: "1.2",
      group: "x25519",
    },
  ],
};

describe("buildCbom", () => {
  it.each([
    { what: "an empty cluster", inv: empty },
    { what: "the sample cluster", inv: inventory },
    { what: "a cluster with observed transport", inv: observed },
    {
      what: "a cluster with gaps and a namespace scope",
      inv: { ...inventory, namespaces: ["mcp"], gaps: ["x", "y"] },
    },
  ])("writes valid CycloneDX 1.6 for $what", async ({ inv }) => {
    const json = render(inv);
    expect(await cbomSchemaErrors(json)).toBeNull();
    expect(parse(json)).toMatchObject({
      specVersion: "1.6",
      metadata: { timestamp: now.toISOString() },
    });
  });

  it("notices a document the schema refuses", async () => {
    const bom = parse(render(inventory));
    (bom.components[0]!.cryptoProperties as { assetType: string }).assetType = "spell";
    expect(await cbomSchemaErrors(JSON.stringify(bom))).not.toBeNull();
  });

  it("carries no seed, private key or public key of the cluster", () => {
    const json = render(observed);
    for (const secret of sample.secrets)
      for (const form of secretForms(secret)) expect(json).not.toContain(form);
    for (const publicKey of sample.publicKeys) expect(json).not.toContain(publicKey.slice(8, 72));
  });

  it.each([
    ["active", "active"],
    ["next", "pre-activation"],
    ["retiring", "deactivated"],
  ])(
    "reports a %s KEM key in state %s, with its algorithm, window and size",
    (state, lifecycle) => {
      const key = inventory.kemKeys.find((k) => k.mcpserver === "weather" && k.state === state)!;
      const c = component(parse(render(inventory)), `kem-key/mcp/weather/${key.keyId}`);
      expect(c?.cryptoProperties).toEqual({
        assetType: "related-crypto-material",
        relatedCryptoMaterialProperties: {
          type: "public-key",
          id: key.keyId,
          state: lifecycle,
          algorithmRef: "algorithm/ML-KEM-768",
          activationDate: key.notBefore,
          expirationDate: key.notAfter,
          size: 9472,
        },
      });
      expect(property(c, "latticeguard:nistSecurityCategory")).toEqual(["3"]);
      expect(property(c, "latticeguard:keyState")).toEqual([state]);
    },
  );

  it.each([
    ["algorithm/ML-KEM-768", "2.16.840.1.101.3.4.4.2", 3],
    ["algorithm/X-Wing", "1.3.6.1.4.1.62253.25722", 3],
    ["algorithm/ML-DSA-87", "2.16.840.1.101.3.4.3.19", 5],
    ["algorithm/ML-DSA-65", "2.16.840.1.101.3.4.3.18", 3],
    ["algorithm/ecdsa-with-SHA256", "1.2.840.10045.4.3.2", 0],
    ["algorithm/X25519", "1.3.101.110", 0],
  ])("describes %s with OID %s at quantum level %i", (ref, oid, level) => {
    const c = component(parse(render(inventory)), ref);
    expect(c?.cryptoProperties).toMatchObject({
      assetType: "algorithm",
      oid,
      algorithmProperties: { nistQuantumSecurityLevel: level },
    });
  });

  it("describes each certificate once, with its role, signature algorithm and fingerprint", () => {
    const bom = parse(render(inventory));
    const certificates = bom.components.filter(
      (c) => c.cryptoProperties.assetType === "certificate",
    );
    expect(certificates.map((c) => property(c, "latticeguard:role")).sort()).toEqual([
      ["trust-anchor-signing"],
      ["webhook-ca"],
      ["webhook-serving"],
      ["workload-identity"],
    ]);
    const anchor = certificates.find(
      (c) => property(c, "latticeguard:role")![0] === "trust-anchor-signing",
    )!;
    expect(anchor.cryptoProperties.certificateProperties).toMatchObject({
      subjectName: "CN=LatticeGuard trust anchor, O=cluster.local",
      signatureAlgorithmRef: "algorithm/ML-DSA-87",
      certificateFormat: "X.509",
    });
    expect(anchor["bom-ref"]).toBe(`certificate/${inventory.trustAnchors[0]!.certificate.sha256}`);
  });

  it("adds a role to a certificate met twice, instead of a second component", () => {
    const serving = inventory.webhook!.serving!;
    const bom = parse(render({ ...inventory, webhook: { ...inventory.webhook!, cas: [serving] } }));
    const c = component(bom, `certificate/${serving.sha256}`);
    expect(property(c, "latticeguard:role")?.sort()).toEqual(["webhook-ca", "webhook-serving"]);
  });

  it("reports the groups of each policy, of LatticeGuard's endpoints and of claims", () => {
    const bom = parse(render(inventory));
    const groups = (ref: string) =>
      (component(bom, ref)?.cryptoProperties.protocolProperties as { cryptoRefArray: string[] })
        .cryptoRefArray;
    expect(groups("tls/policy/baseline")).toEqual([
      "algorithm/X25519MLKEM768",
      "algorithm/SecP256r1MLKEM768",
      "algorithm/SecP384r1MLKEM1024",
      "algorithm/MLKEM1024",
    ]);
    expect(groups("tls/latticeguard/issuance-api")).toEqual([
      "algorithm/X25519MLKEM768",
      "algorithm/SecP256r1MLKEM768",
    ]);
    expect(groups("tls/mcpserver/mcp/weather")).toEqual(["algorithm/X25519MLKEM768"]);
    expect(
      property(component(bom, "tls/mcpserver/mcp/weather"), "latticeguard:claimingPods"),
    ).toEqual(["X25519MLKEM768=1"]);
  });

  it.each([
    ["finding/mcp/weather-1", "ClassicalGroup", "0", "tls", "algorithm/X25519"],
    ["finding/mcp/search-0", "NoTransportDeclared", "0", "unknown", "algorithm/unknown"],
    ["finding/legacy/shadow-0", "NotCovered", "3", "tls", "algorithm/SecP256r1MLKEM768"],
  ])("reports %s as %s at quantum level %s", (ref, reason, level, type, group) => {
    const c = component(parse(render(inventory)), ref);
    expect(property(c, "latticeguard:finding")).toEqual([reason]);
    expect(property(c, "latticeguard:quantumSecurityLevel")).toEqual([level]);
    expect(c?.cryptoProperties.protocolProperties).toMatchObject({ type, cryptoRefArray: [group] });
  });

  it("reports observed transport with its cipher suite and presented certificate", () => {
    const bom = parse(render(observed));
    const seen = component(bom, "tls/observed/mcp/weather-0/10.0.0.7:8443");
    expect(seen?.cryptoProperties.protocolProperties).toEqual({
      type: "tls",
      version: "1.3",
      cryptoRefArray: ["algorithm/X25519MLKEM768"],
      cipherSuites: [{ name: "TLS_AES_256_GCM_SHA384" }],
    });
    expect(property(seen, "latticeguard:acceptsClassicalOnly")).toEqual(["true"]);
    const anchor = `certificate/${inventory.trustAnchors[0]!.certificate.sha256}`;
    expect(bom.dependencies.find((d) => d.ref === seen!["bom-ref"])?.dependsOn).toContain(anchor);
    expect(property(component(bom, anchor), "latticeguard:role")?.sort()).toEqual([
      "observed",
      "trust-anchor-signing",
    ]);
    expect(
      component(bom, "tls/observed/mcp/weather-1/10.0.0.8:8443")?.cryptoProperties
        .protocolProperties,
    ).toMatchObject({ version: "1.2", cryptoRefArray: ["algorithm/X25519"] });
  });

  it("makes each MCPServer a service that depends on its keys, identity, claims and findings", () => {
    const bom = parse(render(inventory));
    expect(bom.services.map((s) => s["bom-ref"])).toEqual([
      "mcpserver/mcp/search",
      "mcpserver/mcp/weather",
    ]);
    const weather = bom.dependencies.find((d) => d.ref === "mcpserver/mcp/weather")!;
    expect(weather.dependsOn).toEqual(
      [
        ...inventory.kemKeys
          .filter((k) => k.mcpserver === "weather")
          .map((k) => `kem-key/mcp/weather/${k.keyId}`),
        "identity/mcp/weather",
        "tls/mcpserver/mcp/weather",
        "finding/mcp/weather-1",
      ].sort(),
    );
    const refs = new Set(bom.components.map((c) => c["bom-ref"]));
    for (const d of bom.dependencies)
      for (const r of d.dependsOn ?? [])
        expect(refs.has(r) || r.startsWith("mcpserver/"), r).toBe(true);
  });

  it("says in the metadata what it covers and what it could not read", () => {
    const bom = parse(
      render({ ...inventory, gaps: ["could not read the webhook Secret"], namespaces: ["mcp"] }),
    );
    expect(property(bom.metadata, "latticeguard:gap")).toEqual([
      "could not read the webhook Secret",
    ]);
    expect(property(bom.metadata, "latticeguard:namespaces")).toEqual(["mcp"]);
    expect(property(bom.metadata, "latticeguard:coverage")?.[0]).toContain("Never key material");
  });

  it("numbers a document by its content and time: the same inputs, the same serial", () => {
    const serial = (inv: CbomInventory, at: Date) => parse(render(inv, at)).serialNumber;
    expect(serial(inventory, now)).toMatch(
      /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(serial(inventory, now)).toBe(serial(inventory, now));
    expect(serial(inventory, new Date(now.getTime() + 1))).not.toBe(serial(inventory, now));
    expect(serial(empty, now)).not.toBe(serial(inventory, now));
    expect(render(inventory)).toBe(render(inventory));
  });

  it("names a bad `now`", () => {
    expect(() => buildCbom(empty, new Date(Number.NaN))).toThrow("`now` must be a valid Date");
  });
});

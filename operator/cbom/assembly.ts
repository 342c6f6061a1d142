/**
 * Collects the CBOM's components while `buildCbom` walks the inventory: each component once by its
 * `bom-ref`, each algorithm once however many assets use it, and the dependency graph linked by the
 * library's own BomRef objects at the end (the library matches them by identity). Properties are
 * LatticeGuard's, namespaced `latticeguard:`.
 *
 * @example
 * const assembly = new Assembly();
 * const ref = assembly.algorithm("ML-KEM-768"); // "algorithm/ML-KEM-768"
 * assembly.add(keyComponent, [ref]);
 * assembly.finish(bom);
 */
import { Models } from "@cyclonedx/cyclonedx-library";
import {
  algorithmByOid,
  algorithmFacts,
  algorithmRef,
  keyExchangeFacts,
  type AlgorithmFacts,
} from "./algorithms.ts";
import { CryptoAsset } from "./crypto-model.ts";

/**
 * A property value; arrays are joined with `, `, undefined and empty arrays are left out.
 *
 * @example
 * properties({ "latticeguard:namespace": "mcp", "latticeguard:policies": ["a", "b"] });
 */
export type PropertyValue = string | number | boolean | readonly string[] | undefined;

/**
 * A property list from a record, in the record's order.
 *
 * @example
 * properties({ "latticeguard:keyState": "active" }).size; // 1
 */
export function properties(values: Record<string, PropertyValue>): Models.PropertyRepository {
  const list = new Models.PropertyRepository();
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(", ") : String(value);
    if (text !== "") list.add(new Models.Property(name, text));
  }
  return list;
}

function algorithmAsset(facts: AlgorithmFacts): CryptoAsset {
  const { name, oid, tlsGroup, standard, ...rest } = facts;
  return new CryptoAsset(
    name,
    {
      assetType: "algorithm",
      algorithmProperties: rest,
      ...(oid && { oid }),
    },
    {
      bomRef: algorithmRef(name),
      properties: properties({
        "latticeguard:tlsGroupCodepoint": tlsGroup,
        "latticeguard:standard": standard,
      }),
    },
  );
}

/** An algorithm the catalogue lacks: named, nothing claimed about it. */
const unknownAlgorithm = (name: string): AlgorithmFacts => ({
  name,
  primitive: "unknown",
  cryptoFunctions: ["unknown"],
});

/**
 * The components of one CBOM, under construction.
 *
 * @example
 * const assembly = new Assembly();
 */
export class Assembly {
  private readonly components = new Map<string, Models.Component>();
  private readonly algorithms = new Map<string, AlgorithmFacts>();
  private readonly links: [from: Models.Component | Models.Service, to: string][] = [];

  /** Registers the algorithm `facts` (or the catalogue's entry named so) and returns its `bom-ref`. */
  algorithm(facts: AlgorithmFacts | string): string {
    const resolved =
      typeof facts === "string" ? (algorithmFacts(facts) ?? unknownAlgorithm(facts)) : facts;
    if (!this.algorithms.has(resolved.name)) this.algorithms.set(resolved.name, resolved);
    return algorithmRef(resolved.name);
  }

  /** The `bom-ref` of a TLS key-exchange group's algorithm. */
  group(name: string): string {
    return this.algorithm(keyExchangeFacts(name) ?? unknownAlgorithm(name));
  }

  /** The `bom-ref` of a certificate's signature algorithm (by OID, else by name). */
  signature(oid: string, name: string): string {
    return this.algorithm(algorithmByOid(oid) ?? algorithmFacts(name) ?? unknownAlgorithm(name));
  }

  /** The component with this `bom-ref`, if one was added. */
  get(bomRef: string): Models.Component | undefined {
    return this.components.get(bomRef);
  }

  /** Adds `component` (unless one with its `bom-ref` exists) and what it depends on; returns the one kept. */
  add(component: Models.Component, dependsOn: readonly string[] = []): Models.Component {
    const ref = component.bomRef.value ?? "";
    const kept = this.components.get(ref) ?? component;
    this.components.set(ref, kept);
    this.dependOn(kept, dependsOn);
    return kept;
  }

  /** Records that `from` (a component or a service) depends on the components named. */
  dependOn(from: Models.Component | Models.Service, refs: readonly string[]): void {
    for (const ref of refs) this.links.push([from, ref]);
  }

  /** Puts every component (algorithms included) into `bom` and links the dependency graph. */
  finish(bom: Models.Bom): void {
    for (const facts of this.algorithms.values()) this.add(algorithmAsset(facts));
    for (const component of this.components.values()) bom.components.add(component);
    for (const [from, ref] of this.links) {
      const to = this.components.get(ref);
      if (to && to !== from) from.dependencies.add(to.bomRef);
    }
  }
}

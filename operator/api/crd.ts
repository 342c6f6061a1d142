/**
 * Turns a kind's schemas into a CustomResourceDefinition. Both kinds are served as `latticeguard.dev/v1alpha1`
 * with a status subresource, printer columns, short names and the `latticeguard` category
 * (`kubectl get latticeguard` lists everything).
 *
 * @example
 * toCustomResourceDefinition(mcpServer).metadata.name; // "mcpservers.latticeguard.dev"
 */
import type { Schema } from "./schema-kit.ts";

/** The API group of every LatticeGuard kind. */
export const GROUP = "latticeguard.dev";
/** The served and stored version. */
export const VERSION = "v1alpha1";
/** `apiVersion` as written in objects. */
export const API_VERSION = `${GROUP}/${VERSION}`;

/** A `kubectl get` column. */
export interface PrinterColumn {
  name: string;
  type: "string" | "integer" | "date" | "boolean" | "number";
  jsonPath: string;
  description?: string;
  priority?: number;
}

/** Everything that defines one kind. */
export interface CustomResource {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  scope: "Namespaced" | "Cluster";
  description: string;
  spec: Schema;
  status: Schema;
  printerColumns: PrinterColumn[];
}

/** Removes the TypeScript-only `title` keys from a schema, deeply. */
function withoutTitles(schema: Schema): Schema {
  const { title: _title, properties, items, additionalProperties, ...rest } = schema;
  const out: Schema = { ...rest };
  if (properties) {
    out.properties = Object.fromEntries(
      Object.entries(properties).map(([k, v]) => [k, withoutTitles(v)]),
    );
  }
  if (items) out.items = withoutTitles(items);
  if (additionalProperties) out.additionalProperties = withoutTitles(additionalProperties);
  return out;
}

/** The CustomResourceDefinition object for a kind, ready to apply. */
export function toCustomResourceDefinition(cr: CustomResource): Record<string, unknown> {
  const openAPIV3Schema: Schema = {
    type: "object",
    description: cr.description,
    required: ["spec"],
    properties: {
      apiVersion: { type: "string", description: "The versioned schema of this object." },
      kind: { type: "string", description: "The kind of this object." },
      metadata: { type: "object" },
      spec: cr.spec,
      status: cr.status,
    },
  };
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: `${cr.plural}.${GROUP}`,
      labels: {
        "app.kubernetes.io/name": "latticeguard",
        "app.kubernetes.io/part-of": "latticeguard",
      },
    },
    spec: {
      group: GROUP,
      scope: cr.scope,
      names: {
        kind: cr.kind,
        listKind: `${cr.kind}List`,
        plural: cr.plural,
        singular: cr.singular,
        shortNames: cr.shortNames,
        categories: ["latticeguard"],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: cr.printerColumns,
          schema: { openAPIV3Schema: withoutTitles(openAPIV3Schema) },
        },
      ],
    },
  };
}

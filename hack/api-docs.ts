/**
 * Renders `docs/api.md`, the API reference, from the same schemas that `hack/generate.ts` turns into the
 * CRDs (`operator/api/*.schema.ts`): every field of every kind with its type, default, limits, CEL rules'
 * messages and description, the printer columns and names, and around them the prose the schemas cannot
 * say (`api-docs-prose.ts`: conditions and their reasons, annotations, the objects each kind owns) and the
 * examples in `config/samples/`. The text is laid out as prettier lays out Markdown (`markdown.ts`), so
 * `prettier --check` and a drift check agree.
 *
 *   node hack/api-docs.ts            # print the reference
 *
 * @example
 * writeFileSync("docs/api.md", renderApiDocs());
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  API_VERSION,
  toCustomResourceDefinition,
  type CustomResource,
} from "../operator/api/crd.ts";
import { cryptoPolicy } from "../operator/api/cryptopolicy.schema.ts";
import { mcpServer } from "../operator/api/mcpserver.schema.ts";
import type { Schema } from "../operator/api/schema-kit.ts";
import {
  CRYPTO_POLICY_PROSE,
  INTRO,
  MCP_SERVER_PROSE,
  algorithmsSection,
  annotationsSection,
  type KindProse,
} from "./api-docs-prose.ts";
import { code, codeList as list, markdownTable, wrapProse } from "./markdown.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

/** One row of a field table. */
interface FieldRow {
  path: string;
  schema: Schema;
  required: boolean;
  /** Messages of CEL rules that report on this field (declared here or on an ancestor). */
  rules: string[];
}

/** Every field under `schema`, depth first; array items show as `[]`. */
function fieldRows(schema: Schema, path: string, required: boolean): FieldRow[] {
  const rows: FieldRow[] = [{ path, schema, required, rules: [] }];
  const holder = schema.properties ? schema : schema.items?.properties ? schema.items : undefined;
  const prefix = holder === schema ? path : `${path}[]`;
  for (const [name, child] of Object.entries(holder?.properties ?? {})) {
    rows.push(...fieldRows(child, `${prefix}.${name}`, holder?.required?.includes(name) ?? false));
  }
  return rows;
}

/** Attaches each CEL rule's message to the row its `fieldPath` names, else to the row declaring it. */
function attachRules(rows: FieldRow[]): FieldRow[] {
  const byPath = new Map(rows.map((r) => [r.path, r]));
  for (const row of rows) {
    const rules = [...(row.schema["x-kubernetes-validations"] ?? [])];
    if (row.schema.items?.["x-kubernetes-validations"])
      rules.push(...row.schema.items["x-kubernetes-validations"]);
    for (const rule of rules) {
      const target = (rule.fieldPath && byPath.get(row.path + rule.fieldPath)) || row;
      target.rules.push(rule.message ?? rule.messageExpression ?? rule.rule);
    }
  }
  return rows;
}

function typeOf(schema: Schema): string {
  if (schema["x-kubernetes-int-or-string"]) return "int or string";
  if (schema.type === "array") return `[]${schema.items ? typeOf(schema.items) : "any"}`;
  if (schema.title) return schema.title;
  if (schema.type === "object" && schema.additionalProperties)
    return `map[string]${typeOf(schema.additionalProperties)}`;
  if (schema.format === "date-time") return "string (date-time)";
  return schema.type ?? "any";
}

function formatDefault(value: unknown): string {
  if (value === undefined) return "";
  if (Array.isArray(value)) return code(`[${value.join(", ")}]`);
  return code(JSON.stringify(value).replace(/^"(.*)"$/, "$1"));
}

const HUGE = 2 ** 31 - 1;

function range(min: number | undefined, max: number | undefined, unit: string): string[] {
  if (min !== undefined && max !== undefined && max < HUGE) return [`${min} to ${max}${unit}`];
  if (min !== undefined && min > 0) return [`at least ${min}${unit}`];
  if (min !== undefined) return [`${min} or more${unit}`];
  if (max !== undefined) return [`at most ${max}${unit}`];
  return [];
}

/** The limits a schema puts on its value, in words. */
function limits(s: Schema): string[] {
  const out: string[] = [];
  if (s.enum) out.push(`one of ${list(s.enum)}`);
  if (s.items?.enum) out.push(`each one of ${list(s.items.enum)}`);
  if (s.items?.maxLength !== undefined) out.push(`each at most ${s.items.maxLength} characters`);
  out.push(...range(s.minimum, s.maximum, ""));
  out.push(...range(s.minLength, s.maxLength, " characters"));
  out.push(...range(s.minItems, s.maxItems, " items"));
  if (s.maxProperties !== undefined) out.push(`at most ${s.maxProperties} entries`);
  if (s.pattern) out.push(`matches ${code(s.pattern)}`);
  const keys = s["x-kubernetes-list-map-keys"];
  if (keys) out.push(`one item per ${list(keys)}`);
  return out;
}

const ROOT_DESCRIPTIONS: Record<string, string> = {
  metadata: "Standard Kubernetes object metadata (name, namespace, labels, annotations, ...).",
};

function fieldTable(rows: readonly FieldRow[]): string {
  return markdownTable(
    ["Field", "Type", "Default", "Validation", "Description"],
    rows.map((r) => [
      code(r.path) + (r.required ? " (required)" : ""),
      typeOf(r.schema),
      formatDefault(r.schema.default),
      [...limits(r.schema), ...r.rules].join("; "),
      r.schema.description ?? ROOT_DESCRIPTIONS[r.path] ?? "",
    ]),
  );
}

/** The object-level rows (`apiVersion`, `kind`, `metadata`) from the generated CRD itself. */
function topRows(cr: CustomResource): FieldRow[] {
  const crd = toCustomResourceDefinition(cr) as {
    spec: { versions: { schema: { openAPIV3Schema: Schema } }[] };
  };
  const props = crd.spec.versions[0]!.schema.openAPIV3Schema.properties ?? {};
  return ["apiVersion", "kind", "metadata"].map((name) => ({
    path: name,
    schema: props[name]!,
    required: false,
    rules: [],
  }));
}

function namesTable(cr: CustomResource): string {
  const crd = toCustomResourceDefinition(cr) as {
    spec: { names: { listKind: string; categories: string[] } };
  };
  return markdownTable(
    ["Property", "Value"],
    [
      ["apiVersion", code(API_VERSION)],
      ["kind", code(cr.kind)],
      ["list kind", code(crd.spec.names.listKind)],
      ["scope", cr.scope === "Cluster" ? "cluster-scoped" : "namespaced"],
      ["plural / singular", `${code(cr.plural)} / ${code(cr.singular)}`],
      ["short names", list(cr.shortNames)],
      ["categories", list(crd.spec.names.categories)],
      ["subresources", code("status")],
    ],
  );
}

/** The printer columns with what each means; a column the prose does not explain is an error. */
function columnsTable(cr: CustomResource, prose: KindProse): string {
  return markdownTable(
    ["Column", "Shown", "Meaning", "JSONPath"],
    cr.printerColumns.map((c) => {
      const meaning = prose.columns[c.name];
      if (!meaning)
        throw new Error(`${cr.kind}'s printer column ${c.name} has no meaning in the prose`);
      return [c.name, c.priority ? "with `-o wide`" : "always", meaning, code(c.jsonPath)];
    }),
  );
}

function sample(file: string): string {
  const text = readFileSync(`${root}config/samples/${file}`, "utf8").trimEnd();
  return ["```yaml", text, "```"].join("\n");
}

/** Everything about one kind, in the order a reader needs it. */
function kindSection(cr: CustomResource, prose: KindProse): string {
  const spec = attachRules(fieldRows(cr.spec, "spec", true));
  const status = attachRules(fieldRows(cr.status, "status", false));
  return [
    `## ${cr.kind}`,
    cr.description,
    prose.intro,
    namesTable(cr),
    `### Printer columns`,
    `\`kubectl get ${cr.plural}\` shows:`,
    columnsTable(cr, prose),
    `### Fields`,
    "Defaults are filled in by the API server when an object is created or updated; validation is " +
      "enforced by the API server (OpenAPI schema and CEL rules) before the object is stored. " +
      "`[]` in a path stands for every item of a list.",
    fieldTable(topRows(cr)),
    `### Spec`,
    fieldTable(spec),
    `### Status`,
    `Written by LatticeGuard on the \`/status\` subresource; never set it by hand.`,
    fieldTable(status),
    `### Conditions`,
    prose.conditions,
    ...prose.sections,
    `### Example`,
    `From \`config/samples/${prose.sample}\`:`,
    sample(prose.sample),
  ].join("\n\n");
}

/**
 * The API reference, `docs/api.md`: Markdown as prettier would format it, ending in a newline.
 *
 * @example
 * renderApiDocs().includes("| `spec.kem.rotationPeriod`"); // true
 */
export function renderApiDocs(): string {
  return wrapProse(
    [
      INTRO,
      kindSection(cryptoPolicy, CRYPTO_POLICY_PROSE),
      kindSection(mcpServer, MCP_SERVER_PROSE),
      annotationsSection(),
      algorithmsSection(),
    ].join("\n\n") + "\n",
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.stdout.write(renderApiDocs());

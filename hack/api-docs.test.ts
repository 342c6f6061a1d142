/**
 * `docs/api.md` must document every field the CRDs in `crds/` define, every condition reason the
 * controllers set, and be exactly what `renderApiDocs()` renders, already formatted as prettier would.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { format } from "prettier";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { Condition, MCPServer } from "../operator/api/types.generated.ts";
import { policyConditions } from "../operator/cryptopolicy/report.ts";
import {
  identityCondition,
  serverConditions,
  type Violation,
} from "../operator/mcpserver/decide.ts";
import { renderApiDocs } from "./api-docs.ts";
import { repoRoot } from "./tools.ts";

interface CrdSchema {
  properties?: Record<string, CrdSchema>;
  items?: CrdSchema;
  default?: unknown;
  enum?: string[];
  "x-kubernetes-validations"?: { message: string }[];
}

/** Every field path of a CRD schema, as the reference writes them (`a.b[].c`), with its schema. */
function crdFields(schema: CrdSchema, path = ""): [string, CrdSchema][] {
  const holder = schema.properties ? schema : schema.items?.properties ? schema.items : undefined;
  const prefix = holder === schema ? path : `${path}[]`;
  return Object.entries(holder?.properties ?? {}).flatMap(([name, child]) => {
    const childPath = prefix ? `${prefix}.${name}` : name;
    return [[childPath, child] as [string, CrdSchema], ...crdFields(child, childPath)];
  });
}

/** The rows of a kind's field tables, keyed by field path. */
function fieldRowsOf(section: string): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of section.split("\n")) {
    const path = /^\| `([^`]+)`/.exec(line)?.[1];
    if (path && !rows.has(path)) rows.set(path, line);
  }
  return rows;
}

/** The fields `crd` defines that `doc` has no table row for. */
function undocumentedFields(doc: string, crd: CrdSchema): string[] {
  const rows = fieldRowsOf(doc);
  return crdFields(crd)
    .map(([path]) => path)
    .filter((path) => !rows.has(path));
}

/** The text of the `## <kind>` section. */
function section(doc: string, kind: string): string {
  const start = doc.indexOf(`\n## ${kind}\n`);
  expect(start, `section ## ${kind}`).toBeGreaterThan(0);
  const end = doc.indexOf("\n## ", start + 1);
  return doc.slice(start, end < 0 ? undefined : end);
}

const doc = renderApiDocs();
const kinds = [
  ["CryptoPolicy", "crds/latticeguard.dev_cryptopolicies.yaml"],
  ["MCPServer", "crds/latticeguard.dev_mcpservers.yaml"],
] as const;
const crdOf = (file: string) => {
  const crd = parse(readFileSync(join(repoRoot, file), "utf8")) as {
    spec: {
      names: { shortNames: string[] };
      versions: {
        schema: { openAPIV3Schema: CrdSchema };
        additionalPrinterColumns: { name: string; jsonPath: string }[];
      }[];
    };
  };
  return { names: crd.spec.names, version: crd.spec.versions[0]! };
};

describe("renderApiDocs", () => {
  it.each(kinds)("documents every field of the %s CRD in its section", (kind, file) => {
    const { version } = crdOf(file);
    const fields = crdFields(version.schema.openAPIV3Schema);
    expect(fields.length).toBeGreaterThan(20);
    expect(undocumentedFields(section(doc, kind), version.schema.openAPIV3Schema)).toEqual([]);
  });

  it("notices a field without a row", () => {
    const { version } = crdOf(kinds[1][1]);
    const withoutOne = section(doc, "MCPServer").replace(/^\| `spec\.serviceName`.*$/m, "");
    expect(undocumentedFields(withoutOne, version.schema.openAPIV3Schema)).toEqual([
      "spec.serviceName",
    ]);
  });

  it.each(kinds)("shows each %s field's default, allowed values and CEL messages", (kind, file) => {
    const rows = fieldRowsOf(section(doc, kind));
    const { version } = crdOf(file);
    const fields = crdFields(version.schema.openAPIV3Schema);
    const messages = fields.flatMap(([, s]) => [
      ...(s["x-kubernetes-validations"] ?? []),
      ...(s.items?.["x-kubernetes-validations"] ?? []),
    ]);
    expect(messages.length).toBeGreaterThan(0);
    for (const { message } of messages) expect(section(doc, kind)).toContain(message);
    for (const [path, schema] of fields) {
      const row = rows.get(path)!;
      const values = [...(schema.enum ?? []), ...(schema.items?.enum ?? [])];
      for (const value of values) expect(row, path).toContain(`\`${value}\``);
      const defaults = schema.default === undefined ? [] : [schema.default].flat();
      for (const value of defaults)
        expect(row, path).toContain(JSON.stringify(value).replace(/^"(.*)"$/, "$1"));
    }
  });

  it.each(kinds)("shows the %s printer columns and short names", (kind, file) => {
    const { names, version } = crdOf(file);
    const text = section(doc, kind);
    for (const column of version.additionalPrinterColumns)
      expect(text).toContain(`| ${column.name}`);
    for (const column of version.additionalPrinterColumns)
      expect(text).toContain(`\`${column.jsonPath}\``);
    for (const shortName of names.shortNames) expect(text).toContain(`\`${shortName}\``);
  });

  it("documents every reason the controllers set on conditions", () => {
    const now = new Date("2026-01-01T00:00:00Z");
    const base = {
      generation: 1,
      hasActiveKey: true,
      activeAlgorithm: "ML-KEM-768",
      wantedAlgorithm: "ML-KEM-768",
      rekeyPending: false,
      violations: [],
    } as const;
    const violation = (reason: Violation["reason"]): Violation => ({ reason, message: "m" });
    const server = (lastIssuedNotAfter?: string) =>
      ({
        metadata: { generation: 1 },
        status: lastIssuedNotAfter ? { identity: { lastIssuedNotAfter } } : {},
      }) as Pick<MCPServer, "metadata" | "status">;
    const mcpServer: Condition[][] = [
      serverConditions(undefined, base, now),
      serverConditions(undefined, { ...base, hasActiveKey: false }, now),
      serverConditions(undefined, { ...base, rekeyPending: true, wantedAlgorithm: "X-Wing" }, now),
      ...(["PolicyConflict", "KEMAlgorithmNotAllowed", "IdentityAlgorithmNotAllowed"] as const).map(
        (r) => serverConditions(undefined, { ...base, violations: [violation(r)] }, now),
      ),
      ...[undefined, "2025-01-01T00:00:00Z", "2027-01-01T00:00:00Z"].map((t) =>
        identityCondition([], server(t), now.getTime()),
      ),
    ];
    const cryptoPolicy: Condition[][] = [
      policyConditions(undefined, 1, { selected: 2, conflicts: [] }, now),
      ...[1, 2].map((selected) =>
        policyConditions(
          undefined,
          1,
          { selected, conflicts: [{ namespace: "a", policies: ["x"], fields: ["f"] }] },
          now,
        ),
      ),
    ];
    for (const [kind, sets] of [
      ["MCPServer", mcpServer],
      ["CryptoPolicy", cryptoPolicy],
    ] as const) {
      const conditions = section(doc, kind).split("### Conditions")[1]!.split("\n### ")[0]!;
      const pairs = new Set(sets.flat().map((c) => `${c.type} ${c.reason}`));
      expect(pairs.size).toBeGreaterThan(3);
      for (const pair of pairs) {
        const [type, reason] = pair.split(" ");
        expect(conditions, pair).toMatch(new RegExp(`\\| \`${type}\` +\\| .*\`${reason}\``));
      }
    }
  });

  it("is formatted as prettier formats it", async () => {
    const prettierOptions = { parser: "markdown", printWidth: 100 } as const;
    expect(await format(doc, prettierOptions)).toBe(doc);
  });

  it("is what docs/api.md holds", () => {
    expect(readFileSync(join(repoRoot, "docs/api.md"), "utf8")).toBe(doc);
  });
});

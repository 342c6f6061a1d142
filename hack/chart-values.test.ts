/**
 * Every chart value is documented twice, and checked: a comment above it in `values.yaml` (what users
 * read), a `description` in `values.schema.json` (what editors show), and the schema closes every object
 * it spells out (`additionalProperties: false`), so a misspelt key fails `helm install`. Values the schema
 * leaves open (a `securityContext`, `resources`, a LabelSelector: Kubernetes types, documented by
 * Kubernetes) are documented by the comment on the value that holds them.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isMap, parseDocument, type Node } from "yaml";
import { repoRoot } from "./tools.ts";

interface Schema {
  type?: string;
  description?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
  $ref?: string;
}

const chart = join(repoRoot, "charts/latticeguard");
const schema = JSON.parse(readFileSync(join(chart, "values.schema.json"), "utf8")) as Schema;
const valuesText = readFileSync(join(chart, "values.yaml"), "utf8");

/**
 * The paths of the values in `node` that lack a comment (their own, or the object's that holds them),
 * and of those the schema does not know. Objects the schema spells out itself are described by their
 * values; it stops at a `$ref` to a Kubernetes type.
 */
function undocumented(node: unknown, at: Schema, path = "", parentComment = false): string[] {
  if (!isMap(node)) return [];
  return node.items.flatMap((pair, i) => {
    const key = String((pair.key as { value?: unknown }).value);
    const here = path ? `${path}.${key}` : key;
    const sub = at.properties?.[key];
    if (!sub) return [`${here} (not in values.schema.json)`];
    // A comment above the first key of a nested map belongs to the map.
    const comment = Boolean(
      (pair.key as Node).commentBefore ?? (i === 0 ? node.commentBefore : undefined),
    );
    if (sub.properties && !sub.$ref && isMap(pair.value))
      return undocumented(pair.value, sub, here, comment);
    return comment || parentComment ? [] : [`${here} (no comment in values.yaml)`];
  });
}

/**
 * The schema's problems: an object spelt out but left open, or a value without a description (array
 * items excepted: the array has one).
 */
function schemaProblems(node: Schema, path = "", item = false): string[] {
  if (node.$ref) return [];
  const problems: string[] = [];
  if (node.properties) {
    if (node.additionalProperties !== false)
      problems.push(
        `${path || "/"}: spells out properties but does not set additionalProperties: false`,
      );
    for (const [key, sub] of Object.entries(node.properties))
      problems.push(...schemaProblems(sub, `${path}/${key}`));
  } else if (!node.description && !item) problems.push(`${path}: has no description`);
  if (node.items) problems.push(...schemaProblems(node.items, `${path}/items`, true));
  return problems;
}

describe("every chart value", () => {
  it("has a comment in values.yaml and is known to values.schema.json", () => {
    expect(undocumented(parseDocument(valuesText).contents, schema)).toEqual([]);
  });

  it("has a description in values.schema.json, which closes every object it spells out", () => {
    expect(schemaProblems(schema)).toEqual([]);
    for (const [name, definition] of Object.entries(
      (schema as { definitions?: Record<string, Schema> }).definitions ?? {},
    ))
      expect(schemaProblems(definition, `#/definitions/${name}`)).toEqual([]);
  });

  it("notices a value without a comment, and one the schema does not know", () => {
    const bare = valuesText.replace(/^# The SPIFFE trust domain.*\n/m, "");
    expect(bare).not.toBe(valuesText);
    expect(undocumented(parseDocument(bare).contents, schema)).toEqual([
      "trustDomain (no comment in values.yaml)",
    ]);
    const extra = `${valuesText}\n# A value nobody added to the schema.\nsurprise: 1\n`;
    expect(undocumented(parseDocument(extra).contents, schema)).toEqual([
      "surprise (not in values.schema.json)",
    ]);
  });

  it("notices an open object and a value without a description", () => {
    expect(
      schemaProblems({ properties: { a: { type: "string" }, b: { properties: {} } } }),
    ).toEqual([
      "/: spells out properties but does not set additionalProperties: false",
      "/a: has no description",
      "/b: spells out properties but does not set additionalProperties: false",
    ]);
  });
});

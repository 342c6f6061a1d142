/**
 * Building blocks for the CRDs' OpenAPI v3 schemas. The CRDs in `crds/` and the TypeScript types in
 * `types.generated.ts` are both generated from schemas built with these helpers (`make generate`), so the
 * two cannot drift apart; `make verify` fails when a committed file differs from what would be generated.
 *
 * @example
 * object("A key rotation schedule.", { rotationPeriod: duration("How often.", { default: "24h" }) });
 */

/** A CEL validation rule, as `x-kubernetes-validations` takes it. */
export interface CelRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  fieldPath?: string;
  reason?:
    "FieldValueInvalid" | "FieldValueForbidden" | "FieldValueRequired" | "FieldValueDuplicate";
}

/** The subset of Kubernetes' JSONSchemaProps that LatticeGuard's CRDs use, with the real key names. */
export interface Schema {
  /** The name of the TypeScript type generated for this schema; never written into a CRD. */
  title?: string;
  description?: string;
  type?: "object" | "array" | "string" | "integer" | "boolean";
  format?: string;
  enum?: readonly string[];
  default?: unknown;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: Schema;
  items?: Schema;
  /** Only as controller-gen writes an int-or-string: `[{ type: "integer" }, { type: "string" }]`. */
  anyOf?: Schema[];
  "x-kubernetes-validations"?: CelRule[];
  "x-kubernetes-int-or-string"?: true;
  "x-kubernetes-list-type"?: "atomic" | "set" | "map";
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-map-type"?: "atomic" | "granular";
}

/** Options every helper accepts: CEL rules and a default. */
export interface Extra {
  default?: unknown;
  rules?: CelRule[];
  title?: string;
}

function withExtra(schema: Schema, extra: Extra = {}): Schema {
  const out: Schema = { ...schema };
  if (extra.title !== undefined) out.title = extra.title;
  if (extra.default !== undefined) out.default = extra.default;
  if (extra.rules?.length) out["x-kubernetes-validations"] = extra.rules;
  return out;
}

/**
 * An object. Properties whose names end in `!` are required: `{ "selector!": ... }`.
 */
export function object(
  description: string,
  properties: Record<string, Schema>,
  extra?: Extra,
): Schema {
  const props: Record<string, Schema> = {};
  const required: string[] = [];
  for (const [key, schema] of Object.entries(properties)) {
    const name = key.endsWith("!") ? key.slice(0, -1) : key;
    if (name !== key) required.push(name);
    props[name] = schema;
  }
  const schema: Schema = { type: "object", description, properties: props };
  if (required.length) schema.required = required;
  return withExtra(schema, extra);
}

/** A string, optionally limited to a pattern and a length. */
export function string(
  description: string,
  limits: Pick<Schema, "pattern" | "minLength" | "maxLength" | "format"> = {},
  extra?: Extra,
): Schema {
  return withExtra({ type: "string", description, maxLength: 253, ...limits }, extra);
}

/** One of a fixed set of strings. */
export function oneOf(description: string, values: readonly string[], extra?: Extra): Schema {
  return withExtra({ type: "string", description, enum: values }, extra);
}

/** An integer within bounds. */
export function integer(
  description: string,
  minimum: number,
  maximum: number,
  extra?: Extra,
): Schema {
  return withExtra({ type: "integer", description, minimum, maximum }, extra);
}

/** A boolean. */
export function boolean(description: string, extra?: Extra): Schema {
  return withExtra({ type: "boolean", description }, extra);
}

/** A point in time, RFC 3339. */
export function timestamp(description: string): Schema {
  return { type: "string", format: "date-time", description };
}

/**
 * An ordered list of distinct values from a fixed set. Kept `atomic` rather than `set` because the order
 * means something (the first entry is preferred).
 */
export function orderedChoice(
  description: string,
  values: readonly string[],
  extra?: Extra,
): Schema {
  const field = description.match(/^`(\w+)`/)?.[1] ?? "the list";
  return withExtra(
    {
      type: "array",
      description,
      items: { type: "string", enum: values },
      minItems: 1,
      maxItems: values.length,
      "x-kubernetes-list-type": "atomic",
    },
    {
      ...extra,
      rules: [
        {
          rule: "self.all(x, self.exists_one(y, y == x))",
          message: `${field} must not name an algorithm twice`,
        },
        ...(extra?.rules ?? []),
      ],
    },
  );
}

/** A Go-style duration such as `90s`, `15m` or `24h`, bounded by CEL. */
export function duration(
  description: string,
  bounds: { min: string; max: string },
  extra?: Extra,
): Schema {
  return withExtra(
    {
      type: "string",
      description: `${description} A duration such as \`90s\`, \`15m\` or \`24h\`; between ${bounds.min} and ${bounds.max}.`,
      pattern: "^([0-9]+(\\.[0-9]+)?(ns|us|ms|s|m|h))+$",
      maxLength: 32,
    },
    {
      ...extra,
      rules: [
        {
          rule: `duration(self) >= duration('${bounds.min}') && duration(self) <= duration('${bounds.max}')`,
          message: `must be between ${bounds.min} and ${bounds.max}`,
        },
        ...(extra?.rules ?? []),
      ],
    },
  );
}

/** A metav1.LabelSelector. */
export function labelSelector(description: string, extra?: Extra): Schema {
  return withExtra(
    {
      type: "object",
      description,
      "x-kubernetes-map-type": "atomic",
      properties: {
        matchLabels: {
          type: "object",
          description: "Labels that must all be present with these values.",
          additionalProperties: { type: "string" },
          maxProperties: 64,
        },
        matchExpressions: {
          type: "array",
          description: "Label requirements that must all hold.",
          maxItems: 64,
          "x-kubernetes-list-type": "atomic",
          items: {
            type: "object",
            title: "LabelSelectorRequirement",
            required: ["key", "operator"],
            properties: {
              key: { type: "string", description: "The label key.", maxLength: 317 },
              operator: {
                type: "string",
                description: "How the key relates to the values.",
                enum: ["In", "NotIn", "Exists", "DoesNotExist"],
              },
              values: {
                type: "array",
                description: "Values for `In` and `NotIn`; empty for `Exists` and `DoesNotExist`.",
                maxItems: 64,
                "x-kubernetes-list-type": "atomic",
                items: { type: "string", maxLength: 63 },
              },
            },
          },
        },
      },
    },
    { title: "LabelSelector", ...extra },
  );
}

/** The standard `status.conditions` list of metav1.Condition, keyed by `type`. */
export function conditions(description: string): Schema {
  return {
    type: "array",
    description,
    maxItems: 16,
    "x-kubernetes-list-type": "map",
    "x-kubernetes-list-map-keys": ["type"],
    items: {
      type: "object",
      title: "Condition",
      required: ["type", "status", "lastTransitionTime", "reason", "message"],
      properties: {
        type: { type: "string", description: "The condition's type, CamelCase.", maxLength: 316 },
        status: {
          type: "string",
          description: "Whether the condition holds.",
          enum: ["True", "False", "Unknown"],
        },
        observedGeneration: {
          type: "integer",
          format: "int64",
          minimum: 0,
          description: "The `metadata.generation` this condition was computed from.",
        },
        lastTransitionTime: timestamp("When `status` last changed."),
        reason: {
          type: "string",
          description: "A CamelCase reason for the condition's status.",
          minLength: 1,
          maxLength: 1024,
          pattern: "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$",
        },
        message: {
          type: "string",
          description: "A human-readable explanation.",
          maxLength: 32768,
        },
      },
    },
  };
}

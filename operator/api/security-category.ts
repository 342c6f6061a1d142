/**
 * The floor `minimumSecurityCategory` puts under a CryptoPolicy's three lists: each must name something
 * of at least that NIST category. The API server checks it (a CEL rule on the spec) and so does the
 * validating webhook, with the same words, built here once: the category in force, saying when it is the
 * default, and every name that would satisfy it.
 *
 * The API server fills in defaults before it validates, so an unset `minimumSecurityCategory` and one set
 * to the default look the same to both checks; the message says "3, the default", true either way. The
 * CEL rule cannot call this module, so its message expression picks the rest of the message written here
 * from a CEL map keyed by category: one text, whichever check refuses the policy.
 *
 * @example
 * categoryFloorMessage(CATEGORY_FLOORS[0], 3);
 * // "`kem.algorithms` must include an algorithm of at least `minimumSecurityCategory` (3, the default): ML-KEM-768, ML-KEM-1024 or X-Wing"
 */
import {
  KEM_ALGORITHMS,
  KEY_EXCHANGE_GROUPS,
  SECURITY_CATEGORY,
  SIGNATURE_ALGORITHMS,
} from "./algorithms.ts";
import type { CelRule } from "./schema-kit.ts";

/**
 * One list a CryptoPolicy's `minimumSecurityCategory` applies to.
 *
 * @example
 * const kem: CategoryFloor = { field: "kem.algorithms", names: KEM_ALGORITHMS, noun: "an algorithm" };
 */
export interface CategoryFloor {
  /** The list's path under `spec`. */
  field: "kem.algorithms" | "identity.algorithms" | "transport.keyExchange";
  /** Every name the list may hold, in the schema's order. */
  names: readonly (keyof typeof SECURITY_CATEGORY)[];
  /** What one entry is called in the message. */
  noun: "an algorithm" | "a group";
}

/**
 * The three lists, in the order the schema checks them.
 *
 * @example
 * CATEGORY_FLOORS.map((f) => f.field); // ["kem.algorithms", "identity.algorithms", "transport.keyExchange"]
 */
export const CATEGORY_FLOORS: readonly CategoryFloor[] = [
  { field: "kem.algorithms", names: KEM_ALGORITHMS, noun: "an algorithm" },
  { field: "identity.algorithms", names: SIGNATURE_ALGORITHMS, noun: "an algorithm" },
  { field: "transport.keyExchange", names: KEY_EXCHANGE_GROUPS, noun: "a group" },
];

/**
 * The category `minimumSecurityCategory` defaults to (`POLICY_DEFAULTS` reads it from here).
 *
 * @example
 * categoryFloorMessage(CATEGORY_FLOORS[0], DEFAULT_SECURITY_CATEGORY).includes("3, the default"); // true
 */
export const DEFAULT_SECURITY_CATEGORY = 3;

/** `a`, `a or b`, `a, b or c`. */
function alternatives(names: readonly string[]): string {
  return names.length < 2
    ? names.join("")
    : `${names.slice(0, -1).join(", ")} or ${names[names.length - 1]}`;
}

/** What every message about `floor` starts with; the API server's own words should its expression fail. */
function floorRequirement(floor: CategoryFloor): string {
  return `\`${floor.field}\` must include ${floor.noun} of at least \`minimumSecurityCategory\``;
}

/** What follows the requirement at `category`: the category in force and what would satisfy it. */
function floorDetail(floor: CategoryFloor, category: number): string {
  const inForce =
    category === DEFAULT_SECURITY_CATEGORY ? `${category}, the default` : `${category}`;
  const enough = floor.names.filter((n) => SECURITY_CATEGORY[n] >= category);
  return ` (${inForce}): ${alternatives(enough)}`;
}

/**
 * Why `floor`'s list fails at `category`: the category in force and what would satisfy it.
 *
 * @example
 * categoryFloorMessage(CATEGORY_FLOORS[1], 5);
 * // "`identity.algorithms` must include an algorithm of at least `minimumSecurityCategory` (5): ML-DSA-87"
 */
export function categoryFloorMessage(floor: CategoryFloor, category: number): string {
  return floorRequirement(floor) + floorDetail(floor, category);
}

/** A CEL expression giving the NIST category of the name held by the variable `a`. */
function categoryOf(names: CategoryFloor["names"]): string {
  return `{${names.map((n) => `'${n}': ${SECURITY_CATEGORY[n]}`).join(", ")}}[a]`;
}

/** A CEL string literal; the messages hold no quote or backslash, and a new one must not either. */
function celString(text: string): string {
  if (/['\\]/.test(text)) throw new Error(`a CEL string literal cannot hold ${text} unescaped`);
  return `'${text}'`;
}

/**
 * The CEL rule for one list, on the CryptoPolicy spec. Its message expression picks the detail by
 * category, so it says what {@link categoryFloorMessage} says; `message` is the API server's fallback
 * should the expression fail.
 *
 * @example
 * object("…", properties, { rules: CATEGORY_FLOORS.map(categoryFloorRule) });
 */
export function categoryFloorRule(floor: CategoryFloor): CelRule {
  const details = [1, 2, 3, 4, 5].map((c) => `${c}: ${celString(floorDetail(floor, c))}`);
  return {
    rule: `self.${floor.field}.exists(a, ${categoryOf(floor.names)} >= self.minimumSecurityCategory)`,
    message: floorRequirement(floor),
    messageExpression: `${celString(floorRequirement(floor))} + {${details.join(", ")}}[self.minimumSecurityCategory]`,
    fieldPath: `.${floor.field}`,
  };
}

/**
 * The lists of a CryptoPolicy spec the floor reads, loosely typed: the webhook reads untrusted JSON.
 *
 * @example
 * const spec: FlooredSpec = { minimumSecurityCategory: 5, kem: { algorithms: ["ML-KEM-768"] } };
 */
export interface FlooredSpec {
  minimumSecurityCategory?: number;
  kem?: { algorithms?: readonly string[] };
  identity?: { algorithms?: readonly string[] };
  transport?: { keyExchange?: readonly string[] };
}

/**
 * The lists of `spec` that name nothing of at least its `minimumSecurityCategory`, with the message for
 * each, as the webhook reports them. An absent category is the default; an absent list is not checked,
 * since its default names something of category 5 and so satisfies every floor.
 *
 * @example
 * categoryShortfalls({ minimumSecurityCategory: 5, kem: { algorithms: ["ML-KEM-768"] } });
 * // [{ field: "spec.kem.algorithms", message: "`kem.algorithms` must include … (5): ML-KEM-1024" }]
 */
export function categoryShortfalls(spec: FlooredSpec): { field: string; message: string }[] {
  const category = spec.minimumSecurityCategory ?? DEFAULT_SECURITY_CATEGORY;
  const lists: Record<CategoryFloor["field"], readonly string[] | undefined> = {
    "kem.algorithms": spec.kem?.algorithms,
    "identity.algorithms": spec.identity?.algorithms,
    "transport.keyExchange": spec.transport?.keyExchange,
  };
  const meets = (name: string) =>
    (SECURITY_CATEGORY[name as keyof typeof SECURITY_CATEGORY] ?? 0) >= category;
  return CATEGORY_FLOORS.filter((floor) => {
    const list = lists[floor.field];
    return Array.isArray(list) && !list.some(meets);
  }).map((floor) => ({
    field: `spec.${floor.field}`,
    message: categoryFloorMessage(floor, category),
  }));
}

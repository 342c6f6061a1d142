import { describe, expect, it } from "vitest";
import { SECURITY_CATEGORY } from "./algorithms.ts";
import { POLICY_DEFAULTS, cryptoPolicy } from "./cryptopolicy.schema.ts";
import {
  CATEGORY_FLOORS,
  categoryFloorMessage,
  categoryFloorRule,
  categoryShortfalls,
  type CategoryFloor,
} from "./security-category.ts";

const floor = (field: CategoryFloor["field"]) => CATEGORY_FLOORS.find((f) => f.field === field)!;

describe("categoryFloorMessage", () => {
  it.each([
    [
      "kem.algorithms",
      3,
      "`kem.algorithms` must include an algorithm of at least `minimumSecurityCategory` (3, the default): ML-KEM-768, ML-KEM-1024 or X-Wing",
    ],
    [
      "kem.algorithms",
      5,
      "`kem.algorithms` must include an algorithm of at least `minimumSecurityCategory` (5): ML-KEM-1024",
    ],
    [
      "identity.algorithms",
      3,
      "`identity.algorithms` must include an algorithm of at least `minimumSecurityCategory` (3, the default): ML-DSA-65 or ML-DSA-87",
    ],
    [
      "identity.algorithms",
      4,
      "`identity.algorithms` must include an algorithm of at least `minimumSecurityCategory` (4): ML-DSA-87",
    ],
    [
      "transport.keyExchange",
      5,
      "`transport.keyExchange` must include a group of at least `minimumSecurityCategory` (5): SecP384r1MLKEM1024 or MLKEM1024",
    ],
  ] as const)("words %s at category %d", (field, category, message) => {
    expect(categoryFloorMessage(floor(field), category)).toBe(message);
  });

  it("names exactly the names of the category or above, for every list and category", () => {
    for (const f of CATEGORY_FLOORS) {
      for (const category of [1, 2, 3, 4, 5]) {
        const named = categoryFloorMessage(f, category)
          .split("): ")[1]!
          .split(/, | or /);
        expect(named).toEqual(f.names.filter((n) => SECURITY_CATEGORY[n] >= category));
      }
    }
  });
});

describe("categoryFloorRule", () => {
  it("is the rule the CRD carries, one per list, with the fallback message first in its expression", () => {
    const rules = cryptoPolicy.spec["x-kubernetes-validations"] ?? [];
    // First the floors; the enforcement schedule's rule follows them.
    expect(rules.slice(0, CATEGORY_FLOORS.length)).toEqual(CATEGORY_FLOORS.map(categoryFloorRule));
    for (const [i, f] of CATEGORY_FLOORS.entries()) {
      expect(rules[i]!.fieldPath).toBe(`.${f.field}`);
      expect(rules[i]!.messageExpression).toContain(`'${rules[i]!.message}' + {`);
    }
  });

  it("holds every category's message, split where the expression joins it", () => {
    const rule = categoryFloorRule(floor("kem.algorithms"));
    for (const category of [1, 2, 3, 4, 5]) {
      const detail = categoryFloorMessage(floor("kem.algorithms"), category).slice(
        rule.message!.length,
      );
      expect(rule.messageExpression).toContain(`${category}: '${detail}'`);
    }
  });
});

describe("categoryShortfalls", () => {
  it.each([
    ["a policy with everything allowed", {}, []],
    [
      "a KEM list under the default category",
      { kem: { algorithms: ["ML-KEM-512"] } },
      ["spec.kem.algorithms"],
    ],
    [
      "every list under category 5",
      {
        minimumSecurityCategory: 5,
        kem: { algorithms: ["ML-KEM-768", "X-Wing"] },
        identity: { algorithms: ["ML-DSA-65"] },
        transport: { keyExchange: ["X25519MLKEM768"] },
      },
      ["spec.kem.algorithms", "spec.identity.algorithms", "spec.transport.keyExchange"],
    ],
    [
      "a list with one name enough",
      { minimumSecurityCategory: 5, kem: { algorithms: ["ML-KEM-768", "ML-KEM-1024"] } },
      [],
    ],
    ["a lowered category", { minimumSecurityCategory: 1, kem: { algorithms: ["ML-KEM-512"] } }, []],
    [
      "an unknown name, which counts for nothing",
      { kem: { algorithms: ["RSA-2048"] } },
      ["spec.kem.algorithms"],
    ],
    ["an empty list", { identity: { algorithms: [] } }, ["spec.identity.algorithms"]],
  ])("reports %s", (_what, spec, fields) => {
    const found = categoryShortfalls(spec);
    expect(found.map((f) => f.field)).toEqual(fields);
    for (const f of found) {
      const list = CATEGORY_FLOORS.find((c) => `spec.${c.field}` === f.field)!;
      const category = (spec as { minimumSecurityCategory?: number }).minimumSecurityCategory ?? 3;
      expect(f.message).toBe(categoryFloorMessage(list, category));
    }
  });

  it("can skip absent lists: each default names something of category 5", () => {
    for (const list of [
      POLICY_DEFAULTS.kemAlgorithms,
      POLICY_DEFAULTS.identityAlgorithms,
      POLICY_DEFAULTS.keyExchange,
    ]) {
      expect(list.some((n) => SECURITY_CATEGORY[n] === 5)).toBe(true);
    }
    expect(POLICY_DEFAULTS.minimumSecurityCategory).toBe(3);
  });
});

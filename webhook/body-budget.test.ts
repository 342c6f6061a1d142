import { describe, expect, it } from "vitest";
import { BodyBudget } from "./body-budget.ts";

const KiB = 1024;

describe("BodyBudget", () => {
  it("never holds back a small body, however many there are", () => {
    const budget = new BodyBudget({ smallBytes: 4 * KiB, largeBytes: 8 * KiB });
    for (let i = 0; i < 10_000; i++) expect(budget.reserve(4 * KiB)).toBeDefined();
    expect(budget.heldBytes).toBe(0);
  });

  it.each<[string, number[], number, boolean]>([
    // name, sizes already held, size asked, granted
    ["one large body into an empty budget", [], 6 * KiB, true],
    ["a body that fills the budget exactly", [5 * KiB], 3 * KiB, true],
    ["a body one byte over what is left", [5 * KiB], 3 * KiB + 1, false],
    ["a large body once the budget is spent", [8 * KiB], KiB + 1, false],
    ["a small body once the budget is spent", [8 * KiB], KiB, true],
  ])("decides %s", (_name, held, asked, granted) => {
    const budget = new BodyBudget({ smallBytes: KiB, largeBytes: 8 * KiB });
    for (const size of held) expect(budget.reserve(size)).toBeDefined();
    expect(budget.reserve(asked) !== undefined).toBe(granted);
  });

  it("gives the room back on release, once", () => {
    const budget = new BodyBudget({ smallBytes: 1, largeBytes: 10 });
    const release = budget.reserve(6)!;
    expect(budget.reserve(6)).toBeUndefined();
    release();
    release();
    expect(budget.heldBytes).toBe(0);
    expect(budget.reserve(6)).toBeDefined();
    expect(budget.reserve(4)).toBeDefined();
    expect(budget.heldBytes).toBe(10);
  });

  it.each<[string, { smallBytes: number; largeBytes: number }, string]>([
    ["a zero budget", { smallBytes: 1, largeBytes: 0 }, "`largeBytes`"],
    ["a fractional small size", { smallBytes: 1.5, largeBytes: 10 }, "`smallBytes`"],
    ["a small size over the budget", { smallBytes: 11, largeBytes: 10 }, "must not exceed"],
  ])("refuses %s", (_name, sizes, message) => {
    expect(() => new BodyBudget(sizes)).toThrow(message);
  });
});

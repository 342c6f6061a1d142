import { describe, expect, it } from "vitest";
import { readStringFlags } from "./flag-reader.ts";

const FLAGS = { size: { default: "1" }, name: { default: "" } } as const;

const positive = (raw: string) => {
  const n = Number(raw);
  if (!(n > 0)) throw new Error(`must be positive, got "${raw}"`);
  return n;
};

describe("readStringFlags", () => {
  it.each([
    { argv: [], size: 1 },
    { argv: ["--size=3"], size: 3 },
  ])("reads $argv with defaults for flags not given", ({ argv, size }) => {
    const flags = readStringFlags("cmd", FLAGS, argv);
    expect(flags.check("size", positive)).toBe(size);
    expect(flags.get("name")).toBe("");
    expect(() => flags.finish()).not.toThrow();
  });

  it.each([["--colour=red"], ["positional"]])("refuses %s, naming the command", (arg) => {
    expect(() => readStringFlags("cmd", FLAGS, [arg])).toThrow(/^cmd: /);
  });

  it("collects every problem and reports them at once", () => {
    const flags = readStringFlags("cmd", FLAGS, ["--size=0"]);
    expect(flags.check("size", positive)).toBeUndefined();
    flags.problems.push("--name: must be given");
    expect(() => flags.finish()).toThrow(
      'cmd: invalid flags:\n  --size: must be positive, got "0"\n  --name: must be given',
    );
  });
});

import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parseVariant } from "./reconcile-operator.ts";

describe("parseVariant", () => {
  it.each([
    ["now=.", { label: "now", dir: resolve("."), args: [], nodeArgs: [] }],
    ["w8=/tmp/x:--workers=8", { label: "w8", dir: "/tmp/x", args: ["--workers=8"], nodeArgs: [] }],
    [
      "small=.::--max-semi-space-size=8 --max-old-space-size=256",
      {
        label: "small",
        dir: resolve("."),
        args: [],
        nodeArgs: ["--max-semi-space-size=8", "--max-old-space-size=256"],
      },
    ],
  ])("reads %s", (spec, expected) => {
    expect(parseVariant(spec)).toEqual(expected);
  });

  it.each(["", "nolabel", "=dir"])("refuses %j", (spec) => {
    expect(() => parseVariant(spec)).toThrow(/label=dir/);
  });
});

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  ENTRY,
  missingDependencies,
  packageName,
  runtimeFiles,
  type RuntimeFiles,
} from "./image-files.ts";
import { repoRoot } from "./tools.ts";

/** A file system of the given files, for runtimeFiles. */
const files = (tree: Record<string, string>) => (path: string) => tree[path];

describe("packageName", () => {
  it.each([
    ["yaml", "yaml"],
    ["@noble/hashes/sha3.js", "@noble/hashes"],
    ["@kubernetes/client-node", "@kubernetes/client-node"],
    ["pino/file", "pino"],
    ["node:crypto", undefined],
    ["fs", undefined],
    ["./a.ts", undefined],
    ["../b.ts", undefined],
  ])("names the package of %s: %s", (specifier, expected) => {
    expect(packageName(specifier)).toBe(expected);
  });
});

describe("runtimeFiles", () => {
  it.each<{ what: string; tree: Record<string, string>; expected: RuntimeFiles }>([
    {
      what: "follows static, dynamic and side-effect imports across folders",
      tree: {
        "bin/main.mjs": 'await import("../src/main.ts");',
        "src/main.ts": 'import { a } from "./lib/a.ts";\nimport "reflect-metadata";',
        "src/lib/a.ts": 'import type { T } from "../types.ts";\nimport { b } from "@s/b/sub.js";',
        "src/types.ts": 'import { c } from "node:crypto";',
        "src/lib/a.test.ts": 'import { a } from "./a.ts";\nimport "vitest";',
      },
      expected: {
        files: ["bin/main.mjs", "src/lib/a.ts", "src/main.ts", "src/types.ts"],
        packages: ["@s/b", "reflect-metadata"],
      },
    },
    {
      what: "visits each file once, even in an import cycle",
      tree: { "bin/main.mjs": 'import "./a.ts";', "bin/a.ts": 'import "./main.mjs";' },
      expected: { files: ["bin/a.ts", "bin/main.mjs"], packages: [] },
    },
  ])("$what", ({ tree, expected }) => {
    expect(runtimeFiles(["bin/main.mjs"], files(tree))).toEqual(expected);
  });

  it("names the file whose import points nowhere", () => {
    const tree = { "bin/main.mjs": 'import "../src/a.ts";', "src/a.ts": 'import "./gone.ts";' };
    expect(() => runtimeFiles(["bin/main.mjs"], files(tree))).toThrow(
      "src/a.ts imports src/gone.ts, which does not exist",
    );
  });
});

describe("missingDependencies", () => {
  it.each([
    [["yaml"], { dependencies: { yaml: "^2" } }, undefined],
    [[], {}, undefined],
    [["yaml", "vitest"], { dependencies: { yaml: "^2" } }, "the runtime imports vitest, which"],
    [["yaml"], {}, "the runtime imports yaml, which"],
  ])("checks %j against %j", (packages, manifest, expected) => {
    const problem = missingDependencies(packages, manifest);
    if (expected === undefined) expect(problem).toBeUndefined();
    else expect(problem).toContain(expected);
  });
});

describe("the runtime file set of LatticeGuard", () => {
  const read = (path: string) =>
    existsSync(join(repoRoot, path)) ? readFileSync(join(repoRoot, path), "utf8") : undefined;
  const { files: runtime, packages } = runtimeFiles([ENTRY], read);

  it.each([
    "operator/main.ts",
    "operator/operator.ts",
    "operator/agent/command.ts",
    "operator/cli/flags.ts",
    "webhook/server.ts",
  ])("includes %s, which the program loads", (path) => {
    expect(runtime).toContain(path);
  });

  it("includes no tests, fixtures, benchmarks or developer scripts", () => {
    const outside = runtime.filter(
      (path) =>
        /\.test\.ts$|\/testing(\/|\.ts$)|\/testdata\//.test(path) ||
        !/^(operator|webhook)\//.test(path),
    );
    expect(outside).toEqual([]);
  });

  it("imports only production dependencies", () => {
    const manifest = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
    };
    expect(missingDependencies(packages, manifest)).toBeUndefined();
  });
});

import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { importSpecifiers } from "./import-specifiers.ts";
import { repoRoot } from "./tools.ts";

describe("importSpecifiers", () => {
  it.each([
    ["a static import", 'import { a } from "./a.ts";', ["./a.ts"]],
    ["a default and namespace import", 'import a, * as b from "pkg";', ["pkg"]],
    ["a type-only import", 'import type { A } from "./types.ts";', ["./types.ts"]],
    ["a side-effect import", "import 'reflect-metadata';", ["reflect-metadata"]],
    ["a re-export", 'export { a } from "./a.ts"; export * from "./b.ts";', ["./a.ts", "./b.ts"]],
    ["a dynamic import", 'const m = await import("./m.ts");', ["./m.ts"]],
    ["a require call", 'const m = require("m");', ["m"]],
    ["an import over several lines", 'import {\n  a,\n  b,\n} from\n  "./ab.ts";', ["./ab.ts"]],
    [
      "each specifier once",
      'import { a } from "./a.ts";\nimport type { B } from "./a.ts";',
      ["./a.ts"],
    ],
    ["a hashbang line", '#!/usr/bin/env node\nimport "./x.ts";', ["./x.ts"]],
    ["nothing in a line comment", '// import "./no.ts"\nconst a = 1;', []],
    ["nothing in a doc comment", '/**\n * @example\n * import { x } from "./no.ts";\n */', []],
    ["nothing in a string", 'const s = "import \\"./no.ts\\"";', []],
    ["nothing in a template literal", 'const s = `import("./no.ts") ${"x"} from "./no.ts"`;', []],
    ["code inside a substitution", 'const s = `${await import("./yes.ts")}`;', ["./yes.ts"]],
    ["nothing in a regular expression", 'const r = /from "no"/u; import "./yes.ts";', ["./yes.ts"]],
    [
      "a division before an import",
      'const q = a / b; import "./yes.ts"; const r = c / d;',
      ["./yes.ts"],
    ],
    ["a glob in a string", 'const g = "src/**/*.ts"; import "./yes.ts";', ["./yes.ts"]],
    ["nothing from a computed import", "const m = await import(name);", []],
    ["nothing from a method named import", 'loader.import("./no.ts");', []],
    ["nothing from a variable named from", 'const from = "./no.ts";', []],
  ])("finds %s", (_, source, expected) => {
    expect(importSpecifiers(source)).toEqual(expected);
  });
});

/** Every TypeScript and JavaScript file of the repository's own code. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : sourceFiles(path);
    return /\.(ts|mts|mjs|js)$/.test(entry.name) ? [path] : [];
  });
}

describe("importSpecifiers on the repository", () => {
  const files = ["operator", "webhook", "hack", "test", "bench"].flatMap((dir) =>
    sourceFiles(join(repoRoot, dir)),
  );

  it("has files to read", () => {
    expect(files.length).toBeGreaterThan(100);
  });

  // The TypeScript compiler's own pre-processor is the reference; the image build cannot use it, as it
  // runs before any package is installed. It also lists module augmentations (`declare module "vitest"`),
  // which are types only and import nothing at run time.
  it.each(files.map((path) => [relative(repoRoot, path), path]))(
    "agrees with the TypeScript compiler on %s",
    (_, path) => {
      const source = readFileSync(path, "utf8");
      const augmented = new Set(
        [...source.matchAll(/^declare module ["']([^"']+)["']/gm)].map((m) => m[1]),
      );
      const reference = ts
        .preProcessFile(source, true, true)
        .importedFiles.map((f) => f.fileName)
        .filter((name) => !augmented.has(name));
      expect(importSpecifiers(source).sort()).toEqual([...new Set(reference)].sort());
    },
  );
});

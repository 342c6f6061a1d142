/**
 * The runtime file set of LatticeGuard: what `operator/bin/latticeguard.mjs` imports, transitively,
 * following relative imports (static and dynamic). LatticeGuard has no compile step (Node 24 strips the
 * types), so this set, with `package.json`, the lock file and `.npmrc`, is what the container image ships;
 * tests, fixtures, benchmarks and developer scripts are left out because nothing the program runs imports
 * them. Every package the set imports must be a production dependency, since the image installs only those.
 * Node.js built-ins suffice here: the image build runs this before installing anything.
 *
 *   node hack/image-files.ts               # prints the runtime files, one per line
 *   node hack/image-files.ts --out DIR     # copies them, with package.json, the lock file and .npmrc, to DIR
 *
 * @example
 * const { files, packages } = runtimeFiles(["operator/bin/latticeguard.mjs"], readRepoFile);
 */
import { existsSync, readFileSync } from "node:fs";
import { copyFile, mkdir, rm } from "node:fs/promises";
import { isBuiltin } from "node:module";
import { dirname, join, posix } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { importSpecifiers } from "./import-specifiers.ts";

/** The program's entry point, relative to the repository root. */
export const ENTRY = "operator/bin/latticeguard.mjs";
/** What the image needs besides the runtime sources: the package manifest, its lock file, npm's settings. */
export const PACKAGE_FILES = ["package.json", "package-lock.json", ".npmrc"] as const;

/** Reads a file by its path relative to the repository root; undefined when it does not exist. */
export type ReadFile = (path: string) => string | undefined;

/** The runtime closure of some entry points. */
export interface RuntimeFiles {
  /** Repository-relative paths, sorted. */
  files: string[];
  /** Packages imported by the files (`@scope/name` or `name`), sorted. */
  packages: string[];
}

/**
 * The npm package a bare specifier names, or undefined for a relative path or a Node.js built-in.
 *
 * @example
 * packageName("@noble/hashes/sha3.js"); // "@noble/hashes"
 * packageName("node:fs"); // undefined
 */
export function packageName(specifier: string): string | undefined {
  if (specifier.startsWith(".") || specifier.startsWith("/") || isBuiltin(specifier))
    return undefined;
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/**
 * Follows the relative imports of `entries` through `read`; throws, naming the importing file, when an
 * import points at a file that does not exist.
 *
 * @example
 * runtimeFiles(["a.ts"], (p) => ({ "a.ts": 'import "./b.ts"', "b.ts": "" })[p]).files; // ["a.ts", "b.ts"]
 */
export function runtimeFiles(entries: readonly string[], read: ReadFile): RuntimeFiles {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = entries.map((path) => ({ path, importer: "(entry point)" }));
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { path, importer } = next;
    if (files.has(path)) continue;
    const source = read(path);
    if (source === undefined) throw new Error(`${importer} imports ${path}, which does not exist`);
    files.add(path);
    for (const specifier of importSpecifiers(source)) {
      const name = packageName(specifier);
      if (name) packages.add(name);
      else if (specifier.startsWith(".")) {
        pending.push({ path: posix.join(posix.dirname(path), specifier), importer: path });
      }
    }
  }
  return { files: [...files].sort(), packages: [...packages].sort() };
}

/**
 * Why the packages the runtime imports cannot all be installed with `npm ci --omit=dev`, or undefined when
 * every one is a production dependency.
 *
 * @example
 * missingDependencies(["yaml", "vitest"], { dependencies: { yaml: "^2" } }); // "… vitest …"
 */
export function missingDependencies(
  packages: readonly string[],
  manifest: { dependencies?: Record<string, string> },
): string | undefined {
  const missing = packages.filter((name) => !manifest.dependencies?.[name]);
  if (missing.length === 0) return undefined;
  return (
    `the runtime imports ${missing.join(", ")}, which package.json does not list in "dependencies"; ` +
    `the image installs production dependencies only`
  );
}

/** Reads files of the repository this script lives in. */
function repoReader(root: string): ReadFile {
  return (path) =>
    existsSync(join(root, path)) ? readFileSync(join(root, path), "utf8") : undefined;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: "string" } } });
  const root = fileURLToPath(new URL("..", import.meta.url));
  const { files, packages } = runtimeFiles([ENTRY], repoReader(root));
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
  };
  const problem = missingDependencies(packages, manifest);
  if (problem) throw new Error(problem);
  if (!values.out) {
    process.stdout.write(`${files.join("\n")}\n`);
    return;
  }
  await rm(values.out, { recursive: true, force: true });
  await mkdir(values.out, { recursive: true });
  for (const file of [...PACKAGE_FILES, ...files]) {
    await mkdir(dirname(join(values.out, file)), { recursive: true });
    await copyFile(join(root, file), join(values.out, file));
  }
  console.log(
    `${values.out}: ${files.length} runtime files and ${PACKAGE_FILES.join(", ")}; ` +
      `packages: ${packages.join(", ")}`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main().catch((error: unknown) => {
    console.error(`image-files: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}

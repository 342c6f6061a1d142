#!/usr/bin/env node
// The `latticeguard` command. Plain JavaScript so that an older Node.js gets a clear message instead of a
// syntax error; the program itself is TypeScript, run by Node 24's type stripping.
import { nodeVersionProblem } from "./require-node.mjs";

const problem = nodeVersionProblem(process.versions.node, process.execPath);
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
await import("../main.ts");

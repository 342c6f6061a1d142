// Fails with a clear message when the Node.js running LatticeGuard is older than the one it needs.
// Plain JavaScript on purpose: it must run, and explain itself, on any Node.js.
import { pathToFileURL } from "node:url";

/** The oldest Node.js LatticeGuard runs on: OpenSSL 3.5 (ML-KEM, ML-DSA) and TypeScript type stripping. */
export const REQUIRED_NODE = "24.7.0";

/**
 * Why `version` (such as "20.20.2") is too old to run LatticeGuard, or undefined when it is new enough.
 *
 * @example
 * nodeVersionProblem("20.20.2", "/usr/bin/node"); // "LatticeGuard needs Node.js >= 24.7.0 ..."
 */
export function nodeVersionProblem(version, execPath) {
  const [major, minor] = version.split(".").map(Number);
  const [needMajor, needMinor] = REQUIRED_NODE.split(".").map(Number);
  if (major > needMajor || (major === needMajor && minor >= needMinor)) return undefined;
  return (
    `LatticeGuard needs Node.js >= ${REQUIRED_NODE} (for OpenSSL 3.5's ML-KEM and ML-DSA and for ` +
    `TypeScript type stripping), but ${execPath} is v${version}.\n` +
    `Run 'npm ci' to install the pinned Node 24 into node_modules/.bin, then use 'make' or 'npm run', ` +
    `which put it first on PATH.`
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const problem = nodeVersionProblem(process.versions.node, process.execPath);
  if (problem) {
    process.stderr.write(`${problem}\n`);
    process.exit(1);
  }
}

/**
 * What every benchmark prints above its tables, so a number can be traced back and reproduced: the exact
 * command that produced it, when, and on what (CPU model and count, operating system, Node and OpenSSL).
 *
 * @example
 * console.log(benchHeader("Crypto benchmark"));
 * // Crypto benchmark
 * // command: node bench/crypto.ts --seconds=1
 * // 2026-11-22T10:00:00.000Z · 2 × AMD EPYC 7B13 · Linux 6.8.0 x64 · Node 24.21.0 · OpenSSL 3.5.8
 */
import { cpus, arch, release, type } from "node:os";
import { relative } from "node:path";

/**
 * The command line that ran this process, as a user types it from the repository root:
 * `node bench/<name>.ts` and the flags given.
 *
 * @example
 * benchCommand(["/usr/bin/node", "/repo/bench/crypto.ts", "--seconds=2"], "/repo"); // "node bench/crypto.ts --seconds=2"
 */
export function benchCommand(argv: readonly string[] = process.argv, cwd = process.cwd()): string {
  const [, script = "", ...flags] = argv;
  return ["node", relative(cwd, script) || script, ...flags].join(" ");
}

/**
 * One line describing the machine and runtime, with the date.
 *
 * @example
 * machineLine(new Date()); // "2026-11-22T10:00:00.000Z · 2 × AMD EPYC 7B13 · Linux 6.8.0 x64 · Node 24.21.0 · OpenSSL 3.5.8"
 */
export function machineLine(now: Date = new Date()): string {
  const cores = cpus();
  const model = cores[0]?.model.trim() ?? "unknown CPU";
  return [
    now.toISOString(),
    `${cores.length} × ${model}`,
    `${type()} ${release()} ${arch()}`,
    `Node ${process.versions.node}`,
    `OpenSSL ${process.versions.openssl}`,
  ].join(" · ");
}

/**
 * The header block: a title, the command and the machine line, each on its own line.
 *
 * @example
 * console.log(benchHeader("Admission benchmark"));
 */
export function benchHeader(title: string, now: Date = new Date()): string {
  return `${title}\n\ncommand: \`${benchCommand()}\`\n\n${machineLine(now)}\n`;
}

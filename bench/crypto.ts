/**
 * Crypto benchmark: operations per second of every KEM and ML-DSA parameter set LatticeGuard knows, on each
 * backend, through the crypto layer's own interfaces (`KEM_BACKENDS`, `SIGNATURE_BACKENDS`), so the input
 * checks and the seed-only key handling are part of what is timed: every private-key operation re-derives
 * the key from its seed, as the operator does.
 *
 * - KEMs (`operator/api/algorithms.ts`): ML-KEM-512/768/1024 and X-Wing (noble only: OpenSSL has none).
 *   `keygen` is a fresh seed and its public key, `encapsulate` takes the public key, `decapsulate` the seed.
 * - ML-DSA-44/65/87: `keygen` as above, `sign` (hedged, pure ML-DSA) and `verify` a message of
 *   `--message` bytes.
 *
 * Fairness (rate.ts): each cell is checked for a correct result, warmed up (JIT, key caches) for a tenth
 * of its time, then timed in `--rounds` rounds that alternate the backends (native first in even rounds,
 * noble first in odd ones), so a burst of load from a neighbour slows both; each backend runs `--seconds`
 * in all, and the table reports the median round. One thread; the numbers are single-core rates.
 *
 *   node bench/crypto.ts [--seconds=1] [--rounds=5] [--message=1024]
 *
 * Prints a Markdown table (algorithm, operation, native and noble operations per second, their ratio, and
 * the backend `--kem-backend=auto` / `signatureBackend("auto", …)` chooses), progress on stderr.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  KEM_ALGORITHMS,
  SIGNATURE_ALGORITHMS,
  type KemAlgorithm,
  type SignatureAlgorithm,
} from "../operator/api/algorithms.ts";
import {
  KEM_BACKENDS,
  SIGNATURE_BACKENDS,
  kemBackend,
  signatureBackend,
  type KemBackend,
  type SignatureBackend,
} from "../operator/crypto/index.ts";
import { benchHeader } from "./environment.ts";
import { interleavedRates, resultChecksum } from "./rate.ts";

type BackendName = "native" | "noble";
const KEM_OPS = ["keygen", "encapsulate", "decapsulate"] as const;
const SIGNATURE_OPS = ["keygen", "sign", "verify"] as const;

/** One row of the table: an operation of one algorithm, on each backend that has it. */
interface Cell {
  alg: KemAlgorithm | SignatureAlgorithm;
  op: string;
  auto: BackendName;
  run: Partial<Record<BackendName, () => unknown>>;
}

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/** The timed KEM operations of one backend, after checking that it round-trips; none if it lacks `alg`. */
function kemOps(backend: KemBackend, alg: KemAlgorithm) {
  if (!backend.supports(alg)) return undefined;
  const seed = backend.generateSeed(alg);
  const publicKey = backend.publicKey(alg, seed);
  const { ciphertext, sharedSecret } = backend.encapsulate(alg, publicKey);
  if (!same(backend.decapsulate(alg, seed, ciphertext), sharedSecret))
    throw new Error(`${backend.name} ${alg}: decapsulation disagrees with encapsulation`);
  return {
    keygen: () => backend.publicKey(alg, backend.generateSeed(alg)),
    encapsulate: () => backend.encapsulate(alg, publicKey),
    decapsulate: () => backend.decapsulate(alg, seed, ciphertext),
  };
}

/** The timed ML-DSA operations of one backend, after checking that its signature verifies. */
function signatureOps(backend: SignatureBackend, alg: SignatureAlgorithm, message: Uint8Array) {
  if (!backend.supports(alg)) return undefined;
  const seed = backend.generateSeed(alg);
  const publicKey = backend.publicKey(alg, seed);
  const signature = backend.sign(alg, seed, message);
  if (!backend.verify(alg, publicKey, message, signature))
    throw new Error(`${backend.name} ${alg}: its own signature does not verify`);
  return {
    keygen: () => backend.publicKey(alg, backend.generateSeed(alg)),
    sign: () => backend.sign(alg, seed, message),
    verify: () => backend.verify(alg, publicKey, message, signature),
  };
}

function cells(message: Uint8Array): Cell[] {
  const kems = KEM_ALGORITHMS.flatMap((alg) => {
    const native = kemOps(KEM_BACKENDS.native, alg);
    const noble = kemOps(KEM_BACKENDS.noble, alg);
    const auto = kemBackend("auto", alg).name;
    return KEM_OPS.map((op) => ({
      alg,
      op,
      auto,
      run: { native: native?.[op], noble: noble?.[op] },
    }));
  });
  const signatures = SIGNATURE_ALGORITHMS.flatMap((alg) => {
    const native = signatureOps(SIGNATURE_BACKENDS.native, alg, message);
    const noble = signatureOps(SIGNATURE_BACKENDS.noble, alg, message);
    const auto = signatureBackend("auto", alg).name;
    return SIGNATURE_OPS.map((op) => ({
      alg,
      op,
      auto,
      run: { native: native?.[op], noble: noble?.[op] },
    }));
  });
  return [...kems, ...signatures];
}

function row(cell: Cell, r: Partial<Record<BackendName, number>>): string {
  const { native, noble } = r;
  const fmt = (x: number | undefined) => (x === undefined ? "—" : String(Math.round(x)));
  const ratio = native && noble ? `${(native / noble).toFixed(1)}x` : "—";
  const faster = native && noble ? (native >= noble ? "native" : "noble") : cell.auto;
  const auto = faster === cell.auto ? cell.auto : `${cell.auto} (**slower**)`;
  return `| ${cell.alg} | ${cell.op} | ${fmt(native)} | ${fmt(noble)} | ${ratio} | ${auto} |`;
}

function nobleVersion(): string {
  const url = new URL("../node_modules/@noble/post-quantum/package.json", import.meta.url);
  return (JSON.parse(readFileSync(url, "utf8")) as { version: string }).version;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      seconds: { type: "string", default: "1" },
      rounds: { type: "string", default: "5" },
      message: { type: "string", default: "1024" },
    },
  });
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  const messageBytes = Number(values.message);
  if (!(seconds > 0) || !Number.isInteger(rounds) || rounds < 1 || !(messageBytes >= 0))
    throw new RangeError("`--seconds` must be > 0, `--rounds` an integer >= 1, `--message` >= 0");

  const started = new Date();
  const message = new Uint8Array(messageBytes).fill(7);
  const rows: string[] = [];
  const slower: string[] = [];
  for (const cell of cells(message)) {
    process.stderr.write(`${cell.alg} ${cell.op} …\n`);
    const r = interleavedRates(cell.run, seconds, rounds);
    rows.push(row(cell, r));
    const chosen = r[cell.auto];
    const other = r[cell.auto === "native" ? "noble" : "native"];
    if (chosen !== undefined && other !== undefined && other > chosen)
      slower.push(`${cell.alg} ${cell.op} (${(other / chosen).toFixed(2)}x)`);
  }

  console.log(benchHeader("Crypto benchmark", started));
  console.log(
    `@noble/post-quantum ${nobleVersion()}; one thread; each backend ${seconds} s per row after a ` +
      `${seconds / 10} s warm-up, in ${rounds} rounds alternating the backends; median round reported. ` +
      `keygen = fresh seed + public key; private-key operations re-derive the key from its seed; ` +
      `ML-DSA messages of ${messageBytes} bytes.\n`,
  );
  console.log("| algorithm | op | native ops/s | noble ops/s | native/noble | auto picks |");
  console.log("| --- | --- | ---: | ---: | ---: | --- |");
  for (const line of rows) console.log(line);
  console.log(
    slower.length
      ? `\n\`auto\` picks the slower backend for: ${slower.join(", ")}.`
      : "\n`auto` picks the faster backend for every algorithm and operation measured.",
  );
  process.stderr.write(`done (result checksum ${resultChecksum()})\n`);
}

main();

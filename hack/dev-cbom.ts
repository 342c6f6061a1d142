/**
 * The CBOM step of `make dev`: writes the local cluster's CycloneDX 1.6 CBOM with `latticeguard cbom`
 * (the command users run) and says where it is and how to read it again.
 *
 * @example
 * console.log((await writeDevCbom(kubeconfig, ".dev/cbom.json")).join("\n"));
 */
import { readFile } from "node:fs/promises";
import { relative } from "node:path";
import { cbomCommand } from "../operator/cbom/command.ts";
import { repoRoot } from "./tools.ts";

interface CbomSummary {
  components?: { "bom-ref"?: string }[];
}

/** Writes the CBOM to `output`; resolves with the lines `make dev` prints about it. */
export async function writeDevCbom(kubeconfig: string, output: string): Promise<string[]> {
  const notes: string[] = [];
  const code = await cbomCommand([`--kubeconfig=${kubeconfig}`, `--output=${output}`], {
    stderr: (text) => notes.push(...text.trimEnd().split("\n")),
  });
  if (code !== 0) throw new Error(`latticeguard cbom exited with ${code}: ${notes.join("; ")}`);
  const cbom = JSON.parse(await readFile(output, "utf8")) as CbomSummary;
  const refs = (cbom.components ?? []).map((c) => c["bom-ref"] ?? "");
  const count = (prefix: string, noun: string) => {
    const n = refs.filter((r) => r.startsWith(prefix)).length;
    return `${n} ${noun}${n === 1 ? "" : "s"}`;
  };
  const shown = relative(process.cwd(), output) || output;
  return [
    `The cluster's cryptography as a CycloneDX 1.6 CBOM is in ${shown}: ${count("kem-key/", "KEM key")},`,
    `${count("certificate/", "certificate")}, ${count("finding/", "classical finding")}, no key material.`,
    "Write it again, or read it from the operator (GET /v1/cbom on the issuance API's port):",
    `  node ${relative(process.cwd(), `${repoRoot}/operator/bin/latticeguard.mjs`)} cbom --kubeconfig=${kubeconfig} --output=cbom.json`,
    "  (docs/operations.md#reading-the-cbom says what it holds, with jq examples)",
    ...notes.map((n) => `  ${n}`),
  ];
}

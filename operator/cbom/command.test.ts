import { mkdtemp, readFile, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cbomCommand, type CbomIo } from "./command.ts";
import type { ClusterSnapshot } from "./inventory-of.ts";
import type { ReadScope } from "./read.ts";
import { cbomSchemaErrors, sampleSnapshot } from "./testing.ts";

const now = new Date("2026-06-01T12:00:00Z");
const { snapshot, keyIds } = await sampleSnapshot(now);
/** A kubeconfig that names a server nobody calls: the reader is replaced. */
const KUBECONFIG = join(await mkdtemp(join(tmpdir(), "cbom-kc-")), "kubeconfig");
await writeFile(
  KUBECONFIG,
  [
    "apiVersion: v1",
    "kind: Config",
    "clusters: [{ name: unused, cluster: { server: 'https://127.0.0.1:1' } }]",
    "users: [{ name: unused, user: {} }]",
    "contexts: [{ name: unused, context: { cluster: unused, user: unused } }]",
    "current-context: unused",
  ].join("\n"),
);

function run(argv: string[], read: CbomIo["read"] = () => Promise.resolve(snapshot)) {
  const out: string[] = [];
  const err: string[] = [];
  const scopes: ReadScope[] = [];
  const io: Partial<CbomIo> = {
    read: (kc, scope) => (scopes.push(scope), read(kc, scope)),
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    env: { KUBECONFIG },
    now: () => now,
  };
  return cbomCommand(argv, io).then((code) => ({
    code,
    out: out.join(""),
    err: err.join(""),
    scopes,
  }));
}

describe("cbomCommand", () => {
  it("writes a valid CBOM to stdout, naming every key", async () => {
    const { code, out, err, scopes } = await run([]);
    expect(code).toBe(0);
    expect(err).toBe("");
    expect(await cbomSchemaErrors(out)).toBeNull();
    for (const id of keyIds) expect(out).toContain(`"id": "${id}"`);
    expect(scopes).toEqual([
      expect.objectContaining({
        source: "latticeguard cbom",
        namespace: "latticeguard-system",
        bundleConfigMap: "latticeguard-trust-bundle",
        webhookSecret: "latticeguard-webhook-tls",
      }),
    ]);
  });

  it("writes --output in one piece, and says each gap on stderr", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cbom-"));
    const output = join(dir, "cbom.json");
    const gapped: ClusterSnapshot = {
      ...snapshot,
      gaps: ["could not read pods (HTTP 403: forbidden): left out"],
    };
    const { code, out, err } = await run([`--output=${output}`, "--watch-namespaces=mcp"], () =>
      Promise.resolve(gapped),
    );
    expect(code).toBe(0);
    expect(out).toBe("");
    expect(err).toBe("latticeguard cbom: could not read pods (HTTP 403: forbidden): left out\n");
    expect(await cbomSchemaErrors(await readFile(output, "utf8"))).toBeNull();
    expect(await readdir(dir)).toEqual(["cbom.json"]);
  });

  it.each([
    {
      what: "bad flags",
      argv: ["--namespace=NO"],
      code: 2,
      err: /--namespace: "NO" is not a namespace name/,
    },
    {
      what: "an unreadable cluster",
      argv: [],
      read: () => Promise.reject(new Error("HTTP 403: mcpservers is forbidden\nmore")),
      code: 1,
      err: /^latticeguard cbom: could not read the cluster: HTTP 403: mcpservers is forbidden\n$/,
    },
    {
      what: "an unwritable output",
      argv: ["--output=/nonexistent-dir/cbom.json"],
      code: 1,
      err: /could not write \/nonexistent-dir\/cbom.json/,
    },
  ])("fails on $what with exit code $code", async ({ argv, read, code, err }) => {
    const result = await run(argv, read);
    expect(result.code).toBe(code);
    expect(result.err).toMatch(err);
    expect(result.out).toBe("");
  });

  it("prints its help", async () => {
    const { code, out } = await run(["--help"]);
    expect(code).toBe(0);
    expect(out).toMatch(/^Usage: latticeguard cbom/);
  });
});

/**
 * `make verify` must fail when a committed CRD (in `crds/` or the chart), or the generated types disagree
 * with the schemas. These tests run the real generator in a scratch copy of the files it reads and writes.
 */
import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "./tools.ts";

const run = promisify(execFile);
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "latticeguard-generate-"));
  for (const path of [
    "hack",
    "operator/api",
    "crds",
    "charts/latticeguard/templates/crds",
    "config/samples",
    "docs",
    "package.json",
  ]) {
    await cp(join(repoRoot, path), join(scratch, path), { recursive: true });
  }
  await symlink(join(repoRoot, "node_modules"), join(scratch, "node_modules"));
});

afterAll(() => rm(scratch, { recursive: true, force: true }));

async function verify(): Promise<{ code: number; stderr: string }> {
  try {
    await run(process.execPath, [join(scratch, "hack/generate.ts"), "--verify"]);
    return { code: 0, stderr: "" };
  } catch (error) {
    const { code, stderr } = error as { code: number; stderr: string };
    return { code, stderr };
  }
}

async function edit(path: string, change: (text: string) => string): Promise<() => Promise<void>> {
  const file = join(scratch, path);
  const original = await readFile(file, "utf8");
  await writeFile(file, change(original));
  return () => writeFile(file, original);
}

describe("hack/generate.ts --verify", () => {
  it("passes on the committed files", async () => {
    expect(await verify()).toEqual({ code: 0, stderr: "" });
  });

  it.each([
    ["crds/latticeguard.dev_mcpservers.yaml", (t: string) => t.replace("- sse", "- websocket")],
    [
      "crds/latticeguard.dev_cryptopolicies.yaml",
      (t: string) => t.replace("minimum: 1\n", "minimum: 0\n"),
    ],
    ["operator/api/types.generated.ts", (t: string) => t.replace("ttl: string;", "ttl?: string;")],
    [
      "charts/latticeguard/templates/crds/latticeguard.dev_mcpservers.yaml",
      (t: string) => t.replace("- sse", "- websocket"),
    ],
    [
      "charts/latticeguard/templates/crds/latticeguard.dev_cryptopolicies.yaml",
      (t: string) => t.replace("helm.sh/resource-policy: keep", "helm.sh/resource-policy: delete"),
    ],
  ])("fails when %s disagrees with the schemas", async (path, change) => {
    const restore = await edit(path, change);
    try {
      const { code, stderr } = await verify();
      expect(code).toBe(1);
      expect(stderr).toContain(`${path} is out of date`);
    } finally {
      await restore();
    }
  });

  it("fails when a schema changes and the generated files were not regenerated", async () => {
    const restore = await edit("operator/api/mcpserver.schema.ts", (t) =>
      t.replace("serviceName: string(", "serviceHost: string("),
    );
    try {
      const { code, stderr } = await verify();
      expect(code).toBe(1);
      expect(stderr).toMatch(/^crds\/latticeguard.dev_mcpservers.yaml is out of date/m);
      expect(stderr).toContain(
        "charts/latticeguard/templates/crds/latticeguard.dev_mcpservers.yaml is out of date",
      );
      expect(stderr).toContain("operator/api/types.generated.ts is out of date");
    } finally {
      await restore();
    }
  });
});

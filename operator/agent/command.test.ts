import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { testAnchor, testWorkload } from "../crypto/testdata/identities.ts";
import { agentCommand, identityInPlace } from "./command.ts";

let dir: string;
let certificate: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "agent-check-"));
  ({ certificate } = await testWorkload(await testAnchor(), { serviceAccount: "search" }));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("identityInPlace", () => {
  it("is false until a key and a currently valid certificate are in place", async () => {
    const now = new Date();
    expect(await identityInPlace(dir, now)).toBe(false);
    await writeFile(join(dir, "cert.pem"), certificate);
    expect(await identityInPlace(dir, now)).toBe(false); // no key yet
    await writeFile(join(dir, "key.pem"), "K");
    expect(await identityInPlace(dir, now)).toBe(true);
    expect(await identityInPlace(dir, new Date(now.getTime() + 2 * 3_600_000))).toBe(false); // expired
    await writeFile(join(dir, "cert.pem"), "not a certificate");
    expect(await identityInPlace(dir, now)).toBe(false);
  });
});

describe("agentCommand", () => {
  it.each([
    [["--help"], 0],
    [["--issuer=http://insecure"], 2],
    [["--check", "--out-dir=/nonexistent/latticeguard"], 1],
  ])("%j exits %i", async (argv, code) => {
    const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      expect(await agentCommand(argv)).toBe(code);
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  });
});

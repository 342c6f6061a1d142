import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeAtomically, writeIdentityFiles } from "./files.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "agent-files-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const mode = async (name: string) => (await stat(join(dir, name))).mode & 0o777;

describe("writeIdentityFiles", () => {
  it("writes the key 0600 and the certificate and bundle 0644, leaving no temporary files", async () => {
    const old = process.umask(0o077); // a umask that would narrow 0644
    try {
      await writeIdentityFiles(dir, { bundle: "B\n", keyPem: "K\n", certificate: "C\n" });
    } finally {
      process.umask(old);
    }
    expect((await readdir(dir)).sort()).toEqual(["bundle.pem", "cert.pem", "key.pem"]);
    expect(await readFile(join(dir, "key.pem"), "utf8")).toBe("K\n");
    expect(await mode("key.pem")).toBe(0o600);
    expect(await mode("cert.pem")).toBe(0o644);
    expect(await mode("bundle.pem")).toBe(0o644);
  });

  it("makes the directory, private to the agent, when it does not exist yet", async () => {
    const out = join(dir, "identity");
    await writeIdentityFiles(out, { bundle: "B\n", keyPem: "K\n", certificate: "C\n" });
    expect((await readdir(out)).sort()).toEqual(["bundle.pem", "cert.pem", "key.pem"]);
    expect((await stat(out)).mode & 0o777).toBe(0o700);
  });

  it("replaces existing files by rename (a reader holding the old file keeps reading it)", async () => {
    await writeFile(join(dir, "cert.pem"), "old");
    const before = await stat(join(dir, "cert.pem"));
    await writeIdentityFiles(dir, { bundle: "B", keyPem: "K", certificate: "new" });
    expect(await readFile(join(dir, "cert.pem"), "utf8")).toBe("new");
    expect((await stat(join(dir, "cert.pem"))).ino).not.toBe(before.ino);
  });
});

describe("writeAtomically", () => {
  it("leaves the old file and no temporary file when the rename fails", async () => {
    await writeFile(join(dir, "cert.pem"), "old");
    // A directory in the way of the rename makes it fail after the temporary file was written.
    await expect(writeAtomically(join(dir, "missing"), "cert.pem", "new", 0o644)).rejects.toThrow(
      /ENOENT/,
    );
    const { mkdir } = await import("node:fs/promises");
    await mkdir(join(dir, "blocked"));
    await mkdir(join(dir, "blocked", "cert.pem"));
    await expect(writeAtomically(join(dir, "blocked"), "cert.pem", "new", 0o644)).rejects.toThrow();
    expect(await readdir(join(dir, "blocked"))).toEqual(["cert.pem"]);
    expect(await readFile(join(dir, "cert.pem"), "utf8")).toBe("old");
  });
});

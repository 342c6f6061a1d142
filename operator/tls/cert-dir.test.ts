import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { DirectoryCertificates } from "./cert-dir.ts";
import { DAY_MS, createCA, issueServing } from "./certs.ts";

const log = pino({ level: "silent" });

describe("DirectoryCertificates (cert-manager mode)", async () => {
  const dir = await mkdtemp(join(tmpdir(), "lg-certs-"));
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const ca = await createCA(new Date(), DAY_MS);
  const first = await issueServing(ca, { dns: ["a.svc"], ips: [] }, new Date(), DAY_MS);
  const second = await issueServing(ca, { dns: ["a.svc"], ips: [] }, new Date(), DAY_MS);
  const write = async (pair: { cert: string; key: string }) => {
    await writeFile(join(dir, "tls.crt"), pair.cert);
    await writeFile(join(dir, "tls.key"), pair.key);
  };

  it("loads nothing until the files exist, then loads and reloads them", async () => {
    const certs = new DirectoryCertificates({ dir, log });
    const seen: string[] = [];
    certs.onChange((p) => seen.push(p.cert));
    await certs.load();
    expect(certs.current()).toBeUndefined();
    await write(first);
    await certs.load();
    expect(certs.current()).toEqual(first);
    await certs.load();
    await write(second);
    await certs.load();
    expect(seen).toEqual([first.cert, second.cert]);
  });

  it("keeps the last good pair when the files do not match", async () => {
    const certs = new DirectoryCertificates({ dir, log });
    await write(first);
    await certs.load();
    await write({ cert: second.cert, key: first.key });
    await certs.load();
    expect(certs.current()).toEqual(first);
  });
});

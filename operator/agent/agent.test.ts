// The agent's loop with a fake clock and an issuer function in place of the HTTPS call (the real issuer
// and the real API server are in test/integration/identity-issuance.test.ts): what it writes, when it
// renews, how it retries, which key and token each request carries, and that it stops. Each step waits
// for the agent's next sleep on the fake clock, never for a real-time deadline, so a slow machine makes
// the test slower but never makes it fail.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { issueCertificate, verifyCsr, type SigningSeed } from "../crypto/index.ts";
import type { Signer } from "../identity/authority.ts";
import { createAnchor } from "../identity/issuer/static-authority.ts";
import { FakeClock } from "../runtime/clock.ts";
import { runAgent, type AgentOptions } from "./agent.ts";
import { IssuerRefusedError, type IdentityRequest, type IssuerAnswer } from "./client.ts";

const HOUR = 3_600_000;
const SPIFFE = "spiffe://cluster.local/ns/mcp/sa/search";
const log = pino({ level: "silent" });
let anchor: Signer;
let dir: string;
let clock: FakeClock;
let stop: AbortController;
let running: Promise<void> | undefined;
const requests: { token: string; publicKey: string }[] = [];

beforeAll(async () => {
  anchor = await createAnchor({ lifetimeMs: 30 * 24 * HOUR });
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "agent-"));
  await writeFile(join(dir, "token"), "tok-1\n");
  await writeFile(join(dir, "bundle.in.pem"), anchor.certificate);
  clock = new FakeClock(new Date(Math.floor(Date.now() / 1000) * 1000)); // X.509 times are whole seconds
  stop = new AbortController();
  requests.length = 0;
});
afterEach(async () => {
  stop.abort();
  await running;
  await rm(dir, { recursive: true, force: true });
});

/** An issuer that certifies whatever key the CSR holds for three hours from the fake now. */
async function issue(request: IdentityRequest, key?: SigningSeed): Promise<IssuerAnswer> {
  const subjectKey = await verifyCsr(request.csr);
  requests.push({
    token: request.token,
    publicKey: Buffer.from(subjectKey.publicKey).toString("base64"),
  });
  const now = clock.now().getTime();
  const certificate = await issueCertificate({
    issuer: anchor,
    subjectKey: key
      ? { algorithm: key.algorithm, publicKey: subjectKey.publicKey.map((b) => b ^ 1) }
      : subjectKey,
    spiffeId: SPIFFE,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 3 * HOUR),
  });
  return {
    certificate,
    bundle: anchor.certificate,
    spiffeId: SPIFFE,
    notAfter: new Date(now + 3 * HOUR).toISOString(),
  };
}

function start(options: Partial<AgentOptions>): void {
  running = runAgent({
    issuer: new URL("https://issuer.invalid"),
    tokenFile: join(dir, "token"),
    bundleFile: join(dir, "bundle.in.pem"),
    outDir: dir,
    algorithm: "ML-DSA-65",
    signal: stop.signal,
    log,
    clock,
    random: () => 0.5,
    request: issue,
    ...options,
  });
}

/** Resolves once the agent sleeps: its attempt, whatever it did, is over. */
const sleeping = () => clock.whenTimers(1);

describe("runAgent", () => {
  it("writes an identity, then renews at two thirds of its lifetime with a fresh key and the current token", async () => {
    const written: Date[] = [];
    start({ onWritten: (identity) => written.push(identity.notAfter) });
    await sleeping();
    expect(written).toHaveLength(1);
    const firstKey = await readFile(join(dir, "key.pem"), "utf8");
    expect(firstKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(await readFile(join(dir, "bundle.pem"), "utf8")).toBe(anchor.certificate);
    expect(requests.map((r) => r.token)).toEqual(["tok-1"]);

    await writeFile(join(dir, "token"), "tok-2\n"); // the kubelet rotated it
    // Valid from a minute before issuance for 3 h 1 min: renewal at 2/3 of that, 1 h 59 min 40 s after issuance.
    await clock.advance(2 * HOUR - 20_000 - 1);
    expect(requests).toHaveLength(1);
    await clock.advance(1);
    await sleeping();
    expect(written).toHaveLength(2);
    expect(requests.map((r) => r.token)).toEqual(["tok-1", "tok-2"]);
    expect(requests[1]!.publicKey).not.toBe(requests[0]!.publicKey);
    expect(await readFile(join(dir, "key.pem"), "utf8")).not.toBe(firstKey);
  });

  it("retries with capped exponential backoff on the same key until the issuer answers", async () => {
    let failures = 0;
    start({
      random: () => 1,
      request: (request) => {
        if (++failures <= 3) {
          requests.push({ token: request.token, publicKey: request.csr });
          return Promise.reject(new IssuerRefusedError(503, "NoSigner", "no trust anchor"));
        }
        return issue(request);
      },
    });
    for (const delay of [1000, 2000, 4000]) {
      await sleeping();
      const before = requests.length;
      await clock.advance(delay - 1);
      expect(requests).toHaveLength(before);
      await clock.advance(1);
      await sleeping();
      expect(requests).toHaveLength(before + 1);
    }
    expect(await readFile(join(dir, "cert.pem"), "utf8")).toMatch(/CERTIFICATE/);
    const keys = await Promise.all(
      requests.slice(0, 3).map(async (r) => (await verifyCsr(r.publicKey)).publicKey),
    );
    expect(new Set(keys.map((k) => Buffer.from(k).toString("hex"))).size).toBe(1);
    expect(Buffer.from(keys[0]!).toString("base64")).toBe(requests[3]!.publicKey);
  });

  it("waits as long as the issuer's Retry-After when that is longer than its backoff", async () => {
    let refused = 0;
    start({
      random: () => 0,
      request: (request) => {
        if (++refused <= 1) {
          requests.push({ token: request.token, publicKey: request.csr });
          return Promise.reject(
            new IssuerRefusedError(429, "RateLimited", "too many requests", 7000),
          );
        }
        return issue(request);
      },
    });
    await sleeping();
    // The backoff alone would retry after 500 ms.
    await clock.advance(7000 - 1);
    expect(requests).toHaveLength(1);
    await clock.advance(1);
    await sleeping();
    expect(requests).toHaveLength(2);
  });

  it("writes nothing for an answer that certifies another key, and retries", async () => {
    start({
      request: (request) => issue(request, { algorithm: "ML-DSA-65", seed: new Uint8Array(32) }),
    });
    await sleeping();
    await expect(readFile(join(dir, "cert.pem"))).rejects.toThrow(/ENOENT/);
    await clock.advance(1000);
    await sleeping();
    expect(requests).toHaveLength(2);
  });

  it("retries when the token file is missing, without calling the issuer", async () => {
    await rm(join(dir, "token"));
    start({});
    await sleeping();
    expect(requests).toHaveLength(0);
    await writeFile(join(dir, "token"), "tok-3");
    await clock.advance(1000);
    await sleeping();
    expect(requests.map((r) => r.token)).toEqual(["tok-3"]);
  });

  it("hands the written key to onWritten, and keeps renewing when onWritten throws", async () => {
    const keys: string[] = [];
    start({
      onWritten: (identity) => {
        keys.push(identity.keyPem);
        throw new Error("the caller failed to use it");
      },
    });
    await sleeping();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toBe(await readFile(join(dir, "key.pem"), "utf8"));
    await clock.advance(2 * HOUR);
    await sleeping();
    expect(keys).toHaveLength(2);
    expect(keys[1]).not.toBe(keys[0]);
  });

  it("stops when the signal aborts, while sleeping", async () => {
    start({});
    await sleeping();
    stop.abort();
    await expect(running).resolves.toBeUndefined();
  });
});

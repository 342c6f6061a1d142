// The issuance API's HTTP layer with a handler that records what reached it: TLS (post-quantum only, an
// ML-DSA certificate from the authority), the body limit, how outcomes become answers, and that every
// request is observed exactly once. The decision itself is tested against the real API server in
// test/integration/identity-*.test.ts.
import { gzipSync } from "node:zlib";
import { pino } from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { IssuanceOutcome } from "./handle.ts";
import { CSR_BODY_LIMIT_BYTES, serveIssuer, type IssuerServer } from "./server.ts";
import { ServingCertificates } from "./serving.ts";
import { createAnchor, createStaticAuthority } from "./static-authority.ts";
import { postToIssuer } from "./test-client.ts";

const log = pino({ level: "silent" });
const ISSUED: IssuanceOutcome = {
  ok: true,
  answer: {
    certificate: "C",
    bundle: "B",
    spiffeId: "spiffe://cluster.local/ns/a/sa/b",
    notAfter: "T",
  },
  issued: {
    namespace: "a",
    mcpserver: "m",
    role: "server",
    algorithm: "ML-DSA-65",
    notAfter: new Date(),
    pod: "p",
    serviceAccount: "b",
    spiffeId: "spiffe://cluster.local/ns/a/sa/b",
  },
};

let server: IssuerServer;
let serving: ServingCertificates;
let trust: string;
let next: IssuanceOutcome;
let ready = true;
const received: { authorization: string | undefined; body: unknown }[] = [];
const observed: IssuanceOutcome[] = [];

beforeAll(async () => {
  const authority = await createStaticAuthority();
  trust = authority.anchor.certificate;
  serving = new ServingCertificates({ authority, dnsNames: ["issuer.test"], log });
  serving.start();
  await serving.whenReady();
  server = await serveIssuer({
    host: "127.0.0.1",
    port: 0,
    handle: (authorization, body) => {
      received.push({ authorization, body });
      return Promise.resolve(next);
    },
    certificates: serving,
    observe: (outcome) => observed.push(outcome),
    ready: () => ready,
    log,
  });
});
afterAll(async () => {
  await serving.stop();
  await server.close();
});
beforeEach(() => {
  received.length = 0;
  observed.length = 0;
  next = ISSUED;
});

describe("TLS", () => {
  it("negotiates X25519MLKEM768 with an ML-DSA certificate the anchor issued", async () => {
    const r = await postToIssuer({ port: server.port, trust, token: "a.b.c", body: "x" });
    expect(r.error).toBeUndefined();
    expect(r.group).toBe("X25519MLKEM768");
    expect(r.status).toBe(200);
  });

  it("refuses a client that offers only classical key exchange", async () => {
    const r = await postToIssuer({ port: server.port, trust, body: "x", groups: "X25519:P-256" });
    expect(r.status).toBe(0);
    expect(r.error).toBe("EPROTO");
    expect(r.errorMessage).toMatch(/handshake failure/);
    expect(received).toHaveLength(0);
  });

  it("is refused by a client that trusts another anchor", async () => {
    const other = await createAnchor();
    const r = await postToIssuer({ port: server.port, trust: other.certificate, body: "x" });
    expect(r.error).toBe("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
    expect(received).toHaveLength(0);
  });
});

describe("POST /v1/identity", () => {
  it("hands the Authorization header and the body as text to the handler, and answers its JSON", async () => {
    const r = await postToIssuer({
      port: server.port,
      trust,
      token: "a.b.c",
      body: "-----BEGIN CERTIFICATE REQUEST-----",
      headers: { "content-type": "application/pkcs10" },
    });
    expect(received).toEqual([
      { authorization: "Bearer a.b.c", body: "-----BEGIN CERTIFICATE REQUEST-----" },
    ]);
    expect(r.json).toEqual(ISSUED.ok && ISSUED.answer);
    expect(r.headers["cache-control"]).toBe("no-store");
    expect(observed).toEqual([ISSUED]);
  });

  it.each([
    ["PodNotSelected", 403],
    ["WrongAudience", 401],
    ["MalformedCSR", 400],
    ["NoSigner", 503],
  ] as const)(
    "answers a %s refusal with %i and { reason, message } only",
    async (reason, status) => {
      next = {
        ok: false,
        refusal: { reason, message: "why" },
        cause: new Error("internal detail"),
      };
      const r = await postToIssuer({ port: server.port, trust, token: "a.b.c", body: "x" });
      expect(r.status).toBe(status);
      expect(r.json).toEqual({ reason, message: "why" });
      expect(observed).toHaveLength(1);
    },
  );

  it("refuses a body over the limit with 413 BodyTooLarge before the handler", async () => {
    const body = "A".repeat(CSR_BODY_LIMIT_BYTES + 1);
    const r = await postToIssuer({ port: server.port, trust, token: "a.b.c", body });
    expect(r.status).toBe(413);
    expect(r.json).toMatchObject({ reason: "BodyTooLarge" });
    expect(received).toHaveLength(0);
    expect(observed.map((o) => !o.ok && o.refusal.reason)).toEqual(["BodyTooLarge"]);
  });

  it("takes a body exactly at the limit", async () => {
    const body = "A".repeat(CSR_BODY_LIMIT_BYTES);
    const r = await postToIssuer({ port: server.port, trust, token: "a.b.c", body });
    expect(r.status).toBe(200);
    expect((received[0]?.body as string).length).toBe(CSR_BODY_LIMIT_BYTES);
  });

  it("refuses a compressed body as MalformedCSR rather than inflating it", async () => {
    const r = await postToIssuer({
      port: server.port,
      trust,
      token: "a.b.c",
      body: gzipSync("A".repeat(1_000_000)),
      headers: { "content-encoding": "gzip" },
    });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ reason: "MalformedCSR" });
    expect(received).toHaveLength(0);
    expect(observed).toHaveLength(1);
  });
});

describe("health", () => {
  const status = async (path: string) =>
    (await postToIssuer({ port: server.port, trust, path, method: "GET" })).status;

  it("answers /healthz, and /readyz 503 until the caches are ready", async () => {
    expect(await status("/healthz")).toBe(200);
    expect(await status("/readyz")).toBe(200);
    ready = false;
    expect(await status("/readyz")).toBe(503);
    ready = true;
  });
});

describe("limits", () => {
  let limited: IssuerServer;
  let now = 0;
  let gate: PromiseWithResolvers<void> | undefined;
  const seen: IssuanceOutcome[] = [];
  const handled: string[] = [];

  beforeAll(async () => {
    limited = await serveIssuer({
      host: "127.0.0.1",
      port: 0,
      handle: async (authorization) => {
        handled.push(authorization ?? "");
        await gate?.promise;
        return ISSUED;
      },
      certificates: serving,
      observe: (outcome) => seen.push(outcome),
      log,
      limits: { perSecond: 2, burst: 3, maxInFlight: 2 },
      now: () => now,
    });
  });
  afterAll(() => limited.close());
  beforeEach(() => {
    now += 3_600_000; // every bucket full again
    seen.length = 0;
    handled.length = 0;
    gate = undefined;
  });

  const post = (options: { localAddress?: string; body?: string } = {}) =>
    postToIssuer({ port: limited.port, trust, token: "a.b.c", body: "x", ...options });
  const reasons = () => seen.map((o) => (o.ok ? "issued" : o.refusal.reason));

  it("answers a client over its rate 429 RateLimited with Retry-After, and counts it", async () => {
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await post()).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const r = await post();
    expect(r.json).toEqual({
      reason: "RateLimited",
      message: "too many requests from this client; try again later",
    });
    expect(r.headers["retry-after"]).toBe("1");
    expect(reasons()).toEqual([
      "issued",
      "issued",
      "issued",
      "RateLimited",
      "RateLimited",
      "RateLimited",
    ]);
    expect(handled).toHaveLength(3);
  });

  it("serves another client while one is limited, and the limited one again once its bucket refills", async () => {
    for (let i = 0; i < 4; i++) await post();
    expect((await post()).status).toBe(429);
    expect((await post({ localAddress: "127.0.0.2" })).status).toBe(200);
    now += 500; // one request's worth at 2/s
    expect((await post()).status).toBe(200);
    expect((await post()).status).toBe(429);
  });

  it("refuses a limited client before reading its body, so an oversized body is 429, not 413", async () => {
    for (let i = 0; i < 3; i++) await post();
    const r = await post({ body: "A".repeat(CSR_BODY_LIMIT_BYTES * 4) });
    expect(r.status).toBe(429);
  });

  it("answers 503 Overloaded with Retry-After once maxInFlight requests are being decided", async () => {
    gate = Promise.withResolvers<void>();
    const first = post({ localAddress: "127.0.0.3" });
    const second = post({ localAddress: "127.0.0.4" });
    await expect.poll(() => handled.length).toBe(2);
    const third = await post({ localAddress: "127.0.0.5" });
    expect(third.status).toBe(503);
    expect(third.json).toMatchObject({ reason: "Overloaded" });
    expect(third.headers["retry-after"]).toBe("1");
    gate.resolve();
    expect([(await first).status, (await second).status]).toEqual([200, 200]);
    // The places are free again.
    expect((await post({ localAddress: "127.0.0.5" })).status).toBe(200);
    expect(reasons().sort()).toEqual(["Overloaded", "issued", "issued", "issued"]);
  });

  it("frees the place of a request whose handler threw", async () => {
    const failing = await serveIssuer({
      host: "127.0.0.1",
      port: 0,
      handle: () => Promise.reject(new Error("boom")),
      certificates: serving,
      observe: () => undefined,
      log,
      limits: { maxInFlight: 1 },
    });
    try {
      for (let i = 0; i < 3; i++) {
        const r = await postToIssuer({ port: failing.port, trust, token: "a.b.c", body: "x" });
        expect(r.json).toMatchObject({ reason: "InternalError" });
      }
    } finally {
      await failing.close();
    }
  });
});

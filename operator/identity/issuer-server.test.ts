// The issuance API's HTTP layer with a handler that records what reached it: TLS (post-quantum only, an
// ML-DSA certificate from the authority), the body limit, how outcomes become answers, and that every
// request is observed exactly once. The decision itself is tested against the real API server in
// test/integration/identity-*.test.ts.
import { gzipSync } from "node:zlib";
import { pino } from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { IssuanceOutcome } from "./issuer-handle.ts";
import { CSR_BODY_LIMIT_BYTES, serveIssuer, type IssuerServer } from "./issuer-server.ts";
import { ServingCertificates } from "./issuer-serving.ts";
import { createAnchor, createStaticAuthority } from "./issuer-static-authority.ts";
import { postToIssuer } from "./issuer-test-client.ts";

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

// The agent's client against the issuer's real HTTPS layer (issuer-server.ts) with a handler that answers
// what each test sets: how answers and refusals are decoded, and which TLS it insists on.
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IssuanceOutcome } from "../identity/issuer/handle.ts";
import { serveIssuer, type IssuerServer } from "../identity/issuer/server.ts";
import { ServingCertificates } from "../identity/issuer/serving.ts";
import { createAnchor, createStaticAuthority } from "../identity/issuer/static-authority.ts";
import { IssuerRefusedError, requestIdentity, retryAfterMs } from "./client.ts";

const log = pino({ level: "silent" });
const ANSWER = { certificate: "C", bundle: "B", spiffeId: "S", notAfter: "T" };
let trust: string;
let serving: ServingCertificates;
const servers: IssuerServer[] = [];
let next: IssuanceOutcome;
const seen: { authorization: string | undefined; body: unknown }[] = [];

async function server(tlsGroups?: string, perSecond?: number): Promise<URL> {
  const s = await serveIssuer({
    host: "127.0.0.1",
    port: 0,
    handle: (authorization, body) => {
      seen.push({ authorization, body });
      return Promise.resolve(next);
    },
    certificates: serving,
    observe: () => undefined,
    log,
    tlsGroups,
    ...(perSecond !== undefined && { limits: { perSecond, burst: 1, maxInFlight: 8 } }),
  });
  servers.push(s);
  return new URL(`https://127.0.0.1:${s.port}`);
}

beforeAll(async () => {
  const authority = await createStaticAuthority();
  trust = authority.anchor.certificate;
  serving = new ServingCertificates({ authority, dnsNames: [], log });
  serving.start();
  await serving.whenReady();
});
afterAll(async () => {
  await serving.stop();
  await Promise.all(servers.map((s) => s.close()));
});

describe("requestIdentity", () => {
  it("posts the CSR with the bearer token and decodes the answer", async () => {
    next = { ok: true, answer: ANSWER, issued: {} as never };
    const issuer = await server();
    await expect(requestIdentity({ issuer, token: "a.b.c", csr: "CSR", trust })).resolves.toEqual(
      ANSWER,
    );
    expect(seen.at(-1)).toEqual({ authorization: "Bearer a.b.c", body: "CSR" });
  });

  it("turns a refusal into an IssuerRefusedError with the status and reason", async () => {
    next = {
      ok: false,
      refusal: { reason: "PodNotSelected", message: "no MCPServer selects pod" },
    };
    const issuer = await server();
    const error = await requestIdentity({ issuer, token: "a.b.c", csr: "CSR", trust }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(IssuerRefusedError);
    expect(error).toMatchObject({
      status: 403,
      reason: "PodNotSelected",
      message: "the issuer refused with 403 PodNotSelected: no MCPServer selects pod",
    });
  });

  it("reads how long a rate-limited client must wait from Retry-After", async () => {
    next = { ok: true, answer: ANSWER, issued: {} as never };
    const issuer = await server(undefined, 0.25);
    await requestIdentity({ issuer, token: "a.b.c", csr: "CSR", trust });
    const error = await requestIdentity({ issuer, token: "a.b.c", csr: "CSR", trust }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ status: 429, reason: "RateLimited", retryAfterMs: 4000 });
  });

  it("refuses an answer without the expected fields", async () => {
    next = {
      ok: true,
      answer: { ...ANSWER, certificate: undefined } as never,
      issued: {} as never,
    };
    const issuer = await server();
    await expect(requestIdentity({ issuer, token: "a.b.c", csr: "CSR", trust })).rejects.toThrow(
      "the issuer answered 200 without the expected JSON body",
    );
  });

  it("refuses an issuer whose certificate does not chain to the trusted anchors", async () => {
    const issuer = await server();
    const other = (await createAnchor()).certificate;
    await expect(
      requestIdentity({ issuer, token: "a.b.c", csr: "CSR", trust: other }),
    ).rejects.toMatchObject({
      code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    });
  });

  it("refuses an issuer that offers only classical key exchange", async () => {
    const before = seen.length;
    const issuer = await server("X25519");
    await expect(requestIdentity({ issuer, token: "a.b.c", csr: "CSR", trust })).rejects.toThrow(
      /handshake failure/,
    );
    expect(seen).toHaveLength(before);
  });

  it("stops when its signal aborts", async () => {
    const issuer = await server();
    const stop = new AbortController();
    stop.abort();
    await expect(
      requestIdentity({ issuer, token: "a.b.c", csr: "CSR", trust, signal: stop.signal }),
    ).rejects.toThrow(/aborted/);
  });
});

describe("retryAfterMs", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  it.each<[string, string | undefined, number | undefined]>([
    ["seconds", "3", 3000],
    ["zero seconds", "0", 0],
    ["an HTTP date", "Thu, 01 Jan 2026 00:00:05 GMT", 5000],
    ["a date in the past", "Wed, 31 Dec 2025 23:59:00 GMT", 0],
    ["more than a minute, capped", "3600", 60_000],
    ["no header", undefined, undefined],
    ["something unreadable", "soon", undefined],
    ["a negative number", "-5", undefined],
  ])("reads %s", (_name, header, ms) => {
    expect(retryAfterMs(header, now)).toBe(ms);
  });
});

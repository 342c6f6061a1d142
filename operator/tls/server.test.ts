// The TLS listener's connection limits with real sockets on loopback: connections over the total or
// per-client limit are closed as they arrive, and connections that stall (no handshake, no request,
// headers a byte at a time) are closed by their timeouts while a well-behaved client is answered.
// Timeouts here are short so each stalled connection ends within the test's own time limit; what is
// asserted is that it ends, and how, never how fast.
import type { IncomingMessage, ServerResponse } from "node:http";
import { connect as connectTcp, type Socket } from "node:net";
import { connect as connectTls, type ConnectionOptions, type TLSSocket } from "node:tls";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { loopbackCertificates } from "../../webhook/testing/static-certificates.ts";
import {
  DEFAULT_CONNECTION_LIMITS,
  listenTls,
  type ConnectionLimits,
  type ConnectionRefusal,
  type TlsServer,
} from "./server.ts";

const log = pino({ level: "silent" });
const certs = await loopbackCertificates();
const GROUPS = "X25519MLKEM768:X25519";
const FAST: ConnectionLimits = {
  maxConnections: 64,
  handshakeTimeoutMs: 300,
  headersTimeoutMs: 300,
  requestTimeoutMs: 600,
  keepAliveTimeoutMs: 300,
};

let server: TlsServer | undefined;
const open: Socket[] = [];
afterEach(async () => {
  for (const socket of open.splice(0)) socket.destroy();
  await server?.close();
  server = undefined;
});

async function serve(limits: ConnectionLimits, refusals: ConnectionRefusal[] = []) {
  // Answers once the whole request has arrived.
  const app = (req: IncomingMessage, res: ServerResponse) =>
    req.resume().once("end", () => res.end("ok"));
  server = await listenTls(app, {
    host: "127.0.0.1",
    port: 0,
    groups: GROUPS,
    certificates: certs.source,
    log,
    name: "Test",
    limits,
    onRefused: (reason) => refusals.push(reason),
  });
  return server.port;
}

/** A TLS connection from `localAddress`; resolves once the handshake is done. */
function tls(port: number, localAddress = "127.0.0.1"): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    // tls.connect takes every net.connect option; its types list only some.
    const options: ConnectionOptions = { port, host: "127.0.0.1", ca: certs.ca.cert };
    const socket = connectTls({ ...options, localAddress } as ConnectionOptions, () =>
      resolve(socket),
    );
    open.push(socket);
    socket.once("error", reject);
  });
}

/** What the peer sent until the connection closed, and whether it closed before a handshake. */
function untilClosed(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    socket.on("data", (chunk: Buffer) => (text += chunk.toString("latin1")));
    socket.on("error", () => undefined);
    socket.once("close", () => resolve(text));
  });
}

/** Whether a connection attempt completes a TLS handshake (true) or is closed first (false). */
function handshakes(port: number, localAddress = "127.0.0.1"): Promise<boolean> {
  return tls(port, localAddress).then(
    () => true,
    () => false,
  );
}

async function get(socket: TLSSocket, path = "/"): Promise<string> {
  const answer = new Promise<string>((resolve) =>
    socket.once("data", (chunk: Buffer) => resolve(chunk.toString("latin1"))),
  );
  socket.write(`GET ${path} HTTP/1.1\r\nHost: test\r\n\r\n`);
  return answer;
}

describe("timeouts", () => {
  it("answers a client that sends its request promptly", async () => {
    const port = await serve(FAST);
    const answer = await get(await tls(port));
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(answer).toMatch(/\r\n\r\nok$/);
  });

  it("closes a TCP connection that never starts a TLS handshake", async () => {
    const port = await serve(FAST);
    const socket = connectTcp({ port, host: "127.0.0.1" });
    open.push(socket);
    expect(await untilClosed(socket)).toBe("");
  });

  it("closes a TLS connection that never sends a request, with 408", async () => {
    const port = await serve(FAST);
    expect(await untilClosed(await tls(port))).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("closes a connection that trickles its headers (slowloris), with 408", async () => {
    const port = await serve(FAST);
    const socket = await tls(port);
    const closed = untilClosed(socket);
    const drip = setInterval(() => socket.write("X"), 50);
    socket.write("GET / HTTP/1.1\r\nHost: test\r\nX-Slow: ");
    try {
      expect(await closed).toMatch(/^HTTP\/1\.1 408 /);
    } finally {
      clearInterval(drip);
    }
  });

  it("closes a connection whose body never finishes", async () => {
    const port = await serve(FAST);
    const socket = await tls(port);
    const closed = untilClosed(socket);
    socket.write("POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\nabc");
    expect(await closed).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("closes an idle keep-alive connection after its request", async () => {
    const port = await serve(FAST);
    const socket = await tls(port);
    const closed = untilClosed(socket);
    expect(await get(socket)).toMatch(/^HTTP\/1\.1 200 /);
    await closed;
    expect(socket.destroyed).toBe(true);
  });
});

describe("connection limits", () => {
  it("closes connections over the per-client limit, not other clients' or later ones", async () => {
    const refusals: ConnectionRefusal[] = [];
    const port = await serve(
      { ...FAST, requestTimeoutMs: 60_000, headersTimeoutMs: 60_000, maxConnectionsPerClient: 2 },
      refusals,
    );
    const first = await tls(port);
    await tls(port);
    expect(await handshakes(port)).toBe(false);
    expect(refusals).toEqual(["ClientFull"]);
    expect(await handshakes(port, "127.0.0.2")).toBe(true);
    first.destroy();
    await new Promise((resolve) => first.once("close", resolve));
    await expect.poll(() => handshakes(port)).toBe(true);
  });

  it("closes connections over the total limit", async () => {
    const refusals: ConnectionRefusal[] = [];
    const port = await serve(
      { ...FAST, headersTimeoutMs: 60_000, requestTimeoutMs: 60_000, maxConnections: 3 },
      refusals,
    );
    for (const address of ["127.0.0.1", "127.0.0.2", "127.0.0.3"]) await tls(port, address);
    expect(await handshakes(port, "127.0.0.4")).toBe(false);
    expect(refusals).toEqual(["ServerFull"]);
  });

  it.each<[string, Partial<ConnectionLimits>, string]>([
    ["a zero connection limit", { maxConnections: 0 }, "`limits.maxConnections`"],
    [
      "a fractional per-client limit",
      { maxConnectionsPerClient: 1.5 },
      "`limits.maxConnectionsPerClient`",
    ],
    ["a negative timeout", { handshakeTimeoutMs: -1 }, "`limits.handshakeTimeoutMs`"],
    [
      "headers allowed longer than the request",
      { headersTimeoutMs: 20_000, requestTimeoutMs: 10_000 },
      "`limits.headersTimeoutMs` must not exceed",
    ],
  ])("refuses %s", async (_name, change, message) => {
    await expect(serve({ ...DEFAULT_CONNECTION_LIMITS, ...change })).rejects.toThrow(message);
  });
});

/**
 * Endpoints for the probe's tests and benchmark: TLS 1.3 servers on loopback offering chosen groups
 * with a chosen certificate (optionally demanding a client certificate, as LatticeGuard's proxy does),
 * and a blackhole that accepts TCP connections and never says a word.
 *
 * @example
 * const pq = await tlsEndpoint({ certificate, keyPem, groups: ["X25519MLKEM768"] });
 * const hole = await blackhole();
 * await hole.connected(); // a client's handshake is now pending, and stays so until it gives up
 * await Promise.all([pq.close(), hole.close()]);
 */
import { createServer as createTcpServer, type Server, type Socket } from "node:net";
import { createServer } from "node:tls";

/**
 * A listening test endpoint. `open` and `connected()` let a test know that a client is connected
 * right now: at a blackhole, that a handshake is under way and unanswered.
 *
 * @example
 * const { port, close }: TestEndpoint = await blackhole();
 */
export interface TestEndpoint {
  port: number;
  /** TCP connections accepted and not yet closed. */
  readonly open: number;
  /** Resolves once a connection is open (at once if one is). */
  connected(): Promise<void>;
  close(): Promise<void>;
}

async function listening(server: Server, host: string): Promise<TestEndpoint> {
  const sockets = new Set<Socket>();
  let waiting: (() => void)[] = [];
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.once("close", () => sockets.delete(socket));
    for (const resolve of waiting) resolve();
    waiting = [];
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : 0,
    get open() {
      return sockets.size;
    },
    connected: () =>
      sockets.size > 0 ? Promise.resolve() : new Promise<void>((resolve) => waiting.push(resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * A TLS 1.3 server on `host` (default 127.0.0.1) offering `groups` with `certificate`; with
 * `clientCa`, it demands a client certificate from those anchors.
 *
 * @example
 * await tlsEndpoint({ certificate, keyPem, groups: ["X25519MLKEM768", "X25519"] });
 */
export function tlsEndpoint(options: {
  certificate: string;
  keyPem: string;
  groups: readonly string[];
  clientCa?: readonly string[];
  host?: string;
}): Promise<TestEndpoint> {
  const server = createServer(
    {
      cert: options.certificate,
      key: options.keyPem,
      minVersion: "TLSv1.3",
      ecdhCurve: options.groups.join(":"),
      ...(options.clientCa && {
        ca: [...options.clientCa],
        requestCert: true,
        rejectUnauthorized: true,
      }),
    },
    (socket) => socket.end(),
  );
  server.on("tlsClientError", () => undefined);
  return listening(server, options.host ?? "127.0.0.1");
}

/**
 * A TCP server that accepts and never answers: a handshake with it only ends by timing out.
 *
 * @example
 * const hole = await blackhole();
 */
export function blackhole(host = "127.0.0.1"): Promise<TestEndpoint> {
  // Reads and drops what arrives, so that it sees the client hang up (`open` drops) rather than leave
  // the ClientHello and the FIN behind it unread.
  return listening(
    createTcpServer((socket) => socket.resume()),
    host,
  );
}

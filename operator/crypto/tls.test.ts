// The decisive proof of workload identity: a real TLS 1.3 mutual-auth handshake in node:tls (OpenSSL 3.5)
// between two workloads whose ML-DSA-65 certificates an ML-DSA-87 anchor issued, over the X25519MLKEM768
// hybrid key exchange, with each side reading the other's SPIFFE ID; and refusals of what must not connect.
//
// Node exposes the negotiated group on the client socket only: `getEphemeralKeyInfo()` returns
// `{ type: "TLSGroup", name: "X25519MLKEM768" }` for a TLS 1.3 hybrid group (and null on the server side).
// The server is configured with that group alone, so a handshake that completes on the server used it too.
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import * as tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { peerWorkloadIdentity } from "./spiffe.ts";
import {
  testAnchor,
  testWorkload,
  type TestAnchor,
  type TestWorkload,
} from "./testdata/identities.ts";

const GROUP = "X25519MLKEM768";

let anchor: TestAnchor;
let server: TestWorkload;
let client: TestWorkload;
let foreignClient: TestWorkload;
let foreignServer: TestWorkload;

beforeAll(async () => {
  const [ours, foreign] = await Promise.all([
    testAnchor({ algorithm: "ML-DSA-87" }),
    testAnchor({ algorithm: "ML-DSA-87", trustDomain: "evil.example" }),
  ]);
  anchor = ours;
  [server, client, foreignClient, foreignServer] = await Promise.all([
    testWorkload(ours, { serviceAccount: "search", dnsNames: ["search.mcp.svc"] }),
    testWorkload(ours, { serviceAccount: "agent", namespace: "agents" }),
    testWorkload(foreign, { serviceAccount: "agent", namespace: "agents" }),
    testWorkload(foreign, { serviceAccount: "search", dnsNames: ["search.mcp.svc"] }),
  ]);
});

// What the server saw of each connection, in order: an authorized peer, or a refusal and why.
type Seen = { peer: string } | { refused: string | undefined };

interface RunningServer {
  port: number;
  seen: Seen[];
  close(): Promise<void>;
}

// An MCP-like echo server with `identity`, trusting only our anchor and requiring a client certificate.
async function listen(identity: TestWorkload): Promise<RunningServer> {
  const seen: Seen[] = [];
  const server = tls.createServer(
    {
      cert: identity.certificate,
      key: identity.keyPem,
      ca: [anchor.certificate],
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: "TLSv1.3",
      ecdhCurve: GROUP,
    },
    (socket) => {
      seen.push({
        peer: JSON.stringify(peerWorkloadIdentity(socket.getPeerCertificate().subjectaltname)),
      });
      socket.pipe(socket);
    },
  );
  // Node verifies the client after the handshake and destroys a socket that failed, with the reason here.
  server.on("tlsClientError", (_error, socket) =>
    seen.push({ refused: socket.authorizationError?.toString() }),
  );
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    port,
    seen,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

// Connects as `identity`, sends a line and waits for the echo (or for the connection to end or fail).
async function exchange(port: number, identity: TestWorkload, groups = `${GROUP}:X25519`) {
  const socket = tls.connect({
    host: "127.0.0.1",
    port,
    servername: "search.mcp.svc",
    cert: identity.certificate,
    key: identity.keyPem,
    ca: [anchor.certificate],
    rejectUnauthorized: true,
    ecdhCurve: groups,
  });
  const result = {
    group: undefined as string | undefined,
    peer: undefined as string | undefined,
    peerKeyType: undefined as string | undefined,
    echo: "",
    error: undefined as string | undefined,
  };
  socket.on("secureConnect", () => {
    // @types/node knows only { type: "DH" | "ECDH" }; for a TLS 1.3 group Node 24 reports "TLSGroup".
    result.group = (socket.getEphemeralKeyInfo() as { name?: string } | null)?.name;
    result.peer = socket.getPeerCertificate().subjectaltname;
    result.peerKeyType = socket.getPeerX509Certificate()?.publicKey.asymmetricKeyType;
    socket.write("tools/list\n");
  });
  socket.on("data", (chunk: Buffer) => {
    result.echo += chunk.toString();
    if (result.echo.endsWith("\n")) socket.end();
  });
  socket.on(
    "error",
    (error: NodeJS.ErrnoException) => (result.error = error.code ?? error.message),
  );
  // Not events.once: it would reject on the "error" that a refused handshake is expected to emit.
  await new Promise((resolve) => socket.on("close", resolve));
  return result;
}

describe("mutual TLS 1.3 with ML-DSA workload certificates", () => {
  let running: RunningServer;
  beforeAll(async () => (running = await listen(server)));
  afterAll(() => running.close());

  it("connects two workloads over X25519MLKEM768, each verifying and identifying the other", async () => {
    const result = await exchange(running.port, client);
    expect(result.error).toBeUndefined();
    expect(result.group).toBe(GROUP);
    expect(result.echo).toBe("tools/list\n");
    expect(result.peerKeyType).toBe("ml-dsa-65"); // so the server's CertificateVerify was ML-DSA-65
    expect(peerWorkloadIdentity(result.peer)).toEqual({
      trustDomain: "cluster.local",
      namespace: "mcp",
      serviceAccount: "search",
    });
    expect(running.seen.at(-1)).toEqual({
      peer: JSON.stringify({
        trustDomain: "cluster.local",
        namespace: "agents",
        serviceAccount: "agent",
      }),
    });
  });

  it("refuses a client whose certificate another anchor issued", async () => {
    const before = running.seen.length;
    const result = await exchange(running.port, foreignClient);
    expect(result.echo).toBe("");
    expect(running.seen.slice(before)).toEqual([{ refused: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" }]);
  });

  it("refuses a client that offers only classical key exchange", async () => {
    const result = await exchange(running.port, client, "X25519");
    expect(result.echo).toBe("");
    expect(result.error).toMatch(/HANDSHAKE_FAILURE/);
  });
});

describe("a client facing a server whose certificate another anchor issued", () => {
  let running: RunningServer;
  beforeAll(async () => (running = await listen(foreignServer)));
  afterAll(() => running.close());

  it("refuses it before sending anything", async () => {
    const result = await exchange(running.port, client);
    expect(result.error).toBe("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
    expect(result.echo).toBe("");
    expect(result.group).toBeUndefined();
  });
});

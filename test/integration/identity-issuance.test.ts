/**
 * Workload identity end to end against the real API server: two workloads (a ServiceAccount and a Pod
 * each, selected by an MCPServer) get projected-style tokens from the real TokenRequest API, bound to their
 * pods; `latticeguard agent` (one in this process, one as the real command in a child process) exchanges
 * each for an ML-DSA certificate from the issuance API; then the two certificates meet in a TLS 1.3
 * mutual-auth handshake in node:tls over X25519MLKEM768, each side verifying the other against the bundle
 * the agent wrote and reading the other's SPIFFE ID. A certificate from another anchor is refused. Last,
 * the anchor rotates and the issuer's own certificate follows it.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tls from "node:tls";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { SignatureAlgorithm } from "../../operator/api/algorithms.ts";
import { runAgent } from "../../operator/agent/agent.ts";
import { identityInPlace } from "../../operator/agent/command.ts";
import {
  createCsr,
  nativeSignature,
  peerWorkloadIdentity,
  verifyCertificate,
} from "../../operator/crypto/index.ts";
import { testAnchor, testWorkload } from "../../operator/crypto/testdata/identities.ts";
import {
  createAnchor,
  createStaticAuthority,
  type StaticAuthority,
} from "../../operator/identity/issuer/static-authority.ts";
import { postToIssuer } from "../../operator/identity/issuer/test-client.ts";
import { testNamespace } from "./harness.ts";
import {
  counter,
  createMcpServer,
  createPolicy,
  createWorkload,
  podToken,
  startTestIssuer,
  type TestIssuer,
} from "./identity-harness.ts";

const run = randomBytes(3).toString("hex");
const LABEL = "latticeguard.dev/identity-test";
const GROUP = "X25519MLKEM768";
const BIN = join(import.meta.dirname, "../../operator/bin/latticeguard.mjs");
let ns: string;
let issuer: TestIssuer;
let authority: StaticAuthority;
let dir: string;

/** A workload's files: what the pod spec mounts, and what the agent writes. */
interface Workload {
  serviceAccount: string;
  token: string;
  tokenFile: string;
  bundleFile: string;
  outDir: string;
}

async function workload(name: string, app: string): Promise<Workload> {
  const pod = await createWorkload(ns, { name: `${app}-0`, serviceAccount: name, labels: { app } });
  const token = await podToken(ns, name, pod);
  const base = join(dir, name);
  await writeFile(`${base}.token`, token);
  await writeFile(`${base}.bundle.pem`, authority.bundle().join(""));
  const outDir = await mkdtemp(`${base}-out-`);
  return {
    serviceAccount: name,
    token,
    tokenFile: `${base}.token`,
    bundleFile: `${base}.bundle.pem`,
    outDir,
  };
}

const agentFlags = (w: Workload, algorithm: SignatureAlgorithm) => [
  `--issuer=${issuer.url}`,
  `--token-file=${w.tokenFile}`,
  `--bundle-file=${w.bundleFile}`,
  `--out-dir=${w.outDir}`,
  `--algorithm=${algorithm}`,
];

const files = async (w: Workload) => ({
  cert: await readFile(join(w.outDir, "cert.pem"), "utf8"),
  key: await readFile(join(w.outDir, "key.pem"), "utf8"),
  ca: await readFile(join(w.outDir, "bundle.pem"), "utf8"),
});

let search: Workload;
let tools: Workload;
const stopAgent = new AbortController();
let inProcessAgent: Promise<void> | undefined;
let child: ChildProcess | undefined;
let childOutput = "";

beforeAll(async () => {
  ({ namespace: ns } = await testNamespace("id-issue", { [LABEL]: run }));
  dir = await mkdtemp(join(tmpdir(), "identity-"));
  authority = await createStaticAuthority({ algorithm: "ML-DSA-87" });
  issuer = await startTestIssuer({ authority, servingCheckIntervalMs: 200 });
  await createPolicy(
    issuer,
    `identity-issuance-${run}`,
    { [LABEL]: run },
    ["ML-DSA-65", "ML-DSA-87"],
    ns,
  );
  await createMcpServer(issuer, ns, "search", { app: "search" }, { serviceName: "search-svc" });
  await createMcpServer(issuer, ns, "tools", { app: "tools" });
  search = await workload("search", "search");
  tools = await workload("tools", "tools");
});

afterAll(async () => {
  stopAgent.abort();
  await inProcessAgent;
  if (child && child.exitCode === null) child.kill("SIGKILL");
  await rm(dir, { recursive: true, force: true });
});

describe("latticeguard agent", () => {
  it("gets an ML-DSA-65 identity in this process and writes key, certificate and bundle", async () => {
    const written: string[] = [];
    inProcessAgent = runAgent({
      issuer: new URL(issuer.url),
      tokenFile: search.tokenFile,
      bundleFile: search.bundleFile,
      outDir: search.outDir,
      algorithm: "ML-DSA-65",
      signal: stopAgent.signal,
      log: pino({ level: "silent" }),
      onWritten: (identity) => written.push(identity.spiffeId),
    });
    await vi.waitFor(() => expect(written).toHaveLength(1), { timeout: 20_000 });
    const { cert, key, ca } = await files(search);
    expect(ca).toBe(authority.bundle().join(""));
    expect(key).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect((await stat(join(search.outDir, "key.pem"))).mode & 0o777).toBe(0o600);
    const verified = await verifyCertificate(cert, [ca]);
    expect(verified).toMatchObject({
      algorithm: "ML-DSA-65",
      spiffeId: `spiffe://cluster.local/ns/${ns}/sa/search`,
      dnsNames: [
        "search-svc",
        `search-svc.${ns}`,
        `search-svc.${ns}.svc`,
        `search-svc.${ns}.svc.cluster.local`,
      ],
    });
    expect(verified.notAfter.getTime() - verified.notBefore.getTime()).toBe(31 * 60_000);
  });

  it("runs as the real command: ML-DSA-87, passes its startup check, and exits 0 on SIGTERM", async () => {
    const check = () =>
      spawnSync(process.execPath, [BIN, "agent", "--check", `--out-dir=${tools.outDir}`]).status;
    expect(check()).toBe(1);
    child = spawn(
      process.execPath,
      [BIN, "agent", ...agentFlags(tools, "ML-DSA-87"), "--log-level=debug"],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    child.stdout!.on("data", (chunk: Buffer) => (childOutput += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (childOutput += chunk.toString()));
    await vi.waitFor(
      async () => expect(await identityInPlace(tools.outDir, new Date())).toBe(true),
      {
        timeout: 30_000,
        interval: 100,
      },
    );
    expect(check()).toBe(0);
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    const [code, signal] = (await exited) as [number | null, string | null];
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(childOutput).toContain('"msg":"Wrote workload identity"');
    expect(childOutput).toContain('"msg":"Stopped agent"');
    expect(childOutput).not.toContain(tools.token.split(".")[1]);
    const verified = await verifyCertificate((await files(tools)).cert, authority.bundle());
    expect(verified).toMatchObject({
      algorithm: "ML-DSA-87",
      spiffeId: `spiffe://cluster.local/ns/${ns}/sa/tools`,
    });
  });

  it("counted and reported both issuances", async () => {
    const issued = (mcpserver: string, algorithm: string) =>
      counter(issuer, "latticeguard_identities_issued_total", {
        namespace: ns,
        mcpserver,
        algorithm,
      });
    expect(await issued("search", "ML-DSA-65")).toBe(1);
    expect(await issued("tools", "ML-DSA-87")).toBe(1);
    expect(issuer.issued.map(({ mcpserver, algorithm }) => `${mcpserver}/${algorithm}`)).toEqual([
      "search/ML-DSA-65",
      "tools/ML-DSA-87",
    ]);
    expect(await counter(issuer, "latticeguard_identity_refusals_total", {})).toBe(0);
  });
});

// What the server of a mutual-TLS connection saw: an authorized peer, or a refusal and why.
type Seen = { peer: string; authorized: boolean } | { refused: string | undefined };

async function mtlsServer(identity: { cert: string; key: string; ca: string }) {
  const seen: Seen[] = [];
  const server = tls.createServer(
    {
      ...identity,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: "TLSv1.3",
      ecdhCurve: GROUP,
    },
    (socket) => {
      const peer = peerWorkloadIdentity(socket.getPeerCertificate().subjectaltname);
      seen.push({
        peer: `${peer.namespace}/${peer.serviceAccount}`,
        authorized: socket.authorized,
      });
      socket.end("ok\n");
    },
  );
  server.on("tlsClientError", (_error, socket) =>
    seen.push({ refused: socket.authorizationError?.toString() }),
  );
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { port: (server.address() as AddressInfo).port, seen, close: () => server.close() };
}

async function mtlsClient(port: number, identity: { cert: string; key: string; ca: string }) {
  const socket = tls.connect({
    host: "127.0.0.1",
    port,
    servername: `search-svc.${ns}.svc`,
    ...identity,
    ecdhCurve: `${GROUP}:X25519`,
  });
  const result = {
    group: undefined as string | undefined,
    peer: "",
    peerKey: "",
    authorized: false,
    data: "",
    error: "",
  };
  socket.on("secureConnect", () => {
    result.group = (socket.getEphemeralKeyInfo() as { name?: string } | null)?.name;
    const peer = peerWorkloadIdentity(socket.getPeerCertificate().subjectaltname);
    result.peer = `${peer.namespace}/${peer.serviceAccount}`;
    result.peerKey = socket.getPeerX509Certificate()?.publicKey.asymmetricKeyType ?? "";
    result.authorized = socket.authorized;
  });
  socket.on("data", (chunk: Buffer) => (result.data += chunk.toString()));
  socket.on(
    "error",
    (error: NodeJS.ErrnoException) => (result.error = error.code ?? error.message),
  );
  await new Promise((resolve) => socket.on("close", resolve));
  return result;
}

describe("mutual TLS between the two issued identities", () => {
  it("connects over X25519MLKEM768, each side verifying the other against the bundle and naming it", async () => {
    const server = await mtlsServer(await files(search));
    try {
      const client = await mtlsClient(server.port, await files(tools));
      expect(client).toMatchObject({
        error: "",
        group: GROUP,
        authorized: true,
        peer: `${ns}/search`,
        peerKey: "ml-dsa-65",
        data: "ok\n",
      });
      expect(server.seen).toEqual([{ peer: `${ns}/tools`, authorized: true }]);
    } finally {
      server.close();
    }
  });

  it("refuses a client whose certificate another anchor issued", async () => {
    const foreign = await testWorkload(await testAnchor(), {
      serviceAccount: "tools",
      namespace: ns,
    });
    const server = await mtlsServer(await files(search));
    try {
      const client = await mtlsClient(server.port, {
        cert: foreign.certificate,
        key: foreign.keyPem,
        ca: (await files(tools)).ca,
      });
      expect(client.data).toBe("");
      expect(server.seen).toEqual([{ refused: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" }]);
    } finally {
      server.close();
    }
  });

  it("is refused by a client when the server's certificate comes from another anchor", async () => {
    const anchor = await testAnchor();
    const foreign = await testWorkload(anchor, {
      serviceAccount: "search",
      namespace: ns,
      dnsNames: [`search-svc.${ns}.svc`],
    });
    const server = await mtlsServer({
      cert: foreign.certificate,
      key: foreign.keyPem,
      ca: anchor.certificate,
    });
    try {
      const client = await mtlsClient(server.port, await files(tools));
      // The foreign server sends its own root after its leaf (node:tls builds the chain from `ca`).
      expect(client.error).toBe("SELF_SIGNED_CERT_IN_CHAIN");
      expect(client.authorized).toBe(false);
      expect(client.data).toBe("");
    } finally {
      server.close();
    }
  });
});

describe("anchor rotation", () => {
  it("re-issues the issuer's serving certificate from the new signer; new identities chain to it", async () => {
    const next = await createAnchor({ algorithm: "ML-DSA-87" });
    authority.setBundle([next.certificate, authority.anchor.certificate]);
    authority.setSigner(next);
    // Trusting only the new anchor, the issuer's TLS handshake succeeds once it serves the new certificate.
    const csr = await createCsr({
      key: { algorithm: "ML-DSA-65", seed: nativeSignature.generateSeed("ML-DSA-65") },
    });
    await vi.waitFor(
      async () => {
        const r = await postToIssuer({
          port: issuer.port,
          trust: next.certificate,
          token: search.token,
          body: csr,
        });
        expect(r.error).toBeUndefined();
        expect(r.status).toBe(200);
        const answer = r.json as { certificate: string; bundle: string };
        await verifyCertificate(answer.certificate, [next.certificate]);
        expect(answer.bundle).toBe(`${next.certificate}${authority.anchor.certificate}`);
      },
      { timeout: 10_000, interval: 200 },
    );
  });
});

// The proxy wired together, with an issuer function in place of the HTTPS call (the real issuer is in
// test/integration/proxy-*.test.ts): the endpoints answer at once, readiness waits for the identity and
// the listener, the identity files are written for the startup probe, and the command's exit codes.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { IdentityRequest, IssuerAnswer } from "../agent/client.ts";
import { identityInPlace } from "../agent/files.ts";
import { issueCertificate, verifyCsr } from "../crypto/index.ts";
import { HOUR_MS, testAnchor, type TestAnchor } from "../crypto/testdata/identities.ts";
import { proxyCommand } from "./command.ts";
import { parseProxyFlags } from "./flags.ts";
import { startProxy } from "./proxy.ts";
import { metricValue, plainServer, silent } from "./testing.ts";

const SPIFFE = "spiffe://cluster.local/ns/mcp/sa/search";
let anchor: TestAnchor;
let dir: string;

beforeAll(async () => {
  anchor = await testAnchor();
  dir = await mkdtemp(join(tmpdir(), "proxy-"));
  await writeFile(join(dir, "token"), "tok");
  await writeFile(join(dir, "bundle.pem"), anchor.certificate);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** An issuer that certifies the CSR's key as the server workload, for an hour. */
async function issueFor(request: IdentityRequest): Promise<IssuerAnswer> {
  const now = Date.now();
  const certificate = await issueCertificate({
    issuer: anchor,
    subjectKey: await verifyCsr(request.csr),
    spiffeId: SPIFFE,
    dnsNames: ["search.mcp.svc"],
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + HOUR_MS),
  });
  return { certificate, bundle: anchor.certificate, spiffeId: SPIFFE, notAfter: "" };
}

describe("startProxy", () => {
  it("is ready once it holds an identity and listens, and writes the identity for the probe", async () => {
    let release!: () => void;
    const issuerAnswers = new Promise<void>((resolve) => (release = resolve));
    const issue = async (request: IdentityRequest) => {
      await issuerAnswers;
      return issueFor(request);
    };
    const identityDir = join(dir, "identity");
    const config = parseProxyFlags([
      "--issuer=https://issuer.invalid",
      `--token-file=${join(dir, "token")}`,
      `--bundle-file=${join(dir, "bundle.pem")}`,
      `--identity-dir=${identityDir}`,
      "--listen=127.0.0.1:0",
      "--upstream=127.0.0.1:1",
      "--mcpserver=mcp/search",
      "--metrics-address=127.0.0.1:0",
    ]);
    const proxy = await startProxy(config, { log: silent, keeper: { request: issue } });
    try {
      const readyz = () =>
        fetch(`http://127.0.0.1:${proxy.metricsPort}/readyz`).then((r) => r.status);
      expect((await fetch(`http://127.0.0.1:${proxy.metricsPort}/healthz`)).status).toBe(200);
      expect(await readyz()).toBe(503);
      expect(proxy.ready()).toBe(false);
      release();
      expect(await proxy.listening).toBeGreaterThan(0);
      expect(await readyz()).toBe(200);
      expect(await identityInPlace(identityDir, new Date())).toBe(true);
      const metrics = await (await fetch(`http://127.0.0.1:${proxy.metricsPort}/metrics`)).text();
      expect(metrics).toMatch(
        /^latticeguard_proxy_identity_expiry_timestamp_seconds\{namespace="mcp",mcpserver="search",direction="inbound"\} \d+/m,
      );
      expect(
        await metricValue(
          proxy.metrics.registry,
          "latticeguard_proxy_identity_expiry_timestamp_seconds",
        ),
      ).toBe(Math.floor(proxy.identities.current()!.notAfter.getTime() / 1000));
    } finally {
      await proxy.stop();
    }
    await expect(fetch(`http://127.0.0.1:${proxy.metricsPort}/healthz`)).rejects.toThrow();
  });

  it("fails to listen, loudly, on a port something else holds", async () => {
    // As an MCP server bound to 0.0.0.0 on the MCP port would hold the pod IP's.
    const taken = await plainServer(() => undefined);
    const config = parseProxyFlags([
      "--issuer=https://issuer.invalid",
      `--token-file=${join(dir, "token")}`,
      `--bundle-file=${join(dir, "bundle.pem")}`,
      `--identity-dir=${join(dir, "bind")}`,
      `--listen=127.0.0.1:${taken.port}`,
      "--upstream=127.0.0.1:1",
      "--mcpserver=mcp/search",
      "--metrics-address=off",
    ]);
    const proxy = await startProxy(config, { log: silent, keeper: { request: issueFor } });
    try {
      await expect(proxy.listening).rejects.toThrow(/EADDRINUSE/);
      expect(proxy.ready()).toBe(false);
    } finally {
      await proxy.stop();
      taken.server.close();
    }
  });

  it("stops cleanly before it ever obtained an identity", async () => {
    const config = parseProxyFlags([
      "--issuer=https://issuer.invalid",
      `--token-file=${join(dir, "missing-token")}`,
      `--bundle-file=${join(dir, "bundle.pem")}`,
      `--identity-dir=${join(dir, "never")}`,
      "--listen=127.0.0.1:0",
      "--upstream=127.0.0.1:1",
      "--mcpserver=mcp/search",
      "--metrics-address=off",
    ]);
    const proxy = await startProxy(config, { log: silent });
    await proxy.stop();
    await expect(proxy.listening).rejects.toThrow("stopped before it obtained an identity");
  });
});

describe("proxyCommand", () => {
  it("exits 0 on SIGTERM, even before it obtained an identity", async () => {
    const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    try {
      const code = proxyCommand([
        "--issuer=https://issuer.invalid",
        `--token-file=${join(dir, "missing-token")}`,
        `--bundle-file=${join(dir, "bundle.pem")}`,
        `--identity-dir=${join(dir, "never")}`,
        "--listen=127.0.0.1:0",
        "--upstream=127.0.0.1:1",
        "--mcpserver=mcp/search",
        "--metrics-address=off",
        "--log-level=error",
      ]);
      await vi.waitFor(() => expect(process.listenerCount("SIGTERM")).toBeGreaterThan(0));
      process.emit("SIGTERM");
      expect(await code).toBe(0);
    } finally {
      out.mockRestore();
    }
  });

  it.each([
    [["--help"], 0],
    [["--listen=nowhere"], 2],
    [["--check", "--identity-dir=/nonexistent/latticeguard"], 1],
  ])("%j exits %i", async (argv, code) => {
    const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      expect(await proxyCommand(argv)).toBe(code);
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  });
});

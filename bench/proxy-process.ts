/**
 * One process of the proxy benchmark, so that no two parts share an event loop: the MCP upstream, an
 * inbound proxy or an outbound proxy. {@link startBenchProcess} forks this module with a {@link BenchJob};
 * the child answers with the port it listens on, then with its CPU time whenever asked.
 *
 * The proxies are LatticeGuard's own (`startInbound`, `startOutbound`) with static identities, the groups
 * given and silent logs; the classical pair is the same code with X25519 and ECDSA certificates. The
 * upstream answers MCP `tools/call` requests: `lean` with a fixed JSON-RPC result built from the request
 * (what the transport carries, nothing else), `sdk` with the official MCP SDK's Streamable HTTP server
 * (stateless: a server and transport per request, as the SDK's stateless example does).
 *
 * @example
 * const upstream = await startBenchProcess({ role: "upstream", upstream: "lean" });
 * const inbound = await startBenchProcess({ role: "inbound", identity, groups, upstreamPort: upstream.port });
 */
import { fork } from "node:child_process";
import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import type { KeyExchangeGroup } from "../operator/api/algorithms.ts";
import { IdentityFeed, type ProxyIdentity } from "../operator/proxy/identity.ts";
import { startInbound } from "../operator/proxy/inbound.ts";
import { createProxyMetrics } from "../operator/proxy/metrics.ts";
import { startOutbound } from "../operator/proxy/outbound.ts";
import { BENCH_SERVER } from "./proxy-identities.ts";

/** What one benchmark process runs. */
export type BenchJob =
  | { role: "upstream"; upstream: "lean" | "sdk" }
  | {
      role: "inbound" | "outbound";
      identity: ProxyIdentity;
      /** Post-quantum groups, or `X25519` for the classical pair (the flag parser refuses it). */
      groups: string[];
      upstreamPort: number;
    };

/** A running benchmark process. */
export interface BenchProcess {
  port: number;
  /** CPU time (user + system, µs) the process has used so far. */
  cpuMicros(): Promise<number>;
  stop(): void;
}

type Reply = { port: number } | { cpu: number };

/**
 * Forks a process for `job`; resolves once it listens.
 *
 * @example
 * const p = await startBenchProcess({ role: "upstream", upstream: "lean" });
 */
export function startBenchProcess(job: BenchJob): Promise<BenchProcess> {
  const child = fork(fileURLToPath(import.meta.url), ["--bench-process"], { stdio: "inherit" });
  const next = () =>
    new Promise<Reply>((resolve, reject) => {
      child.once("message", (m: Reply) => resolve(m));
      child.once("exit", (code) =>
        reject(new Error(`the ${job.role} process exited with ${code}`)),
      );
    });
  const started = next();
  child.send({ job });
  return started.then((reply) => {
    if (!("port" in reply)) throw new Error(`the ${job.role} process did not start`);
    return {
      port: reply.port,
      async cpuMicros() {
        const answer = next();
        child.send({ cpu: true });
        const r = await answer;
        return "cpu" in r ? r.cpu : NaN;
      },
      stop: () => void child.kill("SIGKILL"),
    };
  });
}

async function leanAnswer(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const call = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
    id: number;
    params?: { arguments?: { text?: string } };
  };
  const text = call.params?.arguments?.text ?? "";
  const body = JSON.stringify({
    jsonrpc: "2.0",
    id: call.id,
    result: { content: [{ type: "text", text }] },
  });
  res.writeHead(200, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

async function sdkHandler(): Promise<(req: IncomingMessage, res: ServerResponse) => Promise<void>> {
  const { McpServer } = await import("@modelcontextprotocol/sdk/server/mcp.js");
  const { StreamableHTTPServerTransport } =
    await import("@modelcontextprotocol/sdk/server/streamableHttp.js");
  const { z } = await import("zod");
  return async (req, res) => {
    const mcp = new McpServer({ name: "bench", version: "1.0.0" });
    mcp.registerTool("echo", { inputSchema: { text: z.string() } }, ({ text }) => ({
      content: [{ type: "text", text }],
    }));
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    res.on("close", () => void Promise.all([transport.close(), mcp.close()]));
    await mcp.connect(transport);
    await transport.handleRequest(req, res);
  };
}

async function upstream(kind: "lean" | "sdk"): Promise<number> {
  const handle = kind === "sdk" ? await sdkHandler() : leanAnswer;
  const server = createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
  server.keepAliveTimeout = 120_000;
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return (server.address() as AddressInfo).port;
}

async function proxy(job: Extract<BenchJob, { role: "inbound" | "outbound" }>): Promise<number> {
  const identities = new IdentityFeed();
  identities.publish({ ...job.identity, notAfter: new Date(job.identity.notAfter) });
  const server = { namespace: BENCH_SERVER.namespace, name: BENCH_SERVER.name };
  const common = {
    listen: { host: "127.0.0.1", port: 0 },
    upstream: { host: "127.0.0.1", port: job.upstreamPort },
    groups: job.groups as KeyExchangeGroup[],
    server,
    identities,
    metrics: createProxyMetrics({ ...server, mcpserver: server.name, direction: job.role }),
    log: pino({ level: "silent" }),
  };
  const running =
    job.role === "inbound"
      ? await startInbound({ ...common, rules: [{ kind: "Namespace", namespace: "agents" }] })
      : await startOutbound({ ...common, serverName: BENCH_SERVER.dnsName });
  return running.port;
}

// The child: one job in, its port out, then its CPU time on request.
if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === "--bench-process") {
  process.on("message", (message: { job?: BenchJob; cpu?: true }) => {
    if (message.cpu) {
      const { user, system } = process.cpuUsage();
      process.send!({ cpu: user + system } satisfies Reply);
    } else if (message.job) {
      const job = message.job;
      void (job.role === "upstream" ? upstream(job.upstream) : proxy(job)).then((port) =>
        process.send!({ port } satisfies Reply),
      );
    }
  });
}

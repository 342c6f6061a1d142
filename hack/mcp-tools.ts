/**
 * A real MCP server, the official SDK's `McpServer` over Streamable HTTP, with one tool, `add`, listening
 * on 127.0.0.1 only, as a server behind LatticeGuard's inbound proxy must (the proxy owns the pod's MCP
 * port). It records the `x-forwarded-client-cert` header of every tool call: who the proxy says called.
 * The proxy integration tests and `make dev` put it behind a real inbound proxy. With `tls`, it serves
 * HTTPS itself, as a shadow server that terminates TLS does (the shadow integration tests).
 *
 * @example
 * const tools = await startToolsServer("latticeguard-dev-calculator");
 * // inbound proxy: --upstream=127.0.0.1:${tools.port}
 * tools.callers; // ["By=spiffe://…/sa/calculator;Hash=…;URI=spiffe://…/sa/planner"]
 * await tools.close();
 */
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer, type ServerOptions } from "node:https";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";

/** A listening MCP server with the tool `add`. */
export interface ToolsServer {
  /** Its port on 127.0.0.1. */
  port: number;
  /** The `x-forwarded-client-cert` of each tool call, in order. */
  callers: string[];
  /** Closes the MCP session and the HTTP server. */
  close(): Promise<void>;
}

/**
 * Starts the server, named `name` in its MCP `initialize` answer, on a free port of 127.0.0.1; over
 * TLS with `options.tls` (certificate, key, and e.g. `ecdhCurve`).
 *
 * @example
 * const { port } = await startToolsServer("latticeguard-test-tools");
 * await startToolsServer("shadow", { tls: { cert, key, ecdhCurve: "X25519" } });
 */
export async function startToolsServer(
  name: string,
  options: { tls?: ServerOptions } = {},
): Promise<ToolsServer> {
  const callers: string[] = [];
  const mcp = new McpServer({ name, version: "1.0.0" });
  mcp.registerTool(
    "add",
    { description: "Adds two numbers.", inputSchema: { a: z.number(), b: z.number() } },
    ({ a, b }, extra) => {
      callers.push(String(extra.requestInfo?.headers["x-forwarded-client-cert"]));
      return { content: [{ type: "text", text: String(a + b) }] };
    },
  );
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID() });
  await mcp.connect(transport);
  const handle = (req: IncomingMessage, res: ServerResponse) =>
    void transport.handleRequest(req, res);
  const http = options.tls ? createHttpsServer(options.tls, handle) : createServer(handle);
  http.listen(0, "127.0.0.1"); // loopback only: the proxy is the pod's MCP port
  await once(http, "listening");
  return {
    port: (http.address() as AddressInfo).port,
    callers,
    async close() {
      await mcp.close();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}

/**
 * An MCP server as a team might run one without registering it: the official SDK's `McpServer`,
 * stateless (a server and transport per request, so every client may `initialize`), plain HTTP on
 * `host:port`. `make dev` runs it as an unregistered pod's server, for shadow discovery to find.
 *
 * @example
 * const shadow = await startStatelessToolsServer("notes", { host: "127.0.0.9", port: 8080 });
 * await shadow.close();
 */
export async function startStatelessToolsServer(
  name: string,
  at: { host: string; port: number },
): Promise<{ close(): Promise<void> }> {
  const http = createServer((req, res) => {
    const mcp = new McpServer({ name, version: "1.0.0" });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on("close", () => void transport.close().then(() => mcp.close()));
    void mcp.connect(transport).then(() => transport.handleRequest(req, res));
  });
  http.listen(at.port, at.host);
  await once(http, "listening");
  return {
    async close() {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}

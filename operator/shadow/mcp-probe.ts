/**
 * One probe of a suspected shadow MCP server: the official MCP SDK's client sends `initialize` over
 * Streamable HTTP, plain HTTP, to `/mcp` and then to `/` of the endpoint. An answer to `initialize` is
 * an MCP server; anything else (a refused connection, an HTTP error, a body that is not JSON-RPC, no
 * answer before the prober's deadline) is not. It sends nothing after `initialize` but the session's
 * end, follows no redirect, and carries no credential.
 *
 * TLS endpoints are not probed: Node's fetch cannot skip certificate verification without the `undici`
 * package, which LatticeGuard does not depend on. A server behind LatticeGuard's proxy is covered by an
 * MCPServer anyway, and one that terminates TLS itself stays `suspected`.
 *
 * @example
 * await probeMcp({ host: "10.1.2.3", port: 8080 }, AbortSignal.timeout(3000)); // true: it speaks MCP
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { PROBE_PATHS } from "../api/shadow.schema.ts";
import type { ProbeTarget } from "./prober.ts";

/** The URL of `path` on `target`, with an IPv6 address in brackets. */
function endpointUrl({ host, port }: ProbeTarget, path: string): URL {
  const authority = host.includes(":") ? `[${host}]` : host;
  return new URL(`http://${authority}:${port}${path}`);
}

async function answersOn(url: URL, signal: AbortSignal): Promise<boolean> {
  const client = new Client({ name: "latticeguard-shadow-probe", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(url, {
    requestInit: { redirect: "error" },
    fetch: (input, init) =>
      fetch(input, {
        ...init,
        signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal,
      }),
  });
  try {
    await client.connect(transport, { signal });
    // End the session the probe opened, so the server does not keep it.
    await transport.terminateSession().catch(() => undefined);
    return client.getServerVersion() !== undefined;
  } catch {
    return false;
  } finally {
    await client.close().catch(() => undefined);
  }
}

/**
 * Whether `target` answers MCP `initialize` on one of {@link PROBE_PATHS} before `signal` aborts.
 *
 * @example
 * const prober = new EndpointProber({ probe: probeMcp });
 */
export async function probeMcp(target: ProbeTarget, signal: AbortSignal): Promise<boolean> {
  for (const path of PROBE_PATHS) {
    if (signal.aborted) return false;
    if (await answersOn(endpointUrl(target, path), signal)) return true;
  }
  return false;
}

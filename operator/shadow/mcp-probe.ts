/**
 * One probe of a suspected shadow MCP server: the official MCP SDK's client sends `initialize` over
 * Streamable HTTP to `/mcp` and then to `/` of the endpoint, over plain HTTP and over TLS, TLS first
 * when the port hints at it (scheme.ts). An answer to `initialize` is an MCP server; anything else (a
 * refused connection, a failed handshake, an HTTP error, a body that is not JSON-RPC, no answer before
 * the prober's deadline) is not. It sends nothing after `initialize` but the session's end, follows no
 * redirect, and carries no credential.
 *
 * TLS is spoken without verifying the certificate: a shadow server's is by definition not
 * LatticeGuard's, and the probe asks only whether it speaks MCP. Requests go through undici's fetch and
 * an undici `Agent` of the probe's own (Node's fetch cannot skip verification), whose connector notes
 * the key-exchange group each TLS connection negotiated: a classical group on a shadow server is a
 * finding of its own. A scheme whose first attempt could not connect (no TLS handshake) is not tried
 * on the next path. The agent is destroyed when the probe ends, so no connection outlives it.
 *
 * @example
 * await probeMcp({ host: "10.1.2.3", port: 8443, tlsHinted: true }, AbortSignal.timeout(3000));
 * // { scheme: "https", tlsGroup: "X25519MLKEM768" }: it speaks MCP
 */
import { TLSSocket } from "node:tls";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js";
import { Agent, buildConnector, fetch as undiciFetch } from "undici";
import { PROBE_PATHS } from "../api/shadow.schema.ts";
import { negotiatedGroup } from "../tls/negotiated.ts";
import type { ProbeAnswer, ProbeTarget } from "./prober.ts";
import { schemeOrder, type ProbeScheme } from "./scheme.ts";

/**
 * undici's fetch, typed as the global one: undici ships its own copy of the fetch types, which differ
 * from the ones Node's globals (and the SDK) use only in name, plus its `dispatcher` option.
 */
const fetchVia = undiciFetch as unknown as (
  input: string | URL,
  init: Omit<RequestInit, "dispatcher"> & { dispatcher: Agent },
) => Promise<Response>;

/** The URL of `path` on `target` over `scheme`, with an IPv6 address in brackets. */
function endpointUrl({ host, port }: ProbeTarget, scheme: ProbeScheme, path: string): URL {
  const authority = host.includes(":") ? `[${host}]` : host;
  return new URL(`${scheme}://${authority}:${port}${path}`);
}

/** An agent that does not verify certificates and records what each connection showed. */
function probeAgent() {
  const seen = { connected: 0, tlsGroup: undefined as string | undefined };
  const base = buildConnector({ rejectUnauthorized: false, checkServerIdentity: () => undefined });
  const agent = new Agent({
    connect: (options, callback) =>
      base(options, (...args) => {
        const [, socket] = args;
        if (socket) {
          seen.connected++;
          if (socket instanceof TLSSocket) seen.tlsGroup = negotiatedGroup(socket);
        }
        callback(...args);
      }),
  });
  return { agent, seen };
}

async function answersOn(url: URL, agent: Agent, signal: AbortSignal): Promise<boolean> {
  const client = new Client({ name: "latticeguard-shadow-probe", version: "1.0.0" });
  const fetch: FetchLike = (input, init) =>
    fetchVia(input, {
      ...init,
      dispatcher: agent,
      signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal,
    });
  const transport = new StreamableHTTPClientTransport(url, {
    requestInit: { redirect: "error" },
    fetch,
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

/** How `target` answers over `scheme` on one of the paths, if it does. */
async function probeScheme(
  target: ProbeTarget,
  scheme: ProbeScheme,
  signal: AbortSignal,
): Promise<ProbeAnswer | undefined> {
  const { agent, seen } = probeAgent();
  try {
    for (const path of PROBE_PATHS) {
      if (signal.aborted) return undefined;
      if (await answersOn(endpointUrl(target, scheme, path), agent, signal))
        return { scheme, ...(scheme === "https" && seen.tlsGroup && { tlsGroup: seen.tlsGroup }) };
      if (seen.connected === 0) return undefined;
    }
    return undefined;
  } finally {
    await agent.destroy().catch(() => undefined);
  }
}

/**
 * How `target` answers MCP `initialize` (scheme, and TLS group over TLS) before `signal` aborts, or
 * undefined when it does not: {@link PROBE_PATHS} over each scheme in turn.
 *
 * @example
 * const prober = new EndpointProber({ probe: probeMcp });
 */
export async function probeMcp(
  target: ProbeTarget,
  signal: AbortSignal,
): Promise<ProbeAnswer | undefined> {
  for (const scheme of schemeOrder(target)) {
    const answer = await probeScheme(target, scheme, signal);
    if (answer) return answer;
  }
  return undefined;
}

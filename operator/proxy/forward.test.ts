// forwardHeaders is pure; forward itself is exercised over real sockets in inbound.test.ts and
// outbound.test.ts (streaming both ways, upstream failures).
import type { IncomingHttpHeaders } from "node:http";
import { describe, expect, it } from "vitest";
import { forwardHeaders } from "./forward.ts";

describe("forwardHeaders", () => {
  it.each<
    [string, IncomingHttpHeaders, Parameters<typeof forwardHeaders>[1], Record<string, unknown>]
  >([
    [
      "keeps end-to-end headers",
      { "content-type": "application/json", accept: "text/event-stream", "mcp-session-id": "s1" },
      {},
      { "content-type": "application/json", accept: "text/event-stream", "mcp-session-id": "s1" },
    ],
    [
      "drops hop-by-hop headers",
      {
        connection: "keep-alive",
        "keep-alive": "timeout=5",
        "transfer-encoding": "chunked",
        upgrade: "websocket",
        te: "trailers",
        trailer: "x-checksum",
        "proxy-authorization": "Basic eA==",
        expect: "100-continue",
        "content-length": "12",
      },
      {},
      { "content-length": "12" },
    ],
    [
      "drops the headers Connection names",
      { connection: "close, X-Hop", "x-hop": "1", "x-end": "2" },
      {},
      { "x-end": "2" },
    ],
    [
      "drops and sets what the caller says, whatever the client sent",
      { host: "127.0.0.1:15001", "x-forwarded-client-cert": "URI=spiffe://forged" },
      { drop: ["x-forwarded-client-cert"], set: { host: "search.mcp.svc:8443" } },
      { host: "search.mcp.svc:8443" },
    ],
    [
      "replaces a header by setting it",
      { "x-forwarded-client-cert": "URI=spiffe://forged" },
      { set: { "x-forwarded-client-cert": "By=a;Hash=b;URI=c" } },
      { "x-forwarded-client-cert": "By=a;Hash=b;URI=c" },
    ],
    [
      "keeps repeated headers as a list",
      { "set-cookie": ["a=1", "b=2"] },
      {},
      { "set-cookie": ["a=1", "b=2"] },
    ],
  ])("%s", (_name, headers, change, expected) => {
    expect(forwardHeaders(headers, change)).toEqual(expected);
  });
});

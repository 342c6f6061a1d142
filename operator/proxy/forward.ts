/**
 * One HTTP request forwarded, in either direction, streaming both ways: the request body goes upstream as
 * it arrives and the response comes back chunk by chunk, its headers sent at once, so Server-Sent Events,
 * chunked bodies and long-lived MCP streams pass unbuffered and without a deadline. Backpressure is
 * end to end (a slow reader slows the writer); a client that goes away aborts the upstream request, and
 * an upstream that breaks mid-stream breaks the client's response (a truncated chunked body, never a
 * silently complete one).
 *
 * Hop-by-hop headers (RFC 9110 section 7.6.1: `Connection` and the fields it names, `Keep-Alive`,
 * `Transfer-Encoding`, `Upgrade`, …) are not forwarded; each hop frames its own body. `Expect` is not
 * forwarded either: the proxy already answered `100 Continue` itself.
 *
 * @example
 * forward(req, res, { request: (o) => http.request({ ...o, host: "127.0.0.1", port: 8080, agent }), headers, … });
 */
import type {
  ClientRequest,
  IncomingHttpHeaders,
  IncomingMessage,
  OutgoingHttpHeaders,
  RequestOptions,
  ServerResponse,
} from "node:http";
import { pipeline, Transform } from "node:stream";
import { refusalBody, type PeerRefusal } from "./authorize.ts";

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "expect",
  "http2-settings",
]);

/**
 * `headers` without the hop-by-hop ones (and those `Connection` names) and without `drop`, plus `set`.
 *
 * @example
 * forwardHeaders(req.headers, { drop: ["x-forwarded-client-cert"], set: { "x-forwarded-client-cert": xfcc } });
 */
export function forwardHeaders(
  headers: IncomingHttpHeaders,
  change: { drop?: readonly string[]; set?: Readonly<Record<string, string>> } = {},
): OutgoingHttpHeaders {
  const named = String(headers.connection ?? "")
    .split(",")
    .map((token) => token.trim().toLowerCase())
    .filter(Boolean);
  const skip = new Set([...HOP_BY_HOP, ...named, ...(change.drop ?? [])]);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined && !skip.has(name)) out[name] = value;
  return { ...out, ...change.set };
}

/**
 * How to forward one request.
 *
 * @example
 * const options: ForwardOptions = { request, headers, onResponse: (code) => metrics.requests.inc({ code: String(code) }), … };
 */
export interface ForwardOptions {
  /** Starts the upstream request (`http.request` or `https.request` with the target and agent bound). */
  request: (options: RequestOptions) => ClientRequest;
  /** The request headers to send upstream (see {@link forwardHeaders}). */
  headers: OutgoingHttpHeaders;
  /** Called once with the status answered: the upstream's, or 502 when it failed before answering. */
  onResponse: (status: number) => void;
  /** Body bytes as they pass: `request` upstream, `response` back to the client. */
  onBytes: (direction: "request" | "response", bytes: number) => void;
  /** A refusal to answer for an upstream error (outbound: the server's certificate); else 502. */
  refusalFor?: (error: Error) => PeerRefusal | undefined;
  /** Told of each upstream failure, with what the client was answered (undefined: mid-stream). */
  onError: (error: Error, answered: PeerRefusal | undefined) => void;
}

function counter(count: (bytes: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      count(chunk.length);
      done(null, chunk);
    },
  });
}

/**
 * Answers `res` with a JSON refusal `{ reason, message }` and closes the connection.
 *
 * @example
 * answerRefusal(res, { status: 403, reason: "ClientNotAllowed", message });
 */
export function answerRefusal(res: ServerResponse, refusal: PeerRefusal): void {
  const body = JSON.stringify(refusalBody(refusal));
  res.writeHead(refusal.status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    connection: "close",
  });
  res.end(body);
}

/**
 * Forwards `req` upstream and its answer back to `res`.
 *
 * @example
 * server.on("request", (req, res) => forward(req, res, options));
 */
export function forward(req: IncomingMessage, res: ServerResponse, options: ForwardOptions): void {
  const upstream = options.request({ method: req.method, path: req.url, headers: options.headers });
  let answered = false;
  // The client went away (or the response finished): stop the upstream request if it still runs.
  res.once("close", () => {
    if (!res.writableFinished) upstream.destroy();
  });
  upstream.on("error", (error) => {
    if (answered) return; // the response pipeline reports it
    answered = true;
    const refusal: PeerRefusal = options.refusalFor?.(error) ?? {
      status: 502,
      reason: "UpstreamUnavailable",
      message: `the upstream did not answer (${(error as NodeJS.ErrnoException).code ?? error.message})`,
    };
    options.onError(error, refusal);
    options.onResponse(refusal.status);
    if (!res.headersSent && !res.destroyed) answerRefusal(res, refusal);
    else res.destroy();
  });
  upstream.on("response", (upstreamRes) => {
    answered = true;
    const status = upstreamRes.statusCode ?? 502;
    options.onResponse(status);
    res.writeHead(status, upstreamRes.statusMessage, forwardHeaders(upstreamRes.headers));
    res.flushHeaders(); // an SSE stream may send its first event much later
    pipeline(
      upstreamRes,
      counter((n) => options.onBytes("response", n)),
      res,
      (error) => {
        if (!error || res.writableFinished) return;
        options.onError(error, undefined);
        upstream.destroy();
        res.destroy();
      },
    );
  });
  upstream.flushHeaders(); // the upstream sees the request before its (maybe streamed) body
  req.pipe(counter((n) => options.onBytes("request", n))).pipe(upstream);
}

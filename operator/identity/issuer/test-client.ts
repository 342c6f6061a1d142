/**
 * A raw HTTPS client for tests and benchmarks of the issuance API: it sends exactly the header and body it
 * is given (even a missing token or a body no agent would send) and reports the status, the parsed JSON
 * answer and the TLS group it negotiated. Not for production: the agent has its own client.
 *
 * @example
 * const r = await postToIssuer({ port, trust: anchorPem, token, body: csrPem });
 * r.status; // 200
 * r.group; // "X25519MLKEM768"
 */
import { request, type Agent } from "node:https";
import type { TLSSocket } from "node:tls";

/**
 * What one request returned; `error` when there was no answer (a refused handshake, a reset).
 *
 * @example
 * const { status, json }: IssuerResponse = await postToIssuer(options);
 */
export interface IssuerResponse {
  status: number;
  json: Record<string, unknown> | undefined;
  headers: Record<string, string | string[] | undefined>;
  group: string | undefined;
  /** The error code (`EPROTO`, `UNABLE_TO_VERIFY_LEAF_SIGNATURE`, …) when there was no answer. */
  error: string | undefined;
  errorMessage: string | undefined;
}

/**
 * Posts `body` to `https://127.0.0.1:<port><path>`.
 *
 * @example
 * await postToIssuer({ port, trust, body: "garbage", token }); // { status: 400, json: { reason: "MalformedCSR", … } }
 */
export function postToIssuer(options: {
  port: number;
  trust: string | string[];
  body?: string | Buffer;
  token?: string;
  /** A raw Authorization header; overrides `token`. */
  authorization?: string;
  headers?: Record<string, string>;
  groups?: string;
  path?: string;
  method?: "GET" | "POST";
  /** The local address to connect from, e.g. 127.0.0.2 to be another client on loopback. */
  localAddress?: string;
  /** A keep-alive agent to reuse connections; default a new connection per request. */
  agent?: Agent;
}): Promise<IssuerResponse> {
  const authorization =
    options.authorization ?? (options.token ? `Bearer ${options.token}` : undefined);
  return new Promise((resolve) => {
    const result: IssuerResponse = {
      status: 0,
      json: undefined,
      headers: {},
      group: undefined,
      error: undefined,
      errorMessage: undefined,
    };
    const req = request({
      host: "127.0.0.1",
      port: options.port,
      path: options.path ?? "/v1/identity",
      method: options.method ?? "POST",
      headers: { ...(authorization && { authorization }), ...options.headers },
      ca: options.trust,
      minVersion: "TLSv1.3",
      ecdhCurve: options.groups ?? "X25519MLKEM768",
      agent: options.agent ?? false,
      ...(options.localAddress && { localAddress: options.localAddress }),
    });
    req.on("error", (error: NodeJS.ErrnoException) => {
      result.error = error.code ?? error.message;
      result.errorMessage = error.message;
      if (!result.status) resolve(result);
    });
    req.on("response", (res) => {
      // Read once the handshake is certainly over (also on a socket a keep-alive agent reused).
      // @types/node knows only { type: "DH" | "ECDH" }; for a TLS 1.3 group Node 24 reports "TLSGroup".
      const info = (res.socket as TLSSocket).getEphemeralKeyInfo() as { name?: string } | null;
      result.group = info?.name;
      result.status = res.statusCode ?? 0;
      result.headers = res.headers;
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => {
        try {
          result.json = JSON.parse(text) as Record<string, unknown>;
        } catch {
          result.json = undefined;
        }
        resolve(result);
      });
    });
    req.end(options.body);
  });
}

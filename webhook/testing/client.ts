/**
 * An HTTPS client for tests of the webhook server: posts raw bodies (so tests can send anything, not
 * only valid JSON), verifies the server's certificate against the given CA, and reports the negotiated
 * TLS version and key-exchange group.
 *
 * @example
 * const { status, json } = await send({ port, ca, body: JSON.stringify(review) });
 */
import { request, type Agent } from "node:https";
import type { TLSSocket } from "node:tls";

/**
 * One response.
 *
 * @example
 * if (reply.status === 400) expect(reply.json).toMatchObject({ kind: "Status" });
 */
export interface Reply {
  status: number;
  text: string;
  json: unknown;
  protocol: string | null;
  group: string | undefined;
  fingerprint: string | undefined;
}

/**
 * Sends one request to the webhook on 127.0.0.1.
 *
 * @example
 * await send({ port, ca, path: "/healthz", method: "GET" });
 */
export function send(options: {
  port: number;
  ca: string;
  body?: string | Buffer;
  path?: string;
  method?: string;
  contentType?: string;
  agent?: Agent;
  ecdhCurve?: string;
  maxVersion?: "TLSv1.2" | "TLSv1.3";
}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: options.port,
        path: options.path ?? "/validate",
        method: options.method ?? "POST",
        ca: options.ca,
        agent: options.agent ?? false,
        ...(options.ecdhCurve && { ecdhCurve: options.ecdhCurve }),
        ...(options.maxVersion && { maxVersion: options.maxVersion }),
        headers:
          options.body !== undefined
            ? { "content-type": options.contentType ?? "application/json" }
            : {},
      },
      (res) => {
        const socket = res.socket as TLSSocket;
        const group = socket.getEphemeralKeyInfo?.();
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({
            status: res.statusCode ?? 0,
            text,
            json,
            protocol: socket.getProtocol?.() ?? null,
            group: group && "name" in group ? group.name : undefined,
            fingerprint: socket.getPeerCertificate?.()?.fingerprint256,
          });
        });
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/**
 * A stand-in API server over HTTPS on loopback for unit tests of code that lists with `listJson`: each
 * request is answered by a behaviour the test picks (answer, fail, never answer), and the test sees which
 * requests arrived and whether the client has closed each one's connection since (an abandoned request).
 *
 * @example
 * const api = await httpsApiServer((req, res) => void (req.url?.includes("mcpservers") || res.end("{}")));
 * await listJson(api.kubeConfig, "/api/v1/namespaces", { signal });
 * api.received; // [{ path: "/api/v1/namespaces?limit=500", closed: true }]
 * await api.close();
 */
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import { createCA, DAY_MS, issueServing } from "../../tls/certs.ts";

/**
 * A running stand-in API server.
 *
 * @example
 * const { kubeConfig, received, close } = await httpsApiServer(neverAnswers);
 */
export interface HttpsApiServer {
  /** A KubeConfig for it that trusts its CA. */
  kubeConfig: KubeConfig;
  /** Every request, in order, and whether its connection has closed since. */
  received: { path: string; closed: boolean }[];
  close(): Promise<void>;
}

/**
 * Starts a server that answers each request with `behaviour`.
 *
 * @example
 * const api = await httpsApiServer((_req, res) => res.writeHead(500).end("{}"));
 */
export async function httpsApiServer(
  behaviour: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<HttpsApiServer> {
  const now = new Date();
  const ca = await createCA(now, DAY_MS, "test-api-server-ca");
  const serving = await issueServing(ca, { dns: ["localhost"], ips: ["127.0.0.1"] }, now, DAY_MS);
  const received: HttpsApiServer["received"] = [];
  const server: Server = createServer({ cert: serving.cert, key: serving.key }, (req, res) => {
    const entry = { path: req.url ?? "", closed: false };
    received.push(entry);
    req.socket.once("close", () => (entry.closed = true));
    behaviour(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [
      {
        name: "test",
        server: `https://127.0.0.1:${port}`,
        caData: Buffer.from(ca.cert).toString("base64"),
      },
    ],
    users: [{ name: "test", token: "t" }],
    contexts: [{ name: "test", cluster: "test", user: "test" }],
    currentContext: "test",
  });
  return {
    kubeConfig,
    received,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

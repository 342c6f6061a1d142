/**
 * Starting and stopping the proxy's two HTTP servers (inbound TLS, outbound plaintext) the same way:
 * listen and report the port, or fail loudly (an MCP server bound to 0.0.0.0 on the MCP port makes the
 * proxy's bind fail with EADDRINUSE, instead of serving plaintext); on shutdown stop accepting at once,
 * close idle keep-alive connections, give requests in flight a grace period, then drop what is left.
 *
 * @example
 * const port = await listen(server, { host: "10.0.0.7", port: 8443 }, log, "Inbound proxy");
 * await drain(server, 5000);
 */
import type { Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../log.ts";
import type { HostPort } from "./address.ts";

/**
 * Listens on `address`; resolves with the port, rejects with the bind error.
 *
 * @example
 * const port = await listen(server, { host: "127.0.0.1", port: 0 }, log, "Outbound proxy");
 */
export function listen(
  server: HttpServer,
  address: HostPort,
  log: Logger,
  name: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(address.port, address.host, () => {
      server.off("error", reject);
      server.on("error", (error) => log.error({ err: error }, `${name} failed`));
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Stops `server`: no new connections, idle ones closed, busy ones given `graceMs` to finish, then closed.
 * Resolves once every connection is gone.
 *
 * @example
 * await drain(server, 5000);
 */
export async function drain(server: HttpServer, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([closed, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
  clearTimeout(timer);
  server.closeAllConnections();
  await closed;
}

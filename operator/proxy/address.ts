/**
 * The `host:port` values of the proxy's flags (`--listen`, `--upstream`, `--metrics-address`), read
 * strictly, and whether a host is the pod's loopback. Loopback matters twice: the proxy forwards
 * plaintext only to the MCP server on 127.0.0.1 (inbound), and offers its plaintext local port only on
 * loopback (outbound), so plaintext never leaves the pod. IPv6 hosts may be bracketed (`[::1]:8443`) or
 * not (`fd00::1:8443`, as `$(POD_IP):8443` expands in an IPv6 pod): the port is after the last colon.
 *
 * @example
 * parseHostPort("10.0.0.7:8443"); // { host: "10.0.0.7", port: 8443 }
 * isLoopback("127.0.0.1"); // true
 */
import { isIP } from "node:net";

/**
 * A host and a port.
 *
 * @example
 * const address: HostPort = { host: "127.0.0.1", port: 8443 };
 */
export interface HostPort {
  host: string;
  port: number;
}

const DNS_NAME =
  /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*\.?$/i;

/**
 * Reads `host:port`; throws an Error saying what is wrong (the caller names the flag). The host is an IP
 * address or, unless `ipOnly`, a DNS name; the port 0-65535 (0: any free port, for tests).
 *
 * @example
 * parseHostPort("[::1]:15001"); // { host: "::1", port: 15001 }
 * parseHostPort("search.mcp.svc:8443"); // { host: "search.mcp.svc", port: 8443 }
 */
export function parseHostPort(raw: string, options: { ipOnly?: boolean } = {}): HostPort {
  const colon = raw.lastIndexOf(":");
  if (colon <= 0) throw new Error(`must be host:port, got "${raw}"`);
  let host = raw.slice(0, colon);
  const portText = raw.slice(colon + 1);
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port > 65535)
    throw new Error(`the port must be a number from 0 to 65535, got "${raw}"`);
  const ip = isIP(host) !== 0;
  if (!ip && (options.ipOnly || !DNS_NAME.test(host) || host.includes(":")))
    throw new Error(
      `the host must be an IP address${options.ipOnly ? "" : " or a DNS name"}, got "${raw}"`,
    );
  return { host, port };
}

/**
 * Whether `host` is the loopback interface: 127.0.0.0/8, ::1 or `localhost`.
 *
 * @example
 * isLoopback("10.0.0.7"); // false
 */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  if (h === "localhost" || h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  return /^::ffff:127\./.test(h);
}

/**
 * `host:port`, bracketing an IPv6 host, for messages and URLs.
 *
 * @example
 * formatHostPort({ host: "::1", port: 15001 }); // "[::1]:15001"
 */
export function formatHostPort(address: HostPort): string {
  return isIP(address.host) === 6
    ? `[${address.host}]:${address.port}`
    : `${address.host}:${address.port}`;
}

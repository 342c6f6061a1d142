/**
 * Which scheme a probe tries first on a shadow server: TLS when a port says so, plain HTTP otherwise.
 * Both are tried, within one deadline; the hint only spares the usual case a failed attempt. A port
 * says TLS when one of its names (a Service port's, the `targetPort` it names, the container port's)
 * has a `tls`, `https`, `mcps` or `ssl` part (`mcp-tls`, `https`, `mcp-https`), its `appProtocol` is
 * `https` (or a `…/https` or `…/tls` of some domain), or its number is 443 or 8443. Pure.
 *
 * classify.ts reads the hints into a probe target's `tlsHinted`; mcp-probe.ts orders by it.
 *
 * @example
 * schemeOrder({ tlsHinted: hintsTls({ names: ["mcp-tls"] }) }); // ["https", "http"]
 */

/**
 * The URL scheme a probe speaks.
 *
 * @example
 * const scheme: ProbeScheme = "https";
 */
export type ProbeScheme = "http" | "https";

/**
 * What a port tells of its scheme.
 *
 * @example
 * const hints: PortHints = { names: ["mcp-tls"], appProtocol: "latticeguard.dev/mcp", port: 8443 };
 */
export interface PortHints {
  names?: readonly (string | undefined)[];
  appProtocol?: string;
  port?: number;
}

const TLS_NAME = /(^|-)(tls|https|mcps|ssl)($|-)/;
const TLS_APP_PROTOCOL = /(^|\/)(https|tls)$/;
const TLS_PORTS: readonly number[] = [443, 8443];

/**
 * Whether the port's names, `appProtocol` or number say it speaks TLS.
 *
 * @example
 * hintsTls({ appProtocol: "https" }); // true
 */
export function hintsTls({ names = [], appProtocol, port }: PortHints): boolean {
  return (
    names.some((n) => n !== undefined && TLS_NAME.test(n.toLowerCase())) ||
    (appProtocol !== undefined && TLS_APP_PROTOCOL.test(appProtocol.toLowerCase())) ||
    (port !== undefined && TLS_PORTS.includes(port))
  );
}

/**
 * The schemes to try, in order: both, TLS first when the target's port {@link hintsTls}.
 *
 * @example
 * schemeOrder({ tlsHinted: true }); // ["https", "http"]
 */
export function schemeOrder(target: { tlsHinted?: boolean }): ProbeScheme[] {
  return target.tlsHinted ? ["https", "http"] : ["http", "https"];
}

/**
 * Who a connection comes from, for per-client limits (connections per client, the issuance API's rate
 * limit): the peer's address as the socket reports it, never a header a client can write. An IPv4
 * address is its own key (an IPv4-mapped IPv6 address is read as the IPv4 address it carries). An IPv6
 * address is keyed by its /64 prefix: one host is routinely given a whole /64, so keying by full address
 * would let one client appear as 2^64 clients.
 *
 * @example
 * clientKey(req.socket.remoteAddress); // "10.0.3.7", or "2001:db8:0:1::/64"
 */
import { isIPv4, isIPv6 } from "node:net";

/**
 * The key of a peer address; `"unknown"` when the socket no longer has one (it closed).
 *
 * @example
 * clientKey("::ffff:127.0.0.1"); // "127.0.0.1"
 * clientKey("2001:db8::1"); // "2001:db8:0:0::/64"
 */
export function clientKey(address: string | undefined): string {
  if (!address) return "unknown";
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  if (isIPv4(address)) return address;
  const bare = address.split("%")[0]!;
  if (!isIPv6(bare)) return address;
  return `${expandIPv6(bare).slice(0, 4).join(":")}::/64`;
}

/** The eight groups of a valid IPv6 address, lowercase, without leading zeros. */
function expandIPv6(address: string): string[] {
  const [head = "", tail] = address.toLowerCase().split("::");
  const groups = (part: string | undefined) =>
    (part ? part.split(":") : []).flatMap((group) => {
      if (!group.includes(".")) return [group];
      const [a, b, c, d] = group.split(".").map(Number) as [number, number, number, number];
      return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
    });
  const left = groups(head);
  const right = groups(tail);
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill("0");
  return [...left, ...zeros, ...right].map((group) => parseInt(group, 16).toString(16));
}

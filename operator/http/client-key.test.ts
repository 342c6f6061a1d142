import { describe, expect, it } from "vitest";
import { clientKey } from "./client-key.ts";

describe("clientKey", () => {
  it.each<[string, string | undefined, string]>([
    ["an IPv4 address", "10.0.3.7", "10.0.3.7"],
    ["loopback", "127.0.0.1", "127.0.0.1"],
    ["an IPv4-mapped IPv6 address", "::ffff:127.0.0.2", "127.0.0.2"],
    ["an IPv4-mapped IPv6 address in capitals", "::FFFF:10.1.2.3", "10.1.2.3"],
    ["IPv6 loopback", "::1", "0:0:0:0::/64"],
    ["a compressed IPv6 address", "2001:db8::1", "2001:db8:0:0::/64"],
    ["another host in the same /64", "2001:db8::ffff:1", "2001:db8:0:0::/64"],
    [
      "a full IPv6 address with leading zeros",
      "2001:0db8:0001:0002:0003:0004:0005:0006",
      "2001:db8:1:2::/64",
    ],
    ["a /64 ending in ::", "fd00:1:2:3::", "fd00:1:2:3::/64"],
    ["a zone id", "fe80::1%eth0", "fe80:0:0:0::/64"],
    ["an embedded IPv4 tail", "64:ff9b::192.0.2.1", "64:ff9b:0:0::/64"],
    ["no address (a closed socket)", undefined, "unknown"],
    ["an empty address", "", "unknown"],
    ["something that is not an address", "not-an-ip", "not-an-ip"],
  ])("keys %s", (_name, address, key) => {
    expect(clientKey(address)).toBe(key);
  });

  it("gives two /64s different keys", () => {
    expect(clientKey("2001:db8:0:1::1")).not.toBe(clientKey("2001:db8:0:2::1"));
  });
});

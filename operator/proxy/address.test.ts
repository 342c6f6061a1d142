import { describe, expect, it } from "vitest";
import { formatHostPort, isLoopback, parseHostPort } from "./address.ts";

describe("parseHostPort", () => {
  it.each([
    ["10.0.0.7:8443", { host: "10.0.0.7", port: 8443 }],
    ["127.0.0.1:0", { host: "127.0.0.1", port: 0 }],
    ["[::1]:15001", { host: "::1", port: 15001 }],
    ["fd00::7:8443", { host: "fd00::7", port: 8443 }],
    ["search.mcp.svc:8443", { host: "search.mcp.svc", port: 8443 }],
    ["localhost:15001", { host: "localhost", port: 15001 }],
  ])("reads %s", (raw, expected) => {
    expect(parseHostPort(raw)).toEqual(expected);
  });

  it.each([
    ["8443", "must be host:port"],
    [":8443", "must be host:port"],
    ["10.0.0.7:", "the port must be a number from 0 to 65535"],
    ["10.0.0.7:65536", "the port must be a number from 0 to 65535"],
    ["10.0.0.7:-1", "the port must be a number from 0 to 65535"],
    ["10.0.0.7:http", "the port must be a number from 0 to 65535"],
    ["bad_host:80", "the host must be an IP address or a DNS name"],
    ["a:b:80", "the host must be an IP address or a DNS name"],
  ])("refuses %s", (raw, message) => {
    expect(() => parseHostPort(raw)).toThrow(message);
  });

  it("refuses a DNS name where only an IP address will do", () => {
    expect(() => parseHostPort("search.mcp.svc:80", { ipOnly: true })).toThrow(
      'the host must be an IP address, got "search.mcp.svc:80"',
    );
  });
});

describe("isLoopback", () => {
  it.each([
    ["127.0.0.1", true],
    ["127.1.2.3", true],
    ["::1", true],
    ["localhost", true],
    ["::ffff:127.0.0.1", true],
    ["0.0.0.0", false],
    ["::", false],
    ["10.0.0.7", false],
    ["128.0.0.1", false],
    ["search.mcp.svc", false],
  ])("%s → %s", (host, expected) => {
    expect(isLoopback(host)).toBe(expected);
  });
});

describe("formatHostPort", () => {
  it.each([
    [{ host: "127.0.0.1", port: 1 }, "127.0.0.1:1"],
    [{ host: "::1", port: 2 }, "[::1]:2"],
    [{ host: "search.mcp.svc", port: 3 }, "search.mcp.svc:3"],
  ])("%j → %s", (address, expected) => {
    expect(formatHostPort(address)).toBe(expected);
  });
});

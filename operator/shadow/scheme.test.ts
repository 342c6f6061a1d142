import { describe, expect, it } from "vitest";
import { hintsTls, schemeOrder, type PortHints } from "./scheme.ts";

describe("hintsTls", () => {
  it.each<[string, PortHints, boolean]>([
    ["a port named mcp", { names: ["mcp"] }, false],
    ["a port named mcp-tls", { names: ["mcp-tls"] }, true],
    ["a port named https", { names: ["https"] }, true],
    ["a port named mcp-https", { names: ["mcp-https"] }, true],
    ["a port named MCPS", { names: ["MCPS"] }, true],
    ["a name that only contains tls", { names: ["mcp-atlas"] }, false],
    ["a target port's name", { names: ["mcp", "mcp-tls"] }, true],
    ["an unnamed port", { names: [undefined] }, false],
    ["appProtocol https", { appProtocol: "https" }, true],
    ["a domain's tls appProtocol", { appProtocol: "example.com/tls" }, true],
    ["appProtocol latticeguard.dev/mcp", { appProtocol: "latticeguard.dev/mcp" }, false],
    ["port 443", { port: 443 }, true],
    ["port 8443", { port: 8443 }, true],
    ["port 8080", { port: 8080 }, false],
    ["nothing", {}, false],
  ])("%s", (_what, hints, tls) => {
    expect(hintsTls(hints)).toBe(tls);
  });
});

describe("schemeOrder", () => {
  it("tries both schemes, TLS first only when hinted", () => {
    expect(schemeOrder({})).toEqual(["http", "https"]);
    expect(schemeOrder({ tlsHinted: false })).toEqual(["http", "https"]);
    expect(schemeOrder({ tlsHinted: true })).toEqual(["https", "http"]);
  });
});

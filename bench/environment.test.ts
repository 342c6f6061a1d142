import { describe, expect, it } from "vitest";
import { benchCommand, benchHeader, machineLine } from "./environment.ts";

describe("benchCommand", () => {
  it.each<[string[], string, string]>([
    [["/usr/bin/node", "/repo/bench/crypto.ts"], "/repo", "node bench/crypto.ts"],
    [
      ["/usr/bin/node", "/repo/bench/crypto.ts", "--seconds=2", "--rounds=3"],
      "/repo",
      "node bench/crypto.ts --seconds=2 --rounds=3",
    ],
    [["/usr/bin/node", "/repo/bench/admission.ts"], "/repo/bench", "node admission.ts"],
    [["/usr/bin/node", "/repo/bench/issuance.ts"], "/elsewhere", "node ../repo/bench/issuance.ts"],
  ])("of %j from %s is %s", (argv, cwd, expected) => {
    expect(benchCommand(argv, cwd)).toBe(expected);
  });
});

describe("machineLine", () => {
  it("names the date, the CPUs, Node and OpenSSL", () => {
    const line = machineLine(new Date("2026-11-22T10:00:00Z"));
    expect(line).toMatch(
      /^2026-11-22T10:00:00\.000Z · \d+ × .+ · .+ · Node \d+\.\d+\.\d+ · OpenSSL \d/,
    );
    expect(line).toContain(`Node ${process.versions.node}`);
  });
});

describe("benchHeader", () => {
  it("starts with the title, then the command and the machine", () => {
    const lines = benchHeader("Crypto benchmark", new Date(0)).split("\n");
    expect(lines[0]).toBe("Crypto benchmark");
    expect(lines[2]).toMatch(/^command: `node .+`$/);
    expect(lines[4]).toMatch(/^1970-01-01T00:00:00\.000Z · /);
  });
});

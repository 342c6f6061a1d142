import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { nodeVersionProblem } from "./require-node.mjs";

describe("nodeVersionProblem", () => {
  it.each([
    ["20.20.2", true],
    ["22.19.0", true],
    ["24.6.9", true],
    ["24.7.0", false],
    ["24.21.0", false],
    ["26.0.0", false],
  ])("treats Node %s as too old: %s", (version, tooOld) => {
    const problem = nodeVersionProblem(version, "/usr/bin/node");
    expect(problem !== undefined).toBe(tooOld);
    if (tooOld) expect(problem).toContain(`/usr/bin/node is v${version}`);
  });

  it("lets the Node that runs the tests through when run as a script", async () => {
    const run = promisify(execFile);
    const { stderr } = await run(process.execPath, ["operator/bin/require-node.mjs"]);
    expect(stderr).toBe("");
  });
});

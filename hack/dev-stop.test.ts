import { existsSync, statSync } from "node:fs";
import { mkdtemp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  removePidFile,
  stopReason,
  watchForStop,
  writePidFile,
  type StopObservation,
} from "./dev-stop.ts";

describe("stopReason", () => {
  it.each<[string, StopObservation, string | undefined]>([
    ["the pid file is there and the parent too", { pidFileExists: true, parent: 41 }, undefined],
    ["there is no pid file to watch", { pidFileExists: undefined, parent: 41 }, undefined],
    [
      "the pid file was removed",
      { pidFileExists: false, parent: 41 },
      "its pid file was removed (make was interrupted)",
    ],
    ["the parent exited", { pidFileExists: true, parent: 1 }, "its parent process 41 exited"],
    [
      "the parent exited, no pid file",
      { pidFileExists: undefined, parent: 7 },
      "its parent process 41 exited",
    ],
  ])("when %s", (_what, now, why) => {
    expect(stopReason(now, 41)).toBe(why);
  });
});

describe("the pid file", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "latticeguard-dev-stop-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("is written with a new modification time over one an earlier run left", async () => {
    const path = join(dir, "sub", "dev.pid");
    await writePidFile(path);
    await utimes(path, new Date(0), new Date(0));
    await writePidFile(path);
    expect(await readFile(path, "utf8")).toBe(`${process.pid}\n`);
    expect(statSync(path).mtimeMs).toBeGreaterThan(Date.now() - 60_000);
  });

  it("is removed only while it names this process", async () => {
    const path = join(dir, "dev.pid");
    await writeFile(path, "1\n");
    await removePidFile(path);
    expect(existsSync(path)).toBe(true);
    await writePidFile(path);
    await removePidFile(path);
    expect(existsSync(path)).toBe(false);
    await removePidFile(path); // gone already: nothing to do
  });

  it("stops the watch once, when the file is removed", async () => {
    const pidFile = join(dir, "dev.pid");
    await writePidFile(pidFile);
    const stop = vi.fn();
    const unwatch = watchForStop(
      { pidFile, parent: 41, currentParent: () => 41, intervalMs: 5 },
      stop,
    );
    await new Promise((r) => setTimeout(r, 30));
    expect(stop).not.toHaveBeenCalled();
    await rm(pidFile);
    await vi.waitFor(() => expect(stop).toHaveBeenCalledWith(expect.stringMatching(/pid file/)));
    await new Promise((r) => setTimeout(r, 30));
    expect(stop).toHaveBeenCalledTimes(1);
    unwatch();
  });

  it("stops the watch when the parent changes", async () => {
    let parent = 41;
    const stop = vi.fn();
    const unwatch = watchForStop({ parent: 41, currentParent: () => parent, intervalMs: 5 }, stop);
    await new Promise((r) => setTimeout(r, 30));
    expect(stop).not.toHaveBeenCalled();
    parent = 1;
    await vi.waitFor(() => expect(stop).toHaveBeenCalledWith("its parent process 41 exited"));
    unwatch();
  });
});

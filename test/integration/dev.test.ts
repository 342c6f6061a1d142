/**
 * `make dev` stops cleanly when make itself is signalled, as `kill <pid>`, a process supervisor or an
 * editor's task runner does, not only on Ctrl-C (which signals the whole process group): once make has
 * exited, no process it started is left (etcd, kube-apiserver, kube-controller-manager, the operator in
 * node) and the control plane's directory is gone. Each case runs the real `make dev`, which brings up a
 * control plane of its own from the cached binaries, in a process group of its own.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { repoRoot } from "../../hack/tools.ts";

interface Proc {
  pid: number;
  ppid: number;
  comm: string;
  cmdline: string[];
}

/** Every process in process group `pgid`, from /proc. */
function processGroup(pgid: number): Proc[] {
  const found: Proc[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid pgrp …; comm may hold spaces and parentheses.
      const [, ppid, pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(pgrp) !== pgid) continue;
      found.push({
        pid: Number(entry),
        ppid: Number(ppid),
        comm: readFileSync(`/proc/${entry}/comm`, "utf8").trim(),
        cmdline: readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0"),
      });
    } catch {
      // Gone between readdir and read.
    }
  }
  return found;
}

const alive = (pid: number) => existsSync(`/proc/${pid}`);

const runs: { make: ChildProcess; dir: string }[] = [];
afterEach(async () => {
  for (const { make, dir } of runs.splice(0)) {
    // Whatever a failed case left: the whole group this file started, by its id.
    if (processGroup(make.pid!).length) process.kill(-make.pid!, "SIGKILL");
    await rm(dir, { recursive: true, force: true });
  }
});

describe("make dev", () => {
  it.each(["SIGINT", "SIGTERM"] as const)(
    "stops on %s sent to make alone, leaving no process and no data behind",
    async (signal) => {
      const dir = await mkdtemp(join(tmpdir(), "latticeguard-dev-test-"));
      // A process group of its own, so that the signal reaches make alone and the group can be listed.
      const make = spawn("make", ["dev", `DEV_DIR=${dir}`], {
        cwd: repoRoot,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      });
      runs.push({ make, dir });
      let output = "";
      make.stdout.setEncoding("utf8").on("data", (c: string) => (output += c));
      make.stderr.setEncoding("utf8").on("data", (c: string) => (output += c));
      await vi.waitFor(
        () => {
          if (make.exitCode !== null) throw new Error(`make dev exited early:\n${output}`);
          if (!output.includes("LatticeGuard is running")) throw new Error("not running yet");
        },
        { timeout: 150_000, interval: 500 },
      );

      const group = processGroup(make.pid!);
      expect(group.map((p) => p.comm)).toEqual(
        expect.arrayContaining(["make", "etcd", "kube-apiserver", "kube-controller"]),
      );
      const apiserver = group.find((p) => p.comm === "kube-apiserver")!;
      const certDir = apiserver.cmdline.find((a) => a.startsWith("--cert-dir="))!.split("=")[1]!;
      const controlPlaneDir = join(certDir, "..");
      expect(existsSync(controlPlaneDir)).toBe(true);
      expect(existsSync(join(dir, "dev.pid"))).toBe(true);

      process.kill(make.pid!, signal);
      await vi.waitFor(
        () => {
          if (make.exitCode === null && make.signalCode === null)
            throw new Error(`make dev still runs after ${signal}:\n${output.slice(-2000)}`);
        },
        { timeout: 40_000, interval: 250 },
      );
      await vi.waitFor(() => expect(processGroup(make.pid!)).toEqual([]), { timeout: 5_000 });
      expect(group.filter((p) => alive(p.pid)).map((p) => p.comm)).toEqual([]);
      expect(existsSync(controlPlaneDir)).toBe(false);
      expect(existsSync(join(dir, "dev.pid"))).toBe(false);
      expect(output).toContain("Stopping LatticeGuard's local control plane:");
    },
    240_000,
  );
});

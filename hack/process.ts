/**
 * A child process that logs to a file, can be stopped and restarted, and is killed when this process
 * exits for any reason, so no etcd or kube-apiserver outlives the test run or `make dev` that started it.
 *
 * @example
 * const p = new ManagedProcess("etcd", "/path/etcd", ["--data-dir=/tmp/x"], "/tmp/etcd.log");
 * await p.start();
 * await p.stop();
 */
import { spawn, type ChildProcess } from "node:child_process";
import { openSync, closeSync, readFileSync } from "node:fs";
import { createServer } from "node:net";

const running = new Set<ChildProcess>();
const killAll = () => running.forEach((child) => child.kill("SIGKILL"));
let callerStops = false;
process.once("exit", killAll);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  // Kill the children, then let the signal do what it would have done without this handler.
  process.once(signal, () => {
    if (callerStops) return;
    killAll();
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  });
}

/**
 * For a program that stops its children itself, in order, on SIGINT, SIGTERM and SIGHUP: those signals
 * no longer kill every child at once, so the program can stop what talks to the control plane before
 * the control plane. It must listen for the three signals and exit; exiting still kills every child
 * left, however the program exits.
 *
 * @example
 * leaveSignalsToCaller();
 * process.on("SIGTERM", () => void stopInOrder().then(() => process.exit(0)));
 */
export function leaveSignalsToCaller(): void {
  callerStops = true;
}

/**
 * Has `child` killed (SIGKILL) when this process exits, however it exits, unless it exited first: for
 * children that are not a {@link ManagedProcess}, such as the proxies `make dev` runs.
 *
 * @example
 * killOnExit(spawn(process.execPath, ["operator/bin/latticeguard.mjs", "proxy", ...args]));
 */
export function killOnExit(child: ChildProcess): void {
  running.add(child);
  child.once("exit", () => running.delete(child));
}

/** A free TCP port on 127.0.0.1, as the kernel hands it out. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address
          ? resolve(address.port)
          : reject(new Error("the kernel handed out no port")),
      );
    });
  });
}

/** One long-running child process of the local control plane. */
export class ManagedProcess {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly logPath: string;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private exitCode: number | null = null;

  constructor(name: string, command: string, args: readonly string[], logPath: string) {
    this.name = name;
    this.command = command;
    this.args = args;
    this.logPath = logPath;
  }

  /** The process id while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Spawns the process with stdout and stderr appended to `logPath`. */
  async start(): Promise<void> {
    if (this.child) throw new Error(`${this.name} is already running`);
    const fd = openSync(this.logPath, "a");
    const child = spawn(this.command, this.args, { stdio: ["ignore", fd, fd] });
    closeSync(fd);
    this.child = child;
    this.exitCode = null;
    killOnExit(child);
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.exitCode = code ?? (signal ? 128 : 1);
        this.child = undefined;
        resolve();
      });
    });
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", resolve);
      child.once("error", (e) => reject(new Error(`${this.name} failed to start: ${e.message}`)));
    });
  }

  /** Throws, with the end of its log, if the process has exited. */
  assertRunning(): void {
    if (this.child) return;
    throw new Error(
      `${this.name} exited with code ${this.exitCode}; last lines of ${this.logPath}:\n${this.logTail()}`,
    );
  }

  /** Sends `signal` (SIGTERM by default), escalating to SIGKILL after `graceMs`; waits for the exit. */
  async stop(signal: NodeJS.Signals = "SIGTERM", graceMs = 10_000): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Stops and starts the process again with the same arguments. */
  async restart(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    await this.stop(signal);
    await this.start();
  }

  /** The last lines of the process's log. */
  logTail(lines = 30): string {
    try {
      return readFileSync(this.logPath, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }

  /** Writes the end of the log through `log`, for failures. */
  printLogTail(log: (line: string) => void): void {
    log(`--- last lines of ${this.name}'s log ---\n${this.logTail()}`);
  }
}

/**
 * How `make dev` learns that it must stop when no signal reaches it. A user who sends SIGINT to `make`
 * itself (not to its process group, as Ctrl-C does) reaches only make: GNU make forwards SIGTERM to the
 * recipe it runs but not SIGINT or SIGHUP, which it expects the whole group to have received, and then
 * waits for the recipe for ever. What make does do, documented ("Interrupts" in the GNU make manual), is
 * delete the target file of the recipe it interrupts. So hack/dev.ts runs as the recipe of its pid file
 * (see the Makefile) and stops when that file is gone. It also stops when its parent is gone (make was
 * killed with SIGKILL), rather than keep etcd and kube-apiserver running for nobody.
 *
 * @example
 * await writePidFile(".dev/dev.pid");
 * const unwatch = watchForStop({ pidFile: ".dev/dev.pid", parent: process.ppid }, (why) => void shutdown(why));
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * What the watcher looks at, each time it looks.
 *
 * @example
 * const now: StopObservation = { pidFileExists: existsSync(pidFile), parent: process.ppid };
 */
export interface StopObservation {
  /** Whether the pid file exists; undefined when there is none to watch. */
  pidFileExists: boolean | undefined;
  /** The parent process id now. */
  parent: number;
}

/**
 * Why the process must stop, or undefined while it may run: its pid file was removed, or it has a new
 * parent (its own exited). Pure.
 *
 * @example
 * stopReason({ pidFileExists: false, parent: 41 }, 41); // "its pid file was removed (make was interrupted)"
 */
export function stopReason(now: StopObservation, parentAtStart: number): string | undefined {
  if (now.pidFileExists === false) return "its pid file was removed (make was interrupted)";
  if (now.parent !== parentAtStart) return `its parent process ${parentAtStart} exited`;
  return undefined;
}

/**
 * Options for {@link watchForStop}.
 *
 * @example
 * const options: StopWatch = { pidFile: ".dev/dev.pid", parent: process.ppid };
 */
export interface StopWatch {
  /** The pid file to watch; none: watch only the parent. */
  pidFile?: string;
  /** The parent process id at start. */
  parent: number;
  /** How often to look; 250 ms by default. */
  intervalMs?: number;
  /** The parent process id now; `process.ppid` by default (tests pass their own). */
  currentParent?: () => number;
}

/**
 * Calls `stop` once, with the reason, when {@link stopReason} gives one; returns a function that ends
 * the watch. The timer does not keep the process alive.
 *
 * @example
 * const unwatch = watchForStop({ pidFile, parent: process.ppid }, (why) => console.error(`Stopping: ${why}`));
 */
export function watchForStop(options: StopWatch, stop: (why: string) => void): () => void {
  const currentParent = options.currentParent ?? (() => process.ppid);
  const timer = setInterval(() => {
    const why = stopReason(
      {
        pidFileExists: options.pidFile === undefined ? undefined : existsSync(options.pidFile),
        parent: currentParent(),
      },
      options.parent,
    );
    if (why === undefined) return;
    clearInterval(timer);
    stop(why);
  }, options.intervalMs ?? 250);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Writes this process's id to `path`, over any file an earlier run left: make deletes the target of an
 * interrupted recipe only when the recipe changed its modification time.
 *
 * @example
 * await writePidFile(".dev/dev.pid"); // "12345\n"
 */
export async function writePidFile(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${process.pid}\n`);
}

/**
 * Removes `path` if it still names this process (another run may have taken it over since).
 *
 * @example
 * await removePidFile(".dev/dev.pid");
 */
export async function removePidFile(path: string): Promise<void> {
  const content = await readFile(path, "utf8").catch(() => "");
  if (content.trim() === String(process.pid)) await rm(path, { force: true });
}

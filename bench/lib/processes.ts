import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Child processes and clean-up. Every child is killed and every registered clean-up runs on a normal end,
 * on an error, on Ctrl-C / SIGTERM and (synchronous part only) on process exit. Node children get an IPC
 * channel and a preload (parent-watch) that stops them when this process dies without cleaning up.
 */

export interface NodeChild {
  name: string;
  process: ChildProcess;
  pid: number;
  /** The last 64 KiB of stdout and stderr. */
  output: () => string;
  exited: Promise<number | null>;
}

type AsyncCleanup = { label: string; run: () => Promise<void> };
type ReaperMessage = { dir: string } | { database: { adminUrl: string; name: string } } | { done: true };

const children = new Set<ChildProcess>();
const cleanups: AsyncCleanup[] = [];
const tempDirs = new Set<string>();
let cleaning: Promise<void> | undefined;

/** Registers an async clean-up; they run in reverse order of registration. Returns a function that unregisters it. */
export function onCleanup(label: string, run: () => Promise<void>): () => void {
  const entry = { label, run };
  cleanups.push(entry);
  return () => {
    const index = cleanups.indexOf(entry);
    if (index >= 0) cleanups.splice(index, 1);
  };
}

let reaper: ChildProcess | undefined;

/** Starts the detached reaper (lib/reaper.ts), which cleans up after this process if it dies without doing so. */
function startReaper(): void {
  reaper = spawn(process.execPath, [join(__dirname, 'reaper.js')], { detached: true, stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
  reaper.on('error', () => (reaper = undefined));
  reaper.unref();
  reaper.channel?.unref();
}

function tellReaper(message: ReaperMessage): void {
  if (reaper?.connected) reaper.send(message);
}

/** A directory removed at the end, even on a hard exit (an embedded cluster inside it is stopped by the reaper). */
export function registerTempDir(dir: string): void {
  tempDirs.add(dir);
  tellReaper({ dir });
}

/** A database the reaper drops if this process dies before its own clean-up does. */
export function registerDatabase(adminUrl: string, name: string): void {
  tellReaper({ database: { adminUrl, name } });
}

export { freePort } from '../../src/database/embedded-postgres';

/** Spawns `node --require parent-watch <args>` with exactly the given environment (plus PATH). */
export function spawnNode(name: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): NodeChild {
  const watch = join(__dirname, 'parent-watch.js');
  const child = spawn(process.execPath, ['--require', watch, ...args], {
    cwd,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  children.add(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (output.length > 65536) output = output.slice(-65536);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolveExit) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolveExit(code ?? (signal ? 128 : null));
    }),
  );
  return { name, process: child, pid: child.pid, output: () => output, exited };
}

/** Runs a command to completion (its output on stderr); a failure rejects. */
export function runCommand(command: string, args: string[], cwd: string): Promise<void> {
  const child = spawn(command, args, { cwd, stdio: ['ignore', 2, 2] });
  children.add(child);
  return new Promise((resolveRun, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      children.delete(child);
      if (code === 0) resolveRun();
      else reject(new Error(`${command} ${args.join(' ')} failed (${code ?? signal})`));
    });
  });
}

/** SIGTERM (the service finishes in-flight requests and closes its pool), SIGKILL after the grace period. */
export async function stopChild(child: NodeChild, graceMs = 10_000): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

/** Polls `url` until it answers 200; fails when the child exits or the time is up. */
export async function waitReady(child: NodeChild, url: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void child.exited.then((code) => (exitCode = code));
  for (;;) {
    if (exitCode !== undefined) throw new Error(`${child.name} exited (${exitCode}) before it was ready:\n${child.output().slice(-4000)}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${child.name} not ready at ${url} after ${timeoutMs / 1000} s:\n${child.output().slice(-4000)}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
}

/** Runs every clean-up once: the registered steps, newest first (children before the database), then SIGKILL for any child left, then temp dirs. */
export function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    for (const step of cleanups.splice(0).reverse()) {
      try {
        await step.run();
      } catch (error) {
        console.error(`clean-up '${step.label}' failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    for (const child of [...children]) child.kill('SIGKILL');
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
    tempDirs.clear();
    const watcher = reaper;
    if (watcher?.connected) await new Promise<void>((resolveSent) => watcher.send({ done: true }, () => resolveSent()));
    if (watcher?.connected) watcher.disconnect();
  })();
  return cleaning;
}

/** Last resort on exit: kill what is left and remove the temp dirs (synchronously). */
function hardCleanUp(): void {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const dir of tempDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }
}

let interrupted = 0;
/** Installs the exit, signal and watchdog handlers. `onInterrupt` stops running load generators. */
export function installExitHandlers(onInterrupt: () => void, watchdogSeconds: number): void {
  startReaper();
  process.once('exit', hardCleanUp);
  const interrupt = (signal: NodeJS.Signals) => {
    interrupted++;
    if (interrupted > 1) {
      console.error(`${signal} again: killing children and exiting now`);
      process.exit(130);
    }
    console.error(`\n${signal}: stopping the load, the children and the database, then exiting (again to force)`);
    onInterrupt();
    void cleanUp().finally(() => process.exit(130));
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  process.on('SIGHUP', interrupt);
  const watchdog = setTimeout(() => {
    console.error(`watchdog: the benchmark ran longer than ${Math.round(watchdogSeconds)} s; stopping`);
    onInterrupt();
    void cleanUp().finally(() => process.exit(124));
  }, watchdogSeconds * 1000);
  watchdog.unref();
}

export interface MemoryFigures {
  /** Highest VmRSS sampled since the last reset, in MiB. */
  peakRssMiB: number;
  /** The kernel's high-water mark of the resident set (VmHWM) when read, in MiB. */
  hwmMiB: number;
}

function statusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The resident set of `pid` now (VmRSS), in KiB; 0 once it is gone. */
export const rssKiB = (pid: number): number => statusKiB(pid, 'VmRSS') ?? 0;

/** Runs `work` while sampling the VmRSS of `pid` every 100 ms: its result and the peak, in KiB. */
export async function withPeakRss<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; peakKiB: number }> {
  let peak = rssKiB(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssKiB(pid))), 100);
  try {
    const result = await work();
    peak = Math.max(peak, rssKiB(pid));
    return { result, peakKiB: peak };
  } finally {
    clearInterval(timer);
  }
}

/** Samples the resident set of the watched processes every `intervalMs` (from /proc/<pid>/status). */
export class RssSampler {
  private readonly peaks = new Map<number, number>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly intervalMs = 100) {}

  watch(pid: number): void {
    this.peaks.set(pid, statusKiB(pid, 'VmRSS') ?? 0);
    if (!this.timer) {
      this.timer = setInterval(() => this.sample(), this.intervalMs);
      this.timer.unref();
    }
  }

  unwatch(pid: number): void {
    this.peaks.delete(pid);
  }

  private sample(): void {
    for (const [pid, peak] of this.peaks) {
      const rss = statusKiB(pid, 'VmRSS');
      if (rss !== undefined && rss > peak) this.peaks.set(pid, rss);
    }
  }

  reset(): void {
    for (const pid of this.peaks.keys()) this.peaks.set(pid, statusKiB(pid, 'VmRSS') ?? 0);
  }

  figures(pid: number): MemoryFigures {
    this.sample();
    return { peakRssMiB: round1((this.peaks.get(pid) ?? 0) / 1024), hwmMiB: round1((statusKiB(pid, 'VmHWM') ?? 0) / 1024) };
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

const round1 = (value: number): number => Math.round(value * 10) / 10;

let ticksPerSecond: number | undefined;

/** CPU time (user + system) the process has used so far, in milliseconds, from /proc/<pid>/stat. */
export function cpuMs(pid: number): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
  } catch {
    return 0;
  }
}

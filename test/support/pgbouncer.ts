import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { portForLater } from './ports';

export type PgBouncerPoolMode = 'session' | 'transaction';

export interface PgBouncerOptions {
  /** Any URL of the PostgreSQL server to pool (its host, port, user and password are used). */
  upstreamUrl: string;
  /** Left unset, PgBouncer's default (session) applies. */
  poolMode?: PgBouncerPoolMode;
  /** Further [pgbouncer] settings; none are added by default, so PgBouncer's defaults apply. */
  settings?: Record<string, string>;
}

export interface PgBouncer {
  port: number;
  /** The URL of a database through the pooler. */
  url(database: string): string;
  log(): string;
  stop(): Promise<void>;
}

const CANDIDATES = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer', '/usr/local/sbin/pgbouncer'];

export function pgBouncerBinary(): string {
  const found = CANDIDATES.find((path) => existsSync(path));
  if (found) return found;
  try {
    return execFileSync('sh', ['-c', 'command -v pgbouncer'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('pgbouncer is not installed: install it (Debian/Ubuntu: apt-get install pgbouncer) to run the connection-pooler tests');
  }
}

/** PgBouncer refuses to run as root: as root, it is started as the postgres user. */
function runAs(): { user: string; uid: number; gid: number } | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { user: 'postgres', uid: id('-u'), gid: id('-g') };
}

/**
 * A PgBouncer of its own, on a free loopback port, in front of the server of `upstreamUrl`: every
 * database of that server is reachable through it (`* =`). Clients are trusted; PgBouncer logs in
 * upstream with the upstream URL's user and password.
 */
export async function startPgBouncer(options: PgBouncerOptions): Promise<PgBouncer> {
  const binary = pgBouncerBinary();
  const upstream = new URL(options.upstreamUrl);
  const user = decodeURIComponent(upstream.username || 'postgres');
  const password = decodeURIComponent(upstream.password);
  const port = await portForLater();
  const dir = mkdtempSync(join(tmpdir(), 'pgbouncer-'));
  const owner = runAs();
  const target = [`host=${upstream.hostname}`, `port=${upstream.port || 5432}`, `user=${user}`, ...(password ? [`password=${password}`] : [])];
  const settings: Record<string, string> = {
    listen_addr: '127.0.0.1',
    listen_port: String(port),
    unix_socket_dir: '',
    auth_type: 'trust',
    auth_file: join(dir, 'userlist.txt'),
    logfile: join(dir, 'pgbouncer.log'),
    ...(options.poolMode ? { pool_mode: options.poolMode } : {}),
    ...options.settings,
  };
  const config = ['[databases]', `* = ${target.join(' ')}`, '', '[pgbouncer]', ...Object.entries(settings).map(([k, v]) => `${k} = ${v}`), ''].join('\n');
  writeFileSync(join(dir, 'pgbouncer.ini'), config, { mode: 0o600 });
  writeFileSync(join(dir, 'userlist.txt'), `"${user}" ""\n`, { mode: 0o600 });
  if (owner) {
    for (const file of ['', 'pgbouncer.ini', 'userlist.txt']) chownSync(join(dir, file), owner.uid, owner.gid);
    chmodSync(dir, 0o700);
  }
  const child: ChildProcess = spawn(binary, [...(owner ? ['-u', owner.user] : []), join(dir, 'pgbouncer.ini')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stopOnExit = () => child.kill('SIGKILL');
  process.once('exit', stopOnExit);
  const log = () => {
    try {
      return output + readFileSync(join(dir, 'pgbouncer.log'), 'utf8');
    } catch {
      return output;
    }
  };
  const url = (database: string) => {
    const through = new URL(options.upstreamUrl);
    through.hostname = '127.0.0.1';
    through.port = String(port);
    through.password = '';
    through.pathname = `/${database}`;
    return through.toString();
  };
  const stop = async () => {
    process.off('exit', stopOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };

  // Ready when a query goes through it (a deadline, not a sleep).
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`pgbouncer exited with code ${child.exitCode}: ${log()}`);
    const client = new Client({ connectionString: url(upstream.pathname.slice(1) || 'postgres'), connectionTimeoutMillis: 1000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      break;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`pgbouncer did not accept a query within 10 s: ${(error as Error).message}\n${log()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return { port, url, log, stop };
}

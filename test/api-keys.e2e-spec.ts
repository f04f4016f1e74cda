import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from './support/reliability/wait-for';
import { bearer, KEY_A, startTestApp, TestApp } from './support/test-app';

const CLI = join(__dirname, '..', 'dist', 'cli', 'keys.js');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run keys -- ...` as a script would run it (the built CLI), on the test database. */
async function keys(databaseUrl: string, ...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** The CLI with `input` on its standard input. */
function keysWithInput(databaseUrl: string, input: string, ...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('managed API keys', () => {
  let first: TestApp;
  let second: TestApp;
  beforeAll(async () => {
    first = await startTestApp();
    second = await startTestApp({ databaseUrl: first.databaseUrl });
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
  });

  const create = async (tenant: string, name?: string) => {
    const result = await keys(first.databaseUrl, 'create', '--tenant', tenant, ...(name ? ['--name', name] : []));
    expect(result.code).toBe(0);
    const secret = result.stdout.trim();
    expect(secret).toMatch(/^sk-[0-9A-Za-z]{32,}$/);
    const id = /key (key_[0-9A-Za-z]+)/.exec(result.stderr)?.[1] as string;
    expect(id).toBeDefined();
    await settled(secret, 'accepted');
    return { secret, id };
  };

  /**
   * Each instance learns of a key change from PostgreSQL's notification, which may arrive just
   * after the command exits: wait (with a deadline) until every instance answers as it must.
   */
  const settled = (secret: string, state: 'accepted' | 'refused') =>
    Promise.all(
      [first, second].map((app, i) =>
        waitFor(
          `instance ${i + 1} to see the key ${state}`,
          async () => {
            const status = (await app.http.get('/v1/threads/thread_probe').set(bearer(secret))).status;
            return (state === 'accepted' ? status === 404 : status === 401) || undefined;
          },
          { timeoutMs: 5000 },
        ),
      ),
    );

  it('creates a key shown once, stores only its hash, and accepts it on every instance', async () => {
    const { secret, id } = await create('acme', 'ci');
    const { rows } = await first.db.query('SELECT * FROM api_keys WHERE id = $1', [id]);
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(secret);
    expect(rows[0]).toMatchObject({ tenant_id: 'acme', name: 'ci', revoked_at: null });

    const thread = await first.http.post('/v1/threads').set(bearer(secret)).send({}).expect(200);
    await second.http.get(`/v1/threads/${thread.body.id}`).set(bearer(secret)).expect(200);
    await second.http.get(`/openai/threads/${thread.body.id}?api-version=2024-08-01-preview`).set('api-key', secret).expect(200);
  });

  it('lists keys without any secret', async () => {
    const { secret, id } = await create('listed', 'label-1');
    const table = await keys(first.databaseUrl, 'list');
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+TENANT\s+NAME\s+CREATED\s+LAST USED\s+REVOKED$/);
    expect(table.stdout).toContain(id);
    expect(table.stdout).not.toContain(secret);
    const json = await keys(first.databaseUrl, 'list', '--json');
    const listed = JSON.parse(json.stdout) as { id: string; tenant: string; name: string; revoked: string | null }[];
    expect(listed.find((k) => k.id === id)).toMatchObject({ tenant: 'listed', name: 'label-1', revoked: null });
    expect(json.stdout).not.toContain(secret);
    expect(json.stdout).not.toMatch(/hash/);
  });

  it('rejects a revoked key on its next request, on every instance, by id or by secret', async () => {
    const byId = await create('revoked-tenant');
    const bySecret = await create('revoked-tenant');
    await first.http.post('/v1/threads').set(bearer(byId.secret)).send({}).expect(200);
    await second.http.post('/v1/threads').set(bearer(bySecret.secret)).send({}).expect(200);

    const revoked = await keys(first.databaseUrl, 'revoke', byId.id);
    expect(revoked).toMatchObject({ code: 0 });
    expect(revoked.stdout).toContain(`Revoked: key ${byId.id}`);
    await settled(byId.secret, 'refused');
    for (const app of [first, second]) {
      const denied = await app.http.post('/v1/threads').set(bearer(byId.secret)).send({}).expect(401);
      expect(denied.body.error.code).toBe('invalid_api_key');
    }
    expect((await keys(first.databaseUrl, 'revoke', bySecret.secret)).code).toBe(0);
    await settled(bySecret.secret, 'refused');
    await second.http.get('/v1/threads/thread_x').set(bearer(bySecret.secret)).expect(401);
    await first.http.get('/openai/threads/thread_x?api-version=2024-08-01-preview').set('api-key', bySecret.secret).expect(401);

    const again = await keys(first.databaseUrl, 'revoke', byId.id);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Already revoked');
    const listed = JSON.parse((await keys(first.databaseUrl, 'list', '--json')).stdout) as { id: string; revoked: string | null }[];
    expect(listed.find((k) => k.id === byId.id)?.revoked).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('revokes a key whose secret comes on standard input (not visible in ps), with -', async () => {
    const dash = await create('stdin-tenant');
    const bare = await create('stdin-tenant');
    const byDash = await keysWithInput(first.databaseUrl, `${dash.secret}\n`, 'revoke', '-');
    expect(byDash).toMatchObject({ code: 0 });
    expect(byDash.stdout).toContain(`Revoked: key ${dash.id}`);
    expect((await keysWithInput(first.databaseUrl, bare.secret, 'revoke', '-')).code).toBe(0);
    for (const secret of [dash.secret, bare.secret]) await first.http.get('/v1/threads/thread_x').set(bearer(secret)).expect(401);
    expect((await keysWithInput(first.databaseUrl, '', 'revoke', '-')).code).toBe(2);
  });

  it('keeps tenants apart: keys of two tenants see only their own threads', async () => {
    const one = await create('tenant-one');
    const two = await create('tenant-two');
    const thread = await first.http
      .post('/v1/threads')
      .set(bearer(one.secret))
      .send({ metadata: { owner: 'one' } })
      .expect(200);
    const hidden = await second.http.get(`/v1/threads/${thread.body.id}`).set(bearer(two.secret)).expect(404);
    expect(hidden.body.error.message).toBe(`No thread found with id '${thread.body.id}'.`);
    await first.http.get(`/v1/threads/${thread.body.id}`).set(bearer(KEY_A)).expect(404);
    await second.http.delete(`/v1/threads/${thread.body.id}`).set(bearer(two.secret)).expect(404);
    await first.http.get(`/v1/threads/${thread.body.id}`).set(bearer(one.secret)).expect(200);
  });

  it('records when a key was last used', async () => {
    const { secret, id } = await create('used');
    await second.http.post('/v1/threads').set(bearer(secret)).send({}).expect(200);
    const extra = await startTestApp({ databaseUrl: first.databaseUrl });
    const asked = Date.now();
    await extra.http.post('/v1/threads').set(bearer(secret)).send({}).expect(200);
    const answered = Date.now();
    await extra.close();
    const { rows } = await first.db.query('SELECT last_used_at FROM api_keys WHERE id = $1', [id]);
    expect(rows[0].last_used_at).toBeInstanceOf(Date);
    // The time the key was accepted, not the time the batch of uses was written (at close, here).
    expect(rows[0].last_used_at.getTime()).toBeGreaterThanOrEqual(asked);
    expect(rows[0].last_used_at.getTime()).toBeLessThanOrEqual(answered);
  });

  it('answers bad arguments and unknown keys with exit codes scripts can rely on', async () => {
    for (const args of [[], ['create'], ['create', '--tenant'], ['create', '--tenant', 'bad tenant!'], ['frobnicate'], ['revoke'], ['list', '--bogus']]) {
      const result = await keys(first.databaseUrl, ...args);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toContain('Usage:');
    }
    const missing = await keys(first.databaseUrl, 'revoke', 'key_doesnotexist');
    expect(missing.code).toBe(3);
    const broken = await keys('postgres://nobody@127.0.0.1:1/none', 'list');
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/^Error: /);
  });
});

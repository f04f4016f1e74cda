import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { bearer, KEY_A, snapshot, startTestApp, TestApp } from './support/test-app';

const CLI = join(__dirname, '..', 'dist', 'cli', 'keys.js');

const keysTool = async (databaseUrl: string, ...args: string[]) =>
  (await promisify(execFile)(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl } })).stdout.trim();

type Dialect = 'openai' | 'azure';
interface Route {
  method: 'get' | 'post' | 'delete';
  path: (ids: { thread: string; message: string }) => string;
  body?: object;
}

/** Every API route, with the ids of a thread and a message of tenant alpha. */
const ROUTES: Route[] = [
  { method: 'post', path: () => '/threads', body: {} },
  { method: 'get', path: ({ thread }) => `/threads/${thread}` },
  { method: 'post', path: ({ thread }) => `/threads/${thread}`, body: { metadata: { x: 'y' } } },
  { method: 'delete', path: ({ thread }) => `/threads/${thread}` },
  { method: 'post', path: ({ thread }) => `/threads/${thread}/messages`, body: { role: 'user', content: 'x' } },
  { method: 'get', path: ({ thread }) => `/threads/${thread}/messages` },
  { method: 'get', path: ({ thread, message }) => `/threads/${thread}/messages/${message}` },
  { method: 'post', path: ({ thread, message }) => `/threads/${thread}/messages/${message}`, body: { metadata: { x: 'y' } } },
  { method: 'delete', path: ({ thread, message }) => `/threads/${thread}/messages/${message}` },
  { method: 'get', path: ({ thread, message }) => `/threads/${thread}/messages/${message}/files` },
  { method: 'get', path: ({ thread, message }) => `/threads/${thread}/messages/${message}/files/file-a` },
];

const url = (dialect: Dialect, path: string) => (dialect === 'azure' ? `/openai${path}?api-version=2024-02-15-preview` : `/v1${path}`);

describe("security: every route with no key, a wrong key, a revoked key and another tenant's key", () => {
  let t: TestApp;
  let revoked: string;
  let otherTenant: string;
  let ids: { thread: string; message: string };

  beforeAll(async () => {
    t = await startTestApp();
    revoked = await keysTool(t.databaseUrl, 'create', '--tenant', 'alpha');
    otherTenant = await keysTool(t.databaseUrl, 'create', '--tenant', 'intruder');
    await t.http.post('/v1/threads').set(bearer(revoked)).send({}).expect(200);
    await keysTool(t.databaseUrl, 'revoke', revoked);
    const thread = await t.http
      .post('/v1/threads')
      .set(bearer(KEY_A))
      .send({ messages: [{ role: 'user', content: 'secret' }] });
    const message = await t.http
      .post(`/openai/threads/${thread.body.id}/messages?api-version=2024-02-15-preview`)
      .set('api-key', KEY_A)
      .send({ role: 'user', content: 'with a file', file_ids: ['file-a'] });
    ids = { thread: thread.body.id, message: message.body.id };
  });
  afterAll(() => t.close());

  const credentials = (dialect: Dialect) => ({
    none: {},
    wrong: dialect === 'azure' ? { 'api-key': 'sk-wrong-0123456789abcdefghij' } : bearer('sk-wrong-0123456789abcdefghij'),
    revoked: dialect === 'azure' ? { 'api-key': revoked } : bearer(revoked),
  });

  it.each(['openai', 'azure'] as Dialect[])('%s dialect: refuses every route without a valid key (401) and changes nothing', async (dialect) => {
    const before = await snapshot(t.db);
    for (const route of ROUTES) {
      for (const [kind, headers] of Object.entries(credentials(dialect))) {
        const response = await t.http[route.method](url(dialect, route.path(ids)))
          .set(headers)
          .send(route.body);
        expect({ route: route.path(ids), kind, status: response.status }).toEqual({ route: route.path(ids), kind, status: 401 });
        if (dialect === 'azure') expect(Object.keys(response.body.error).sort()).toEqual(['code', 'message']);
        else expect(response.body.error.code).toBe('invalid_api_key');
        expect(JSON.stringify(response.body)).not.toContain(revoked);
      }
    }
    expect(await snapshot(t.db)).toBe(before);
  });

  it.each(['openai', 'azure'] as Dialect[])("%s dialect: another tenant's key sees none of alpha's objects and changes nothing", async (dialect) => {
    const before = await snapshot(t.db);
    const headers = dialect === 'azure' ? { 'api-key': otherTenant } : { ...bearer(otherTenant), 'OpenAI-Beta': 'assistants=v1' };
    for (const route of ROUTES.slice(1)) {
      const response = await t.http[route.method](url(dialect, route.path(ids)))
        .set(headers)
        .send(route.body);
      expect({ route: route.path(ids), status: response.status, message: response.body.error?.message }).toEqual({
        route: route.path(ids),
        status: 404,
        message: `No thread found with id '${ids.thread}'.`,
      });
    }
    expect(await snapshot(t.db)).toBe(before);
    const own = await t.http.post(url(dialect, '/threads')).set(headers).send({}).expect(200);
    await t.db.query('DELETE FROM threads WHERE id = $1', [own.body.id]);
  });
});

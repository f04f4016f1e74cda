import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT as EXPORT_EXIT, runExportCommand } from '../src/cli/export';
import { EXIT as IMPORT_EXIT, runImportCommand } from '../src/cli/import';
import { bearer, KEY_A, KEY_B, startTestApp, TestApp } from './support/test-app';

/**
 * npm run export / npm run import: an export of one instance's tenant imported into another
 * database, compared field by field through the API; re-runs verify and skip; a bad thread fails
 * alone (atomic per thread) and the exit code says so.
 */

let source: TestApp;
let target: TestApp;
let dir: string;

const run = async (command: typeof runExportCommand, args: string[], databaseUrl: string) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await command(args, { out: (text) => out.push(text), err: (text) => err.push(text) }, { DATABASE_URL: databaseUrl });
  return { code, out: out.join('\n'), err: err.join('\n') };
};

/** Every thread of the tenant with all its messages, as the API answers them (v2). */
async function everything(app: TestApp, key: string): Promise<unknown[]> {
  const threads = await app.http.get('/v1/threads').set(bearer(key)).query({ limit: '100', order: 'asc' });
  const result: unknown[] = [];
  for (const thread of threads.body.data as { id: string }[]) {
    const messages = await app.http.get(`/v1/threads/${thread.id}/messages`).set(bearer(key)).query({ limit: '100', order: 'asc' });
    result.push({ thread, messages: messages.body.data });
  }
  return result;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'export-import-'));
  source = await startTestApp();
  target = await startTestApp();
  await source.http
    .post('/v1/threads')
    .set(bearer(KEY_A))
    .send({ metadata: { project: 'x' }, tool_resources: { code_interpreter: { file_ids: ['file-1'] } }, messages: [{ role: 'user', content: 'first' }] });
  const second = await source.http.post('/v1/threads').set(bearer(KEY_A)).send({});
  for (let i = 0; i < 7; i++) {
    await source.http
      .post(`/v1/threads/${second.body.id}/messages`)
      .set(bearer(KEY_A))
      .send({
        role: i % 2 ? 'assistant' : 'user',
        content: [{ type: 'text', text: `message ${i} ünïcödé \u0000` }],
        attachments: i === 3 ? [{ file_id: 'file-abc', tools: [{ type: 'file_search' }] }] : [],
        metadata: { i: String(i) },
      });
  }
  // Messages created in the same second keep their order; another tenant's thread stays out of the export.
  await source.http
    .post('/v1/threads')
    .set(bearer(KEY_B))
    .send({ messages: [{ role: 'user', content: 'beta' }] });
});

afterAll(async () => {
  await source?.close();
  await target?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('export and import', () => {
  it('round-trips a tenant field by field: ids, times, order, metadata, attachments, tool resources', async () => {
    const file = join(dir, 'alpha.jsonl');
    const exported = await run(runExportCommand, ['--tenant', 'alpha', '--out', file], source.databaseUrl);
    expect(exported).toMatchObject({ code: EXPORT_EXIT.ok, out: `Exported 0 file(s) (0 bytes), 2 thread(s) and 8 message(s) of tenant 'alpha' to ${file}.` });
    const lines = readFileSync(file, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    // The format first, then each thread, in list order (created_at, id), followed by its messages in their order and its end.
    const listed = (await everything(source, KEY_A)) as { thread: { id: string }; messages: { id: string }[] }[];
    expect(lines[0]).toEqual({ object: 'export', format: 2 });
    expect(lines.slice(1).map((line) => line.id ?? `end of ${line.thread_id} after ${line.messages}`)).toEqual(
      listed.flatMap(({ thread, messages }) => [thread.id, ...messages.map((m) => m.id), `end of ${thread.id} after ${messages.length}`]),
    );
    expect(lines.slice(1).map((line) => line.object)).toEqual(
      listed.flatMap(({ messages }) => ['thread', ...messages.map(() => 'thread.message'), 'thread_end']),
    );
    const analysed = `SELECT count(*)::int AS n FROM pg_stat_user_tables WHERE relname IN ('threads', 'messages') AND last_analyze IS NOT NULL`;
    expect((await target.db.query(analysed)).rows[0].n).toBe(0);
    const imported = await run(runImportCommand, ['--tenant', 'alpha', '--in', file], target.databaseUrl);
    expect(imported).toMatchObject({ code: IMPORT_EXIT.ok, out: 'Imported 2 thread(s) with 8 message(s); 0 already there (verified, skipped); 0 failed.' });
    // The planner's statistics of what was imported are gathered at the end, as the tenant-wide search's plans need.
    expect((await target.db.query(analysed)).rows[0].n).toBe(2);
    const before = await everything(source, KEY_A);
    expect(before).toHaveLength(2);
    expect(await everything(target, KEY_A)).toEqual(before);
    expect(await everything(target, KEY_B)).toEqual([]);
  });

  it('a re-run verifies and skips; a changed thread is reported and the exit code is 1', async () => {
    const file = join(dir, 'alpha.jsonl');
    const again = await run(runImportCommand, ['--tenant', 'alpha', '--in', file], target.databaseUrl);
    expect(again).toMatchObject({ code: IMPORT_EXIT.ok, out: 'Imported 0 thread(s) with 0 message(s); 2 already there (verified, skipped); 0 failed.' });
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    const changed = lines.map((line) => (line.includes('message 2') ? line.replace('message 2', 'message two') : line)).join('\n');
    writeFileSync(join(dir, 'changed.jsonl'), changed + '\n');
    const result = await run(runImportCommand, ['--tenant', 'alpha', '--in', join(dir, 'changed.jsonl')], target.databaseUrl);
    expect(result.code).toBe(IMPORT_EXIT.failure);
    expect(result.out).toMatch(
      /1 already there \(verified, skipped\); 1 failed\.\n {2}failed thread_\w+: already imported, and message msg_\w+ differs from the file$/,
    );
  });

  it('a thread cut short at a line boundary fails, nothing of it stored, and a re-run with the whole file completes it', async () => {
    // The alpha export under new ids (the target already holds alpha's).
    const whole = readFileSync(join(dir, 'alpha.jsonl'), 'utf8').replace(/"(thread|msg)_(?=\w{24}")/g, '"$1_cut');
    const lines = whole.trimEnd().split('\n');
    const cutAt = lines.findIndex((line) => line.includes('message 3'));
    writeFileSync(join(dir, 'cut.jsonl'), lines.slice(0, cutAt + 1).join('\n') + '\n');
    writeFileSync(join(dir, 'whole.jsonl'), whole);
    // Whichever thread comes first in list order, the one cut short is the one with 'message 3'.
    const before = lines.slice(0, cutAt).map((line) => JSON.parse(line) as { object: string; messages?: number });
    const complete = before.filter((line) => line.object === 'thread_end');
    const wholeMessages = complete.reduce((sum, line) => sum + (line.messages as number), 0);
    const cut = await run(runImportCommand, ['--tenant', 'epsilon', '--in', join(dir, 'cut.jsonl')], target.databaseUrl);
    expect(cut.code).toBe(IMPORT_EXIT.failure);
    expect(cut.out).toMatch(
      new RegExp(
        `^Imported ${complete.length} thread\\(s\\) with ${wholeMessages} message\\(s\\); 0 already there \\(verified, skipped\\); 1 failed\\.\\n {2}failed thread_cut\\w+: cut short: the file ends after 4 of its messages, without its thread_end line$`,
      ),
    );
    expect((await target.db.query(`SELECT count(*)::int AS n FROM messages WHERE tenant_id = 'epsilon'`)).rows[0].n).toBe(wholeMessages);
    const rerun = await run(runImportCommand, ['--tenant', 'epsilon', '--in', join(dir, 'whole.jsonl')], target.databaseUrl);
    expect(rerun).toMatchObject({
      code: IMPORT_EXIT.ok,
      out: `Imported ${2 - complete.length} thread(s) with ${8 - wholeMessages} message(s); ${complete.length} already there (verified, skipped); 0 failed.`,
    });
    // A thread_end that does not count what came before it fails its thread too.
    const miscounted = whole.replace(/"object":"thread_end","thread_id":"(thread_cut\w+)","messages":7/, '"object":"thread_end","thread_id":"$1","messages":6');
    writeFileSync(join(dir, 'miscounted.jsonl'), miscounted);
    const verified = await run(runImportCommand, ['--tenant', 'epsilon', '--in', join(dir, 'miscounted.jsonl')], target.databaseUrl);
    expect(verified.out).toMatch(/its thread_end line counts 6 message\(s\), 7 came before it/);
  });

  it('an export that cannot be written fails cleanly and leaves no file', async () => {
    const file = join(dir, 'no-such-dir', 'x.jsonl');
    const result = await run(runExportCommand, ['--tenant', 'alpha', '--out', file], source.databaseUrl);
    expect(result.code).toBe(EXPORT_EXIT.failure);
    expect(result.err).toMatch(/ENOENT/);
  });

  it('is atomic per thread: a bad line fails its thread alone, nothing of it is stored', async () => {
    const good = { object: 'thread', id: 'thread_import_good', created_at: 1700000000, metadata: {}, tool_resources: {} };
    const bad = { object: 'thread', id: 'thread_import_bad', created_at: 1700000001, metadata: {}, tool_resources: {} };
    const message = (threadId: string, id: string, extra: object = {}) => ({
      object: 'thread.message',
      id,
      thread_id: threadId,
      created_at: 1700000002,
      role: 'user',
      content: [{ type: 'text', text: { value: 'hi', annotations: [] } }],
      attachments: [],
      metadata: {},
      ...extra,
    });
    const file = join(dir, 'mixed.jsonl');
    const lines = [bad, message(bad.id, 'msg_b1'), message(bad.id, 'msg_b2', { role: 'robot' }), good, message(good.id, 'msg_g1')];
    writeFileSync(file, lines.map((line) => JSON.stringify(line)).join('\n') + '\n');
    const result = await run(runImportCommand, ['--tenant', 'gamma', '--in', file], target.databaseUrl);
    expect(result.code).toBe(IMPORT_EXIT.failure);
    expect(result.out).toContain("failed thread_import_bad: line 3: 'role' is neither 'user' nor 'assistant'");
    const { rows } = await target.db.query(`SELECT id FROM threads WHERE tenant_id = 'gamma' ORDER BY id`);
    expect(rows.map((r) => r.id)).toEqual(['thread_import_good']);
    const messages = await target.db.query(`SELECT id FROM messages WHERE tenant_id = 'gamma'`);
    expect(messages.rows.map((r) => r.id)).toEqual(['msg_g1']);
    // Another tenant cannot take over an id through an import.
    const taken = await run(runImportCommand, ['--tenant', 'delta', '--in', file], target.databaseUrl);
    expect(taken.out).toContain('failed thread_import_good: the id belongs to another tenant');
  });

  it('counts a bad line where it belongs: a file line among the files, an unknown object by its kind', async () => {
    const file = join(dir, 'bad-lines.jsonl');
    const lines = [
      { object: 'file', id: 'file-bad-name', filename: '../../etc/passwd', purpose: 'assistants', bytes: 1, created_at: 1700000000, status: 'processed' },
      { object: 'file_chunk', file_id: 'file-bad-name', offset: 0, data: 'eA==' },
      { object: 'file_end', file_id: 'file-bad-name', sha256: '2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881' },
      { object: 'assistant', id: 'asst_1', created_at: 'yesterday' },
      { object: 'thread', id: 'thread_after_bad_lines', created_at: 1700000000, metadata: {}, tool_resources: {} },
    ];
    writeFileSync(file, lines.map((line) => JSON.stringify(line)).join('\n') + '\n');
    const result = await run(runImportCommand, ['--tenant', 'zeta', '--in', file], target.databaseUrl);
    expect(result.code).toBe(IMPORT_EXIT.failure);
    expect(result.out).toContain('Imported 0 file(s) (0 bytes); 0 already there (verified, skipped); 0 expired (not imported); 1 failed.');
    expect(result.out).toContain("failed file-bad-name: line 1: 'filename' is not a file name");
    expect(result.out).toContain('Imported 1 thread(s) with 0 message(s); 0 already there (verified, skipped); 1 failed.');
    expect(result.out).toContain("line 4: 'object' is none of 'export', 'thread', 'thread.message', 'thread_end', 'file', 'file_chunk', 'file_end'");
  });

  it('exports only the listed threads, and says which are not the tenant’s', async () => {
    const all = await everything(source, KEY_A);
    const [first] = all as { thread: { id: string }; messages: unknown[] }[];
    writeFileSync(join(dir, 'ids.txt'), `${first.thread.id}\n\nthread_not_here\n${first.thread.id}\n`);
    const result = await run(runExportCommand, ['--tenant', 'alpha', '--threads', join(dir, 'ids.txt'), '--out', join(dir, 'one.jsonl')], source.databaseUrl);
    expect(result.code).toBe(EXPORT_EXIT.notFound);
    expect(result.err).toContain('thread_not_here');
    const lines = readFileSync(join(dir, 'one.jsonl'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    // A thread listed twice is written once.
    expect(lines.map((line) => line.object)).toEqual(['export', 'thread', ...first.messages.map(() => 'thread.message'), 'thread_end']);
    expect(lines[1].id).toBe(first.thread.id);
    expect(result.out).toContain(' 1 thread(s) ');
  });

  it('refuses bad arguments with exit code 2', async () => {
    expect((await run(runExportCommand, ['--tenant', 'alpha'], source.databaseUrl)).code).toBe(EXPORT_EXIT.usage);
    expect((await run(runImportCommand, ['--in', 'x.jsonl'], source.databaseUrl)).code).toBe(IMPORT_EXIT.usage);
    expect((await run(runImportCommand, ['--tenant', 'alpha', '--in', 'x.jsonl', '--what'], source.databaseUrl)).code).toBe(IMPORT_EXIT.usage);
  });
});

/**
 * `npm run bench`: builds the service, gives it a fresh PostgreSQL database, starts it as a child process in
 * production mode on a free loopback port, seeds data through its API and measures eight scenarios with
 * autocannon, plus the floor server (bench/floor/server.ts) on the scenarios it implements and, with
 * --scale-out / --scale-out-n, several service instances on one database. See bench/README.md.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { allMessageIds, Api, inParallel, MessageList, MessageObject, ThreadObject } from './lib/api';
import { BenchDatabase, countMessages, insertMessagesSql, messageIdsAt, provisionDatabase, vacuumAnalyze } from './lib/database';
import { abortAllLoad, combineRuns, LoadPlan, LoadRun, runLoad, stopAllLoad, StoppingError } from './lib/load';
import { BenchOptions, parseOptions, USAGE, UsageError } from './lib/options';
import {
  cleanUp,
  cpuMs,
  freePort,
  installExitHandlers,
  MemoryFigures,
  NodeChild,
  onCleanup,
  registerTempDir,
  RssSampler,
  runCommand,
  spawnNode,
  stopChild,
  waitReady,
} from './lib/processes';
import { FilesResults, runFilesBench, uploadWhole } from './lib/files-bench';
import { Ratio, renderFilesTable, renderSoak, renderSearchTable, renderTable, ScenarioResult, TargetResult, targetRatio, writeResults } from './lib/report';
import { runSearchBench, SearchResults } from './lib/search-bench';
import { runSoak, SoakResults, writeSoak } from './lib/soak';

const startedAt = new Date();
const log = (message: string): void => {
  process.stderr.write(`[bench ${((Date.now() - startedAt.getTime()) / 1000).toFixed(1).padStart(6)}s] ${message}\n`);
};

function findRoot(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bench', 'tsconfig.json'))) return dir;
    if (dirname(dir) === dir) throw new Error('cannot find the project root (package.json beside bench/)');
  }
}

// ---- processes under test ----------------------------------------------------------------------------------

interface Server {
  name: string;
  child: NodeChild;
  baseUrl: string;
  /** From spawn to the first 200 of /readyz (migrations included). */
  readyMs: number;
}

/** How `npm run start:prod` starts the service (`[NAME=value ...] node [options] dist/main.js`): the service runs as production runs it, and so do the floors. */
interface ProductionStart {
  env: Record<string, string>;
  nodeOptions: string[];
}

function productionStart(root: string): ProductionStart {
  const command = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['start:prod'];
  const words = command.trim().split(/\s+/);
  const env: Record<string, string> = {};
  while (/^[A-Z_][A-Z0-9_]*=/.test(words[0] ?? '')) {
    const [name, ...value] = (words.shift() as string).split('=');
    env[name] = value.join('=');
  }
  if (words[0] !== 'node' || words[words.length - 1] !== 'dist/main.js') throw new Error(`unexpected start:prod script: ${command}`);
  return { env, nodeOptions: words.slice(1, -1) };
}

async function startServer(name: string, script: string, env: NodeJS.ProcessEnv, root: string, rss: RssSampler, production: ProductionStart): Promise<Server> {
  const port = await freePort();
  const spawnedAt = Date.now();
  const child = spawnNode(name, [...production.nodeOptions, script], { ...production.env, ...env, PORT: String(port), HOST: '127.0.0.1' }, root);
  onCleanup(`stop ${name}`, () => stopChild(child));
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitReady(child, `${baseUrl}/readyz`);
  const readyMs = Date.now() - spawnedAt;
  rss.watch(child.pid);
  log(`${name} ready at ${baseUrl} (pid ${child.pid}) in ${readyMs} ms`);
  return { name, child, baseUrl, readyMs };
}

function serviceEnv(database: BenchDatabase, apiKeys: string, dataDir: string, platform = 'fastify'): NodeJS.ProcessEnv {
  return {
    NODE_ENV: 'production',
    DATABASE_URL: database.url,
    DATA_DIR: dataDir,
    API_KEYS: apiKeys,
    LOG_LEVEL: 'warn',
    MIGRATIONS_RUN: 'true',
    ...(process.env.DB_POOL_SIZE ? { DB_POOL_SIZE: process.env.DB_POOL_SIZE } : {}),
    HTTP_PLATFORM: platform,
  };
}

// ---- data --------------------------------------------------------------------------------------------------

const CREATE_BODY = JSON.stringify({ role: 'user', content: 'How does AI work? Explain it in one paragraph.' });
const CREATE_THREAD_BODY = JSON.stringify({ metadata: { source: 'bench' } });
const SEED_TEXT = 'Seed message: a user turn of ordinary length, asking the assistant to summarise the previous answer in three short bullet points.';
const SEED_BODY = JSON.stringify({ role: 'user', content: SEED_TEXT });
/** One short user message item, as the OpenAI spec's example of `POST /v1/conversations/{id}/items` sends it. */
const CREATE_ITEM_BODY = JSON.stringify({
  items: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'How does AI work? Explain it in one paragraph.' }] }],
});

/** Four items of an ordinary turn with a tool: a user message, a function call and its output, the assistant's answer. */
function conversationTurn(i: number): Record<string, unknown>[] {
  return [
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: `Where is my order ${i}? ${SEED_TEXT}` }] },
    { type: 'function_call', call_id: `call_${i}`, name: 'lookup_order', arguments: JSON.stringify({ order_id: `ord_${i}` }) },
    { type: 'function_call_output', call_id: `call_${i}`, output: JSON.stringify({ status: 'shipped', eta_days: 2 }) },
    {
      type: 'message',
      role: 'assistant',
      content: [{ type: 'output_text', text: `Order ${i} has shipped and should arrive in two days.`, annotations: [] }],
    },
  ];
}

interface Fixtures {
  createThread?: string;
  spreadThreads?: string[];
  listThread?: string;
  listMessageIds?: string[];
  deepThread?: string;
  deepCursors?: string[];
  /** Conversation ids (`conv_...`): one to append items to, one of 1,000 items to list. */
  createConversation?: string;
  listConversation?: string;
  /** Files (`file-...`) uploaded through the API, to retrieve. */
  fileIds?: string[];
  seeding: Record<string, unknown>;
}

/** A thread with `count` messages: the first 100 with the thread, then single creates through the API for up to `budget` s, then SQL. */
async function seedLongThread(api: Api, database: BenchDatabase, label: string, count: number, budgetSeconds: number) {
  const began = Date.now();
  const first = Math.min(100, count);
  const messages = Array.from({ length: first }, () => ({ role: 'user', content: SEED_TEXT }));
  const thread = await api.call<ThreadObject>('POST', '/v1/threads', { metadata: { bench: label }, messages });
  const remaining = count - first;
  let apiRun: LoadRun | undefined;
  if (remaining > 0 && budgetSeconds > 0) {
    const timer = setTimeout(stopAllLoad, budgetSeconds * 1000);
    const plan: LoadPlan = { requests: [{ method: 'POST', path: `/v1/threads/${thread.id}/messages`, body: SEED_BODY }], headers: api.headers };
    apiRun = await runLoad([api.baseUrl], plan, 32, { amount: remaining });
    clearTimeout(timer);
    // Requests cut off by the budget may still commit: let them land before counting.
    await new Promise((resolveWait) => setTimeout(resolveWait, 500));
  }
  const apiSeconds = (Date.now() - began) / 1000;
  const viaApi = await countMessages(database.url, thread.id);
  const sqlBegan = Date.now();
  if (viaApi < count) await insertMessagesSql(database.url, thread.id, count - viaApi, () => SEED_TEXT);
  const total = await countMessages(database.url, thread.id);
  const info = {
    thread: thread.id,
    messages: total,
    viaApi,
    viaSql: total - viaApi,
    apiSeconds: Math.round(apiSeconds * 10) / 10,
    apiRequestsPerSecond: apiRun?.stats.requestsPerSecond,
    apiNon2xx: apiRun?.stats.non2xx,
    sqlSeconds: Math.round((Date.now() - sqlBegan) / 100) / 10,
  };
  log(`seeded ${label}: ${total} messages (${viaApi} via the API in ${info.apiSeconds} s, ${info.viaSql} via SQL in ${info.sqlSeconds} s)`);
  return info;
}

/** A conversation of `count` items (a multiple of 4: whole turns), created with its first 20, then 20 at a time through the API. */
async function seedConversation(api: Api, count: number): Promise<string> {
  const items = Array.from({ length: count / 4 }, (_, i) => conversationTurn(i)).flat();
  const conversation = await api.call<ThreadObject>('POST', '/v1/conversations', { metadata: { bench: 'list-items-1k' }, items: items.slice(0, 20) });
  for (let start = 20; start < items.length; start += 20) {
    await api.call('POST', `/v1/conversations/${conversation.id}/items`, { items: items.slice(start, start + 20) });
  }
  log(`seeded a conversation of ${count} items through the API`);
  return conversation.id;
}

async function seed(api: Api, database: BenchDatabase, options: BenchOptions, wanted: Set<number>): Promise<Fixtures> {
  const fixtures: Fixtures = { seeding: {} };
  if (wanted.has(1)) {
    fixtures.createThread = (await api.call<ThreadObject>('POST', '/v1/threads', { metadata: { bench: 'create-one-thread' } })).id;
  }
  if (wanted.has(2)) {
    const threads = await inParallel(100, 8, (i) => api.call<ThreadObject>('POST', '/v1/threads', { metadata: { bench: `spread-${i}` } }));
    fixtures.spreadThreads = threads.map((thread) => thread.id);
  }
  if (wanted.has(3) || wanted.has(5)) {
    const info = await seedLongThread(api, database, 'list-1k', 1000, 600);
    fixtures.listThread = info.thread;
    fixtures.seeding.list1k = info;
    if (wanted.has(5)) fixtures.listMessageIds = await allMessageIds(api, info.thread);
  }
  if (wanted.has(7)) {
    fixtures.createConversation = (await api.call<ThreadObject>('POST', '/v1/conversations', { metadata: { bench: 'create-items' } })).id;
  }
  if (wanted.has(8)) {
    fixtures.listConversation = await seedConversation(api, 1000);
    fixtures.seeding.conversation1k = {
      conversation: fixtures.listConversation,
      items: 1000,
      kinds: 'user message, function_call, function_call_output, assistant message',
    };
  }
  if (wanted.has(9)) {
    fixtures.fileIds = await inParallel(100, 8, async (i) => {
      const uploaded = await uploadWhole(api.baseUrl, api.key, `retrieve-${i}.txt`, Buffer.from(`${SEED_TEXT} ${i}`));
      if (uploaded.status !== 200) throw new Error(`POST /v1/files answered ${uploaded.status}: ${JSON.stringify(uploaded.body)}`);
      return String(uploaded.body.id);
    });
  }
  if (wanted.has(4)) {
    const info = await seedLongThread(api, database, 'deep-100k', options.deepMessages, options.seedBudget);
    fixtures.deepThread = info.thread;
    fixtures.seeding.deep = info;
    // 100 cursors spread over the middle half of the thread.
    const positions = Array.from({ length: 100 }, (_, i) => Math.floor(info.messages * (0.25 + (0.5 * i) / 99)));
    fixtures.deepCursors = await messageIdsAt(database.url, info.thread, positions);
  }
  log('vacuum analyze');
  await vacuumAnalyze(database.url);
  return fixtures;
}

// ---- scenarios ---------------------------------------------------------------------------------------------

interface Scenario {
  id: number;
  name: string;
  request: string;
  description: string;
  plan: LoadPlan;
  /** What is wrong with one answer, or undefined. */
  check: (status: number, body: unknown) => string | undefined;
}

type Json = Record<string, unknown>;
const expect = (condition: boolean, problem: string): string | undefined => (condition ? undefined : problem);
const isMessage = (status: number, body: unknown) =>
  expect(status === 200 && (body as Json)?.object === 'thread.message', `expected 200 and a thread.message, got ${status}`);
const isFullPage = (status: number, body: unknown) => {
  const page = body as MessageList;
  return expect(
    status === 200 && page?.object === 'list' && page.data?.length === 20 && page.has_more,
    `expected 200 and a full page with more, got ${status}`,
  );
};

const isItemList = (count: number, more: boolean) => (status: number, body: unknown) => {
  const page = body as MessageList;
  return expect(
    status === 200 && page?.object === 'list' && page.data?.length === count && page.has_more === more,
    `expected 200 and a list of ${count} item(s)${more ? ' with more' : ''}, got ${status}`,
  );
};

function scenarios(fixtures: Fixtures, headers: Record<string, string>): Map<number, Scenario> {
  const get = (paths: string[]): LoadPlan => ({ requests: paths.map((path) => ({ method: 'GET', path })), headers: { authorization: headers.authorization } });
  const post = (paths: string[], body: string): LoadPlan => ({ requests: paths.map((path) => ({ method: 'POST', path, body })), headers });
  const all = new Map<number, Scenario>();
  const add = (scenario: Scenario) => all.set(scenario.id, scenario);
  if (fixtures.createThread) {
    add({
      id: 1,
      name: 'create message, 1 thread',
      request: 'POST /v1/threads/{id}/messages',
      description: 'every connection appends a short user message to the same thread',
      plan: post([`/v1/threads/${fixtures.createThread}/messages`], CREATE_BODY),
      check: isMessage,
    });
  }
  if (fixtures.spreadThreads) {
    add({
      id: 2,
      name: 'create message, 100 threads',
      request: 'POST /v1/threads/{id}/messages',
      description: 'the same create, each connection cycling through 100 threads from its own offset',
      plan: post(
        fixtures.spreadThreads.map((id) => `/v1/threads/${id}/messages`),
        CREATE_BODY,
      ),
      check: isMessage,
    });
  }
  if (fixtures.listThread) {
    add({
      id: 3,
      name: 'list limit=20, 1k thread',
      request: 'GET /v1/threads/{id}/messages?limit=20',
      description: 'the newest page of 20 of a 1,000-message thread',
      plan: get([`/v1/threads/${fixtures.listThread}/messages?limit=20`]),
      check: isFullPage,
    });
  }
  if (fixtures.deepThread && fixtures.deepCursors) {
    const thread = fixtures.deepThread;
    add({
      id: 4,
      name: 'list limit=20 after=, 100k thread',
      request: 'GET /v1/threads/{id}/messages?limit=20&after=msg_...',
      description: 'a page of 20 after a cursor in the middle half of a 100,000-message thread (100 cursors, cycled)',
      plan: get(fixtures.deepCursors.map((cursor) => `/v1/threads/${thread}/messages?limit=20&after=${cursor}`)),
      check: isFullPage,
    });
  }
  if (fixtures.listThread && fixtures.listMessageIds) {
    const thread = fixtures.listThread;
    add({
      id: 5,
      name: 'retrieve message',
      request: 'GET /v1/threads/{id}/messages/{message_id}',
      description: 'one message of the 1,000-message thread, cycling through all of them',
      plan: get(fixtures.listMessageIds.map((id) => `/v1/threads/${thread}/messages/${id}`)),
      check: isMessage,
    });
  }
  add({
    id: 6,
    name: 'create thread',
    request: 'POST /v1/threads',
    description: 'an empty thread with one metadata key',
    plan: post(['/v1/threads'], CREATE_THREAD_BODY),
    check: (status, body) => expect(status === 200 && (body as Json)?.object === 'thread', `expected 200 and a thread, got ${status}`),
  });
  if (fixtures.createConversation) {
    add({
      id: 7,
      name: 'create conversation item',
      request: 'POST /v1/conversations/{id}/items',
      description: 'every connection appends one short user message item to the same conversation',
      plan: post([`/v1/conversations/${fixtures.createConversation}/items`], CREATE_ITEM_BODY),
      check: isItemList(1, false),
    });
  }
  if (fixtures.listConversation) {
    add({
      id: 8,
      name: 'list conversation items, 1k',
      request: 'GET /v1/conversations/{id}/items?limit=20',
      description: 'the newest page of 20 of a 1,000-item conversation (messages, function calls and their outputs)',
      plan: get([`/v1/conversations/${fixtures.listConversation}/items?limit=20`]),
      check: isItemList(20, true),
    });
  }
  if (fixtures.fileIds) {
    add({
      id: 9,
      name: 'retrieve file',
      request: 'GET /v1/files/{file_id}',
      description: "a file's object, cycling through 100 files uploaded through the API",
      plan: get(fixtures.fileIds.map((id) => `/v1/files/${id}`)),
      check: (status, body) => expect(status === 200 && (body as Json)?.object === 'file', `expected 200 and a file, got ${status}`),
    });
  }
  return all;
}

/** Sends the scenario's first request once and checks the answer. */
async function checkOnce(baseUrl: string, scenario: Scenario): Promise<string | undefined> {
  const request = scenario.plan.requests[0];
  try {
    const response = await fetch(baseUrl + request.path, {
      method: request.method,
      headers: scenario.plan.headers,
      body: request.body,
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return `answer is not JSON: ${text.slice(0, 200)}`;
    }
    const problem = scenario.check(response.status, body);
    return problem ? `${problem}: ${text.slice(0, 300)}` : undefined;
  } catch (error) {
    return `request failed: ${error instanceof Error ? error.message : String(error)}`;
  }
}

// ---- floor parity ------------------------------------------------------------------------------------------

/** The floor must answer as the service does: same page and message bytes, same message and thread fields, same statuses for bad requests. */
async function floorParity(service: Api, floor: Api, fixtures: Fixtures): Promise<{ ok: boolean; checks: { check: string; ok: boolean; detail?: string }[] }> {
  const checks: { check: string; ok: boolean; detail?: string }[] = [];
  const same = async (check: string, method: 'GET' | 'POST', path: string, body?: unknown, compare: 'bytes' | 'status' = 'status') => {
    const [a, b] = await Promise.all([service.raw(method, path, body), floor.raw(method, path, body)]);
    const ok = a.status === b.status && (compare === 'status' || a.text === b.text);
    checks.push({ check, ok, detail: ok ? undefined : `service ${a.status} ${a.text.slice(0, 200)} | floor ${b.status} ${b.text.slice(0, 200)}` });
  };
  const noKey = async (check: string, path: string) => {
    const [a, b] = await Promise.all([fetch(service.baseUrl + path).then((r) => r.status), fetch(floor.baseUrl + path).then((r) => r.status)]);
    checks.push({ check, ok: a === 401 && b === 401, detail: `service ${a}, floor ${b}` });
  };
  const conversation = fixtures.listConversation ?? fixtures.createConversation;
  if (conversation) await conversationParity(service, floor, conversation, fixtures.listConversation !== undefined, same, checks);
  if (conversation) await noKey('conversation items without a key is 401', `/v1/conversations/${conversation}/items`);
  if (fixtures.fileIds) {
    const file = `/v1/files/${fixtures.fileIds[0]}`;
    await same('retrieved file, byte for byte', 'GET', file, undefined, 'bytes');
    await same('unknown file is 404, byte for byte', 'GET', '/v1/files/file-missing', undefined, 'bytes');
    await same('a malformed file id is 404, byte for byte', 'GET', '/v1/files/file%20x', undefined, 'bytes');
    await noKey('retrieve a file without a key is 401', file);
  }
  const otherThread = await threadParity(service, floor, same, checks);
  const thread = fixtures.listThread ?? fixtures.deepThread ?? fixtures.createThread ?? fixtures.spreadThreads?.[0];
  if (!thread) return { ok: checks.every((c) => c.ok), checks };
  await same('list page, byte for byte', 'GET', `/v1/threads/${thread}/messages?limit=20`, undefined, 'bytes');
  await same('list page asc, byte for byte', 'GET', `/v1/threads/${thread}/messages?limit=7&order=asc`, undefined, 'bytes');
  const [created, floorCreated] = await Promise.all([
    service.call<MessageObject & Json>('POST', `/v1/threads/${thread}/messages`, JSON.parse(CREATE_BODY)),
    floor.call<MessageObject & Json>('POST', `/v1/threads/${thread}/messages`, JSON.parse(CREATE_BODY)),
  ]);
  const strip = (m: Json) => JSON.stringify({ ...m, id: '', created_at: 0, completed_at: 0 });
  const sameMessage = strip(created) === strip(floorCreated);
  checks.push({ check: 'created message object', ok: sameMessage, detail: sameMessage ? undefined : `${strip(created)} | ${strip(floorCreated)}` });
  await same('bad role is 400', 'POST', `/v1/threads/${thread}/messages`, { role: 'system', content: 'x' });
  await same('empty content is 400', 'POST', `/v1/threads/${thread}/messages`, { role: 'user', content: '' });
  await same('unknown field is 400', 'POST', `/v1/threads/${thread}/messages`, { role: 'user', content: 'x', colour: 'red' });
  await same('bad metadata is 400', 'POST', `/v1/threads/${thread}/messages`, { role: 'user', content: 'x', metadata: { a: 1 } });
  await same('unknown thread is 404', 'POST', '/v1/threads/thread_missing/messages', { role: 'user', content: 'x' });
  await same('bad cursor is 400', 'GET', `/v1/threads/${thread}/messages?after=msg_missing`);
  await same('limit 101 is 400', 'GET', `/v1/threads/${thread}/messages?limit=101`);
  await noKey('no key is 401', `/v1/threads/${thread}/messages`);
  // Retrieve: the oldest message of the newest page (seeded by the service), and the one the floor created, both byte for byte.
  const listed = (await service.call<MessageList>('GET', `/v1/threads/${thread}/messages?limit=20`)).data;
  const message = `/v1/threads/${thread}/messages/${listed[listed.length - 1].id}`;
  await same('retrieved message, byte for byte', 'GET', message, undefined, 'bytes');
  await same('message created by the floor, retrieved byte for byte', 'GET', `/v1/threads/${thread}/messages/${floorCreated.id}`, undefined, 'bytes');
  await same('unknown message is 404, byte for byte', 'GET', `/v1/threads/${thread}/messages/msg_missing`, undefined, 'bytes');
  await same('retrieve in an unknown thread is 404, byte for byte', 'GET', `/v1/threads/thread_missing/messages/${listed[0].id}`, undefined, 'bytes');
  await same('a message of another thread is 404, byte for byte', 'GET', `/v1/threads/${otherThread}/messages/${listed[0].id}`, undefined, 'bytes');
  await same('a malformed message id is 404, byte for byte', 'GET', `/v1/threads/thread_missing/messages/msg%20x`, undefined, 'bytes');
  await noKey('retrieve without a key is 401', message);
  return { ok: checks.every((c) => c.ok), checks };
}

/**
 * `POST /v1/threads`: the bench's body and one with messages and tool resources created on both, field for field
 * (ids and times aside), the floor's thread as the service reads it back, and the statuses of bad bodies. The
 * service's thread of the bench's body, for the retrieve checks.
 */
async function threadParity(service: Api, floor: Api, same: SameCheck, checks: { check: string; ok: boolean; detail?: string }[]): Promise<string> {
  const strip = (thread: Json) => JSON.stringify({ ...thread, id: '', created_at: 0 });
  const full = {
    metadata: { bench: 'parity' },
    tool_resources: { file_search: { vector_store_ids: ['vs_parity'] }, code_interpreter: {} },
    messages: [JSON.parse(CREATE_BODY), { role: 'assistant', content: [{ type: 'text', text: SEED_TEXT }], metadata: { turn: '2' } }],
  };
  let serviceThread = '';
  for (const [check, body] of [
    ['created thread object', JSON.parse(CREATE_THREAD_BODY)],
    ['created thread with messages and tool resources', full],
  ] as const) {
    const [created, floorCreated] = await Promise.all([
      service.call<ThreadObject & Json>('POST', '/v1/threads', body),
      floor.call<ThreadObject & Json>('POST', '/v1/threads', body),
    ]);
    serviceThread ||= created.id;
    const ok = strip(created) === strip(floorCreated) && /^thread_[0-9A-Za-z]{24}$/.test(floorCreated.id);
    checks.push({ check, ok, detail: ok ? undefined : `${strip(created)} | ${JSON.stringify(floorCreated)}` });
    const stored = await service.raw('GET', `/v1/threads/${floorCreated.id}`);
    const read = stored.status === 200 && stored.text === JSON.stringify(floorCreated);
    checks.push({ check: `${check}, as the service reads it`, ok: read, detail: read ? undefined : `${stored.status} ${stored.text.slice(0, 200)}` });
    if (body === full) {
      const list = (api: Api, id: string) => api.call<MessageList>('GET', `/v1/threads/${id}/messages?order=asc`);
      const [messages, floorMessages] = await Promise.all([list(service, created.id), list(service, floorCreated.id)]);
      const stripAll = (page: MessageList) =>
        JSON.stringify(page.data.map((m) => ({ ...(m as MessageObject & Json), id: m.id.slice(0, 4), thread_id: '', created_at: 0, completed_at: 0 })));
      const alike = stripAll(messages) === stripAll(floorMessages);
      checks.push({ check: "a created thread's messages", ok: alike, detail: alike ? undefined : `${stripAll(messages)} | ${stripAll(floorMessages)}` });
    }
  }
  await same('thread with an unknown field is 400', 'POST', '/v1/threads', { metadata: { source: 'bench' }, colour: 'red' });
  await same('thread with bad metadata is 400', 'POST', '/v1/threads', { metadata: { source: 1 } });
  await same('thread with an unknown tool resource is 400', 'POST', '/v1/threads', { tool_resources: { browser: {} } });
  await same('thread with a bad message is 400', 'POST', '/v1/threads', { messages: [{ role: 'system', content: 'x' }] });
  return serviceThread;
}

type SameCheck = (check: string, method: 'GET' | 'POST', path: string, body?: unknown, compare?: 'bytes' | 'status') => Promise<void>;

/** The conversation items routes: pages byte for byte, created items field for field (ids aside), statuses of bad requests. */
async function conversationParity(
  service: Api,
  floor: Api,
  conversation: string,
  long: boolean,
  same: SameCheck,
  checks: { check: string; ok: boolean; detail?: string }[],
): Promise<void> {
  const items = `/v1/conversations/${conversation}/items`;
  await same('items page, byte for byte', 'GET', `${items}?limit=20`, undefined, 'bytes');
  await same('items page asc, byte for byte', 'GET', `${items}?limit=7&order=asc`, undefined, 'bytes');
  if (long) {
    const page = await service.call<MessageList>('GET', `${items}?limit=30&order=asc`);
    await same('items page after a cursor, byte for byte', 'GET', `${items}?limit=9&after=${page.data[17].id}`, undefined, 'bytes');
  }
  // Items are created in a conversation of their own: the measured ones keep their size.
  const target = `/v1/conversations/${(await service.call<ThreadObject>('POST', '/v1/conversations', { metadata: { bench: 'parity' } })).id}/items`;
  for (const [check, body] of [
    ['created message item', JSON.parse(CREATE_ITEM_BODY)],
    ['created turn of four items', { items: conversationTurn(9999) }],
  ] as const) {
    const [created, floorCreated] = await Promise.all([service.call<MessageList>('POST', target, body), floor.call<MessageList>('POST', target, body)]);
    const strip = (list: MessageList) =>
      JSON.stringify({ ...list, first_id: '', last_id: '', data: list.data.map((item) => ({ ...item, id: item.id.replace(/_.*/, '') })) });
    const ok = strip(created) === strip(floorCreated);
    checks.push({ check, ok, detail: ok ? undefined : `${strip(created)} | ${strip(floorCreated)}` });
  }
  const user = (text: string) => ({ type: 'message', role: 'user', content: [{ type: 'input_text', text }] });
  await same('created items listed alike, byte for byte', 'GET', `${target}?order=asc`, undefined, 'bytes');
  await same('no items is 400', 'POST', items, { items: [] });
  await same('21 items is 400', 'POST', items, { items: Array.from({ length: 21 }, () => user('x')) });
  await same('unknown item type is 400', 'POST', items, { items: [{ type: 'telepathy' }] });
  await same('function call without arguments is 400', 'POST', items, { items: [{ type: 'function_call', call_id: 'c', name: 'f' }] });
  await same('bad part type is 400', 'POST', items, { items: [{ type: 'message', role: 'user', content: [{ type: 'input_audio' }] }] });
  await same('unknown body field is 400', 'POST', items, { items: [user('x')], colour: 'red' });
  await same('unknown conversation is 404', 'POST', '/v1/conversations/conv_missing/items', { items: [user('x')] });
  await same('a thread id is not a conversation (404)', 'GET', `/v1/conversations/${conversation.replace(/^conv_/, 'thread_')}/items`);
  await same('bad items cursor is 400', 'GET', `${items}?after=msg_missing`);
  await same('items limit 101 is 400', 'GET', `${items}?limit=101`);
  await same('unknown include is 400', 'GET', `${items}?include=everything`);
}

// ---- main --------------------------------------------------------------------------------------------------

function gitInfo(root: string): { commit?: string; dirty?: boolean } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const status = execFileSync('git', ['status', '--porcelain'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return { commit, dirty: status.trim() !== '' };
  } catch {
    return {};
  }
}

function watchdogSeconds(options: BenchOptions): number {
  const perRun = options.duration + options.warmup * options.rounds;
  const runs =
    options.scenarios.length * (options.express ? 2 : 1) + options.floorScenarios.length + 2 * (options.scaleOutN.length + Math.max(0, ...options.scaleOutN));
  // Search: seeding (a few minutes for a million messages, more on a busy machine), 12 measured runs, the write rounds and index rebuilds.
  const search = options.search
    ? 1800 + (options.searchMessages / 1_000_000) * 1800 + (12 * (options.duration + options.warmup) + 4 * (options.duration + options.warmup)) * 2
    : 0;
  // Files: four alternating measurements of both targets, the large file up and down on each (slow on a busy machine).
  const files = options.files ? 900 + 4 * perRun * 2 + (options.filesBigMb / 512) * 1200 : 0;
  const soak = options.soakMinutes > 0 ? options.soakMinutes * 60 * 1.2 + 120 : 0;
  return 600 + options.seedBudget + runs * perRun * 2 + search + files + soak;
}

async function main(): Promise<void> {
  let options: BenchOptions | 'help';
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n\n${USAGE}`);
      process.exit(2);
    }
    throw error;
  }
  if (options === 'help') {
    console.log(USAGE);
    process.exit(0);
  }
  const root = findRoot();
  installExitHandlers(abortAllLoad, watchdogSeconds(options));
  const loadBefore = loadavg();

  if (options.build) {
    log('npm run build');
    await runCommand('npm', ['run', '--silent', 'build'], root);
  }
  if (!existsSync(join(root, 'dist', 'main.js'))) throw new Error('dist/main.js is missing: run without --no-build');

  const tempDir = mkdtempSync(join(tmpdir(), 'assistants-bench-'));
  registerTempDir(tempDir);
  // Run as root, the embedded server runs as the postgres user, who must be able to enter the directory.
  chmodSync(tempDir, 0o711);
  log(process.env.DATABASE_URL ? 'creating a bench database on the server of DATABASE_URL' : `starting an embedded PostgreSQL in ${tempDir}`);
  const database = await provisionDatabase(root, tempDir);
  log(`database ${database.name} (${database.kind}, PostgreSQL ${database.serverVersion})`);

  const key = `sk-bench-${randomBytes(18).toString('hex')}`;
  // Search has a tenant of its own: its million messages are the whole of what a tenant-wide search reads.
  const searchKey = `sk-bench-search-${randomBytes(18).toString('hex')}`;
  const apiKeys = `bench:${key}${options.search ? `,search:${searchKey}` : ''}`;
  const rss = new RssSampler(100);
  const service = await startServer(
    'service',
    join(root, 'dist', 'main.js'),
    serviceEnv(database, apiKeys, join(tempDir, 'data-1')),
    root,
    rss,
    productionStart(root),
  );
  const api = new Api(service.baseUrl, key);

  const floorScenarios = options.floorScenarios.filter((id) => options.scenarios.includes(id));
  // --scale-out runs scenarios 1 and 3 (those of them that --scenarios names, or both when it names neither).
  const selectedScaleOut = [1, 3].filter((id) => options.scenarios.includes(id));
  const scaleOutScenarios = !options.scaleOut ? [] : selectedScaleOut.length > 0 ? selectedScaleOut : [1, 3];
  const wanted = new Set([...options.scenarios, ...scaleOutScenarios]);
  log(`seeding for scenarios ${[...wanted].sort((a, b) => a - b).join(',')}`);
  const fixtures = await seed(api, database, options, wanted);
  const defined = scenarios(fixtures, api.headers);

  const express =
    options.express && options.scenarios.length > 0
      ? await startServer(
          'service-express',
          join(root, 'dist', 'main.js'),
          serviceEnv(database, apiKeys, join(tempDir, 'data-express'), 'express'),
          root,
          rss,
          productionStart(root),
        )
      : undefined;

  let floor: Server | undefined;
  let parity: Awaited<ReturnType<typeof floorParity>> | undefined;
  if (floorScenarios.length > 0) {
    floor = await startServer(
      'floor',
      join(__dirname, 'floor', 'server.js'),
      { DATABASE_URL: database.url, API_KEYS: apiKeys, DB_POOL_SIZE: process.env.DB_POOL_SIZE ?? '10', NODE_ENV: 'production' },
      root,
      rss,
      // The service's node options: the floors differ from it in their code only.
      productionStart(root),
    );
    parity = await floorParity(api, new Api(floor.baseUrl, key), fixtures);
    log(`floor parity: ${parity.ok ? 'same answers' : 'DIFFERENT answers'} (${parity.checks.filter((c) => c.ok).length}/${parity.checks.length})`);
    for (const check of parity.checks.filter((c) => !c.ok)) log(`  parity: ${check.check}: ${check.detail}`);
  }

  interface Measured {
    run: LoadRun;
    memory: Record<string, MemoryFigures>;
    /** CPU time the servers used during the measured run, in ms. */
    cpuMs: number;
  }
  const measure = async (servers: Server[], scenario: Scenario, seconds: number): Promise<Measured> => {
    const urls = servers.map((server) => server.baseUrl);
    if (options.warmup > 0) await runLoad(urls, scenario.plan, options.connections, { seconds: options.warmup });
    rss.reset();
    const cpuBefore = servers.map((server) => cpuMs(server.child.pid));
    const run = await runLoad(urls, scenario.plan, options.connections, { seconds });
    const cpu = servers.reduce((total, server, i) => total + cpuMs(server.child.pid) - cpuBefore[i], 0);
    const memory: Record<string, MemoryFigures> = {};
    for (const server of servers) memory[server.name] = rss.figures(server.child.pid);
    return { run, memory, cpuMs: cpu };
  };
  /** CPU milliseconds per response, to the microsecond (0 without responses). */
  const msPerResponse = (cpuMs: number, responses: number): number => (responses > 0 ? Math.round((cpuMs / responses) * 1000) / 1000 : 0);
  const targetResult = (target: TargetResult['target'], servers: Server[], parts: Measured[]): TargetResult => {
    const memory: Record<string, MemoryFigures> = {};
    for (const part of parts) {
      for (const [name, figures] of Object.entries(part.memory)) {
        const known = memory[name];
        memory[name] = known ? { peakRssMiB: Math.max(known.peakRssMiB, figures.peakRssMiB), hwmMiB: figures.hwmMiB } : figures;
      }
    }
    const stats = combineRuns(parts.map((p) => p.run)).stats;
    const cpu = parts.reduce((total, part) => total + part.cpuMs, 0);
    const cpuMsPerRequest = msPerResponse(cpu, stats.responses);
    const responsesPerCpuSecond = cpu > 0 ? Math.round(stats.responses / (cpu / 1000)) : 0;
    const perRound = parts.map((part) => ({
      requestsPerSecond: part.run.stats.requestsPerSecond,
      cpuMsPerRequest: msPerResponse(part.cpuMs, part.run.stats.responses),
    }));
    return {
      target,
      instances: servers.length,
      rounds: parts.length,
      connections: options.connections,
      stats,
      cpuMsPerRequest,
      responsesPerCpuSecond,
      memory,
      perRound,
    };
  };
  const describeRun = (label: string, result: TargetResult) =>
    log(
      `  ${label}: ${result.stats.requestsPerSecond} req/s, p50 ${result.stats.latencyMs.p50} ms, p99 ${result.stats.latencyMs.p99} ` +
        `ms, CPU ${result.cpuMsPerRequest} ms/req, non-2xx ${result.stats.non2xx}, errors ${result.stats.errors}` +
        (result.perRound.length > 1 ? ` (rounds: ${result.perRound.map((round) => `${Math.round(round.requestsPerSecond)} req/s`).join(', ')})` : ''),
    );

  const results: ScenarioResult[] = [];
  for (const id of options.scenarios) {
    const scenario = defined.get(id);
    if (!scenario) throw new Error(`scenario ${id} has no data`);
    const entry: ScenarioResult = { id, name: scenario.name, request: scenario.request, description: scenario.description, results: [], problems: [] };
    results.push(entry);
    const onFloor = floor !== undefined && floorScenarios.includes(id);
    const targets: Server[] = [service, ...(express ? [express] : []), ...(onFloor && floor ? [floor] : [])];
    const problems = await Promise.all(targets.map((server) => checkOnce(server.baseUrl, scenario)));
    problems.forEach((problem, i) => problem && entry.problems.push(`${targets[i].name} check failed: ${problem}`));
    if (entry.problems.length > 0) {
      log(`scenario ${id} (${scenario.name}) skipped: ${entry.problems.join('; ')}`);
      continue;
    }
    const rounds = targets.length > 1 ? options.rounds : 1;
    const seconds = options.duration / rounds;
    log(
      `scenario ${id}: ` +
        `${scenario.name}${rounds > 1 ? `, ${rounds} alternating rounds of ${seconds} s (${targets.map((t) => t.name).join(', ')})` : `, ${seconds} s`}`,
    );
    const parts = new Map<Server, Measured[]>(targets.map((t) => [t, []]));
    for (let round = 0; round < rounds; round++) {
      for (const server of targets) parts.get(server)?.push(await measure([server], scenario, seconds));
    }
    for (const server of targets) {
      const result = targetResult(server === floor ? 'floor' : server === express ? 'service-express' : 'service', [server], parts.get(server) ?? []);
      entry.results.push(result);
      describeRun(result.target, result);
    }
    const serviceResult = entry.results.find((r) => r.target === 'service');
    const floorResult = entry.results.find((r) => r.target === 'floor');
    const expressResult = entry.results.find((r) => r.target === 'service-express');
    if (serviceResult && floorResult) entry.serviceVsFloor = targetRatio(serviceResult, floorResult);
    if (expressResult && floorResult) entry.expressVsFloor = targetRatio(expressResult, floorResult);
    for (const result of entry.results) {
      if (result.stats.non2xx > 0) entry.problems.push(`${result.target}: ${result.stats.non2xx} non-2xx answers ${JSON.stringify(result.stats.statusCodes)}`);
      if (result.stats.errors > 0) entry.problems.push(`${result.target}: ${result.stats.errors} errors (${result.stats.errorSamples.join('; ')})`);
    }
  }

  if (scaleOutScenarios.length > 0) {
    // N instances for each N of --scale-out-n (2 for --scale-out): the first is the service measured above, the others start now.
    const counts = options.scaleOutN;
    const extra: Server[] = [];
    for (let i = 2; i <= Math.max(...counts); i++) {
      extra.push(
        await startServer(
          `service-${i}`,
          join(root, 'dist', 'main.js'),
          serviceEnv(database, apiKeys, join(tempDir, `data-${i}`)),
          root,
          rss,
          productionStart(root),
        ),
      );
    }
    // The first instance has run the scenarios it was asked (each once at least): bring the others' JIT, and the
    // first's on a scenario it has not run, up to a comparable state first.
    const secondWarmup = Math.max(3, options.warmup);
    log(`warming the instances that have not run a scale-out scenario up alone, ${secondWarmup} s each`);
    for (const id of scaleOutScenarios) {
      const scenario = defined.get(id);
      const cold = options.scenarios.includes(id) ? extra : [service, ...extra];
      if (scenario) for (const server of cold) await runLoad([server.baseUrl], scenario.plan, options.connections, { seconds: secondWarmup });
    }
    for (const id of scaleOutScenarios) {
      const scenario = defined.get(id);
      if (!scenario) continue;
      let entry = results.find((r) => r.id === id);
      if (!entry) {
        entry = { id, name: scenario.name, request: scenario.request, description: scenario.description, results: [], problems: [] };
        results.push(entry);
      }
      const problems = await Promise.all(extra.map((server) => checkOnce(server.baseUrl, scenario)));
      const failed = problems.map((problem, i) => problem && `${extra[i].name} check failed: ${problem}`).filter((p): p is string => Boolean(p));
      if (failed.length > 0) {
        entry.problems.push(...failed);
        continue;
      }
      // The instance counts alternate over --rounds rounds (the duration split between them), as the targets of a scenario do.
      const rounds = counts.length > 1 ? options.rounds : 1;
      const seconds = options.duration / rounds;
      const groups = counts.map((n) => [service, ...extra.slice(0, n - 1)]);
      const shares = (n: number) => Array.from({ length: n }, (_, i) => Math.floor(options.connections / n) + (i < options.connections % n ? 1 : 0));
      log(
        `scenario ${id} scale-out: ${counts.map((n) => `x${n} (${shares(n).join('+')} connections)`).join(', ')}, ` +
          `${rounds} alternating round${rounds > 1 ? 's' : ''} of ${seconds} s`,
      );
      const parts = groups.map((): Measured[] => []);
      for (let round = 0; round < rounds; round++) {
        for (const [i, servers] of groups.entries()) parts[i].push(await measure(servers, scenario, seconds));
      }
      const measured: TargetResult[] = groups.map((servers, i) => targetResult('scale-out', servers, parts[i]));
      for (const result of measured) {
        entry.results.push(result);
        describeRun(`scale-out x${result.instances}`, result);
        log(`    ${result.responsesPerCpuSecond} responses per CPU second of the service processes`);
        if (result.stats.non2xx > 0 || result.stats.errors > 0) {
          entry.problems.push(
            `scale-out x${result.instances}: ${result.stats.non2xx} non-2xx, ${result.stats.errors} errors ${JSON.stringify(result.stats.statusCodes)}`,
          );
        }
      }
      const single = entry.results.find((r) => r.target === 'service');
      const floorResult = entry.results.find((r) => r.target === 'floor');
      const one = measured.find((r) => r.instances === 1);
      entry.scaleOut = measured.map((result) => ({
        instances: result.instances,
        requestsPerSecond: result.stats.requestsPerSecond,
        responsesPerCpuSecond: result.responsesPerCpuSecond,
        cpuMsPerRequest: result.cpuMsPerRequest,
        p99Ms: result.stats.latencyMs.p99,
        ...(one && one !== result ? { vsOneInstance: targetRatio(result, one) } : {}),
      }));
      const largest = measured[measured.length - 1];
      if (largest && largest.instances > 1) {
        const base = one ?? single;
        if (base) entry.scaleOutVsSingle = targetRatio(largest, base);
        if (floorResult) entry.scaleOutVsFloor = targetRatio(largest, floorResult);
      }
    }
    for (const server of extra) {
      await stopChild(server.child);
      rss.unwatch(server.child.pid);
    }
  }

  let soak: SoakResults | undefined;
  let soakFiles: { json: string; svg: string } | undefined;
  if (options.soakMinutes > 0) {
    // A thread of its own: 20 messages to retrieve, and the creates of the soak appended to it.
    const messages = Array.from({ length: 20 }, () => ({ role: 'user', content: SEED_TEXT }));
    const thread = await api.call<ThreadObject>('POST', '/v1/threads', { metadata: { bench: 'soak' }, messages });
    const ids = await allMessageIds(api, thread.id);
    const path = `/v1/threads/${thread.id}/messages`;
    const plan: LoadPlan = {
      requests: ids.flatMap((id) => [
        { method: 'POST' as const, path, body: CREATE_BODY },
        { method: 'GET' as const, path: `${path}?limit=20` },
        { method: 'GET' as const, path: `${path}/${id}` },
      ]),
      headers: api.headers,
    };
    log(`soak: ${options.soakMinutes} min of create + list + retrieve on the service, ${options.connections} connections`);
    if (options.warmup > 0) await runLoad([service.baseUrl], plan, options.connections, { seconds: options.warmup });
    soak = await runSoak({ pid: service.child.pid, baseUrl: service.baseUrl }, plan, options.connections, options.soakMinutes, log);
    soakFiles = writeSoak(join(root, 'bench', 'results', startedAt.toISOString().replace(/[:.]/g, '-')), soak);
  }

  let files: FilesResults | undefined;
  if (options.files) {
    const filesFloor = await startServer(
      'floor-files',
      join(__dirname, 'floor', 'files-server.js'),
      { DATABASE_URL: database.url, API_KEYS: apiKeys, DB_POOL_SIZE: process.env.DB_POOL_SIZE ?? '10', NODE_ENV: 'production' },
      root,
      rss,
      // The service's node options: the floors differ from it in their code only.
      productionStart(root),
    );
    files = await runFilesBench(
      database.url,
      key,
      { name: 'service', pid: service.child.pid, baseUrl: service.baseUrl },
      { name: 'floor', pid: filesFloor.child.pid, baseUrl: filesFloor.baseUrl },
      rss,
      {
        duration: options.duration,
        warmup: options.warmup,
        rounds: options.rounds,
        connections: 8,
        smallBytes: 1_000_000,
        bigBytes: options.filesBigMb * 1_000_000,
      },
      log,
    );
    await stopChild(filesFloor.child);
    rss.unwatch(filesFloor.child.pid);
  }

  let search: SearchResults | undefined;
  if (options.search) {
    // Last: it adds a million rows to the database and ends by dropping the search index and column.
    search = await runSearchBench(
      database.url,
      'search',
      { pid: service.child.pid, api: new Api(service.baseUrl, searchKey) },
      {
        messages: options.searchMessages,
        threads: options.searchThreads,
        connections: options.searchConnections,
        duration: options.duration,
        warmup: options.warmup,
        rounds: options.rounds,
        writeConnections: options.connections,
      },
      CREATE_BODY,
      log,
    );
  }

  const s3 = results.find((r) => r.id === 3)?.results.find((r) => r.target === 'service');
  const s4 = results.find((r) => r.id === 4)?.results.find((r) => r.target === 'service');
  const scenario4vs3: Ratio | undefined = s3 && s4 ? targetRatio(s4, s3) : undefined;

  const memory: Record<string, MemoryFigures> = { service: rss.figures(service.child.pid) };
  if (floor) memory.floor = rss.figures(floor.child.pid);
  rss.stop();

  const autocannonVersion = (JSON.parse(readFileSync(join(root, 'node_modules', 'autocannon', 'package.json'), 'utf8')) as { version: string }).version;
  const document = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    options,
    environment: {
      node: process.version,
      autocannon: autocannonVersion,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      loadAverageBefore: loadBefore.map((v) => Math.round(v * 100) / 100),
      loadAverageAfter: loadavg().map((v) => Math.round(v * 100) / 100),
      git: gitInfo(root),
      database: { kind: database.kind, serverVersion: database.serverVersion },
      servicePoolSize: Number(process.env.DB_POOL_SIZE ?? 10),
    },
    seeding: fixtures.seeding,
    floorParity: parity,
    scenarios: results,
    scenario4vs3: scenario4vs3 ?? null,
    /** --search: the corpus, each search's figures, and the create throughput with and without the search index. */
    search: search ?? null,
    /** The transfers (unless --no-files): parity, 1 MB files at 8 connections and one large file, service and files floor. */
    files: files ?? null,
    /** --soak: the summary (the curve is in the -soak.json file beside this one). */
    soak: soak ? { ...soak, points: undefined, curve: soakFiles } : null,
    /** Whole-run memory of the processes: VmHWM is the lifetime peak (seeding included). */
    memory,
    /** Time from spawn to ready (/readyz 200), migrations of a fresh database included. */
    readyMs: Object.fromEntries([service, ...(floor ? [floor] : [])].map((server) => [server.name, server.readyMs])),
    /** The end of what the servers printed (LOG_LEVEL=warn: start-up banner, then warnings and errors only). */
    logs: Object.fromEntries([service, ...(floor ? [floor] : [])].map((server) => [server.name, server.child.output().slice(-4000)])),
  };
  const file = writeResults(root, startedAt, document);

  const table = results.length > 0 ? renderTable(results, scenario4vs3) : '';
  const lines = [
    '',
    table,
    ...(search ? ['', renderSearchTable(search)] : []),
    ...(files ? ['', renderFilesTable(files)] : []),
    ...(soak && soakFiles ? ['', renderSoak(soak, soakFiles)] : []),
    '',
    `service ready in ${service.readyMs} ms; service VmHWM ${memory.service.hwmMiB} MiB${memory.floor ? `, floor VmHWM ${memory.floor.hwmMiB} MiB` : ''}; ` +
      `${options.connections} connections, ${options.duration} s per scenario and target after ${options.warmup} s warm-up; ` +
      `load average ${document.environment.loadAverageBefore[0]} -> ${document.environment.loadAverageAfter[0]} on ${cpus().length} CPUs`,
    `results: ${file}`,
  ];
  console.log(lines.join('\n'));
}

main()
  .then(async () => {
    log('cleaning up');
    await cleanUp();
    process.exit(0);
  })
  .catch(async (error: unknown) => {
    if (error instanceof StoppingError) {
      // Ctrl-C or the watchdog: its handler cleans up and exits.
      await cleanUp();
      return;
    }
    console.error(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    abortAllLoad();
    await cleanUp();
    process.exit(1);
  });

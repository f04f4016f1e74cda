import { createHash } from 'node:crypto';
import { Agent, IncomingHttpHeaders, IncomingMessage, request, RequestOptions, Server, ServerResponse } from 'node:http';
import { createConnection } from 'node:net';
import { gzipSync } from 'node:zlib';
import { AZURE_API_VERSIONS } from '../src/common/api-version/supported-versions';
import { envelopeProblem, RawRequest, RawResponse, sendRaw } from './support/reliability/raw-http';
import { bearer, KEY_A, startTestApp, TestApp, testPlatform } from './support/test-app';

const AZURE = [...AZURE_API_VERSIONS.keys()].pop();
const SECURITY_HEADERS = [
  'x-content-type-options',
  'x-frame-options',
  'referrer-policy',
  'strict-transport-security',
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-permitted-cross-domain-policies',
  'content-security-policy',
];
/** Headers that must be equal on both platforms (x-request-id only needs to be there). */
const COMPARED_HEADERS = ['content-type', 'content-length', 'allow', 'vary', 'x-powered-by', 'etag', 'connection', ...SECURITY_HEADERS].sort();

const portOf = (t: TestApp & { url?: string }) => Number(new URL(t.url as string).port);

async function send(t: TestApp & { url?: string }, request: RawRequest): Promise<RawResponse> {
  const outcome = await sendRaw(portOf(t), request);
  if (!outcome.response) throw new Error(`${request.method} ${request.path.slice(0, 80)}: ${outcome.error?.code} ${outcome.error?.message}`);
  return outcome.response;
}

/** What must be identical across platforms: status, compared headers and the body. */
function comparable(response: RawResponse) {
  const headers = Object.fromEntries(COMPARED_HEADERS.map((name) => [name, response.headers[name]]));
  const body =
    response.text.length > 400
      ? `${response.text.slice(0, 200)}… (${response.text.length} characters, sha256 ${createHash('sha256').update(response.text).digest('hex')})`
      : response.text;
  return { status: response.status, headers, body, requestId: typeof response.headers['x-request-id'] };
}

describe('oversized headers and URLs (431) answer the error envelope', () => {
  let t: TestApp & { url?: string };
  beforeAll(async () => (t = await startTestApp({ listen: true })));
  afterAll(() => t.close());

  it.each([
    ['a header over 16 KB', { method: 'GET', path: '/v1/threads', headers: { ...bearer(KEY_A), 'x-filler': 'a'.repeat(20_000) } }],
    ['a URL over 16 KB', { method: 'GET', path: `/v1/threads/thread_${'a'.repeat(20_000)}`, headers: bearer(KEY_A) }],
    [
      'many headers over 16 KB in all',
      { method: 'POST', path: '/v1/threads', headers: Object.fromEntries([...Array(400)].map((_, i) => [`x-h${i}`, 'v'.repeat(50)])) },
    ],
  ])('%s: 431, JSON envelope, security headers and a request id', async (_name, request) => {
    const response = await send(t, request);
    expect(response.status).toBe(431);
    expect(envelopeProblem(response)).toBeUndefined();
    expect(JSON.parse(response.text).error.code).toBe('request_headers_too_large');
    for (const name of SECURITY_HEADERS) expect([name, response.headers[name]]).toEqual([name, expect.any(String)]);
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.connection).toBe('close');
  });

  it('malformed HTTP: 400 in the envelope', async () => {
    // Written on a socket: Node's own client refuses to send an invalid header name.
    const text = await new Promise<string>((resolve, reject) => {
      const socket = createConnection(portOf(t), '127.0.0.1', () => socket.write('GET /v1/threads HTTP/1.1\r\nHost: x\r\nbad header: x\r\n\r\n'));
      let received = '';
      socket.on('data', (chunk) => (received += chunk.toString('utf8')));
      socket.on('end', () => resolve(received));
      socket.on('error', reject);
    });
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
    expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  });
});

describe('the docs page keeps its own Content-Security-Policy whatever the query string', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  it.each(['/docs', '/docs?anything', '/docs?a=1&b=%20', '/docs/init.js?v=2', '/docs/swagger-ui.css?x'])('%s', async (path) => {
    const response = await t.http.get(path).expect(200);
    expect(response.headers['content-security-policy']).toMatch(/^default-src 'self'; script-src 'self';/);
  });

  it('the API keeps default-src none, also on paths that merely start with /docs', async () => {
    for (const path of ['/v1/threads/x', '/docsx', '/docs-x?y']) {
      const response = await t.http.get(path);
      expect([path, response.headers['content-security-policy']]).toEqual([path, "default-src 'none'; frame-ancestors 'none'"]);
    }
  });
});

describe(`the same answers on Fastify and Express (this run: ${testPlatform()})`, () => {
  let fastify: TestApp & { url?: string };
  let express: TestApp & { url?: string };
  let threadId: string;
  let messageId: string;

  beforeAll(async () => {
    fastify = await startTestApp({ platform: 'fastify', listen: true, bodyLimitBytes: 2048, corsOrigins: ['https://app.example'] });
    express = await startTestApp({
      platform: 'express',
      listen: true,
      bodyLimitBytes: 2048,
      corsOrigins: ['https://app.example'],
      databaseUrl: fastify.databaseUrl,
    });
    const thread = await fastify.http
      .post('/v1/threads')
      .set(bearer(KEY_A))
      .send({ metadata: { a: 'b' } })
      .expect(200);
    threadId = thread.body.id;
    const message = await fastify.http.post(`/v1/threads/${threadId}/messages`).set(bearer(KEY_A)).send({ role: 'user', content: 'hi' }).expect(200);
    messageId = message.body.id;
  });
  afterAll(async () => {
    await express?.close();
    await fastify?.close();
  });

  const json = { ...bearer(KEY_A), 'content-type': 'application/json' };
  const FORM_TYPE = 'multipart/form-data; boundary=pb';
  const multipart = { ...bearer(KEY_A), 'content-type': FORM_TYPE };
  const purpose = 'Content-Disposition: form-data; name="purpose"\r\n\r\nassistants';
  const bad = 'Content-Disposition: form-data; name="purpose"\r\n\r\nfun';
  const file = (content: string) => `Content-Disposition: form-data; name="file"; filename="f.txt"\r\n\r\n${content}`;
  const form = (parts: string[]) => parts.map((part) => `--pb\r\n${part}\r\n`).join('') + '--pb--\r\n';
  const cases: [string, () => RawRequest][] = [
    ['retrieve', () => ({ method: 'GET', path: `/v1/threads/${threadId}`, headers: bearer(KEY_A) })],
    ['retrieve, v1 shape', () => ({ method: 'GET', path: `/v1/threads/${threadId}`, headers: { ...bearer(KEY_A), 'OpenAI-Beta': 'assistants=v1' } })],
    ['retrieve, percent-encoded route', () => ({ method: 'GET', path: `/%761/threads/${threadId}`, headers: bearer(KEY_A) })],
    ['retrieve, encoded slash in the id', () => ({ method: 'GET', path: `/v1/threads/a%2Fb`, headers: bearer(KEY_A) })],
    ['retrieve, encoded percent in the id', () => ({ method: 'GET', path: `/v1/threads/a%25b`, headers: bearer(KEY_A) })],
    ['retrieve, trailing slash', () => ({ method: 'GET', path: `/v1/threads/${threadId}/`, headers: bearer(KEY_A) })],
    ['retrieve, upper case', () => ({ method: 'GET', path: `/V1/threads/${threadId}`, headers: bearer(KEY_A) })],
    ['retrieve, double slash', () => ({ method: 'GET', path: `//v1/threads/${threadId}`, headers: bearer(KEY_A) })],
    ['retrieve, id of 9000 characters', () => ({ method: 'GET', path: `/v1/threads/${'x'.repeat(9000)}`, headers: bearer(KEY_A) })],
    ['HEAD retrieve', () => ({ method: 'HEAD', path: `/v1/threads/${threadId}`, headers: bearer(KEY_A) })],
    ['no key', () => ({ method: 'GET', path: `/v1/threads/${threadId}` })],
    ['Azure no key', () => ({ method: 'GET', path: `/openai/threads/${threadId}?api-version=${AZURE}` })],
    ['Azure retrieve', () => ({ method: 'GET', path: `/openai/threads/${threadId}?api-version=${AZURE}`, headers: { 'api-key': KEY_A } })],
    [
      'Azure v1 message files',
      () => ({ method: 'GET', path: `/openai/threads/${threadId}/messages/${messageId}/files?api-version=2024-02-15-preview`, headers: { 'api-key': KEY_A } }),
    ],
    ['Azure without api-version', () => ({ method: 'GET', path: `/openai/threads/${threadId}`, headers: { 'api-key': KEY_A } })],
    [
      'Azure api-version twice',
      () => ({ method: 'GET', path: `/openai/threads/${threadId}?api-version=${AZURE}&api-version=${AZURE}`, headers: { 'api-key': KEY_A } }),
    ],
    ['list messages', () => ({ method: 'GET', path: `/v1/threads/${threadId}/messages?limit=5&order=asc`, headers: bearer(KEY_A) })],
    ['list messages, bad limit', () => ({ method: 'GET', path: `/v1/threads/${threadId}/messages?limit=abc`, headers: bearer(KEY_A) })],
    ['list messages, unknown parameter', () => ({ method: 'GET', path: `/v1/threads/${threadId}/messages?constructor=x`, headers: bearer(KEY_A) })],
    ...['run_id=%E0%A4%A', 'before=%FF', 'after=%E0%A4%A', 'order=%E0%A4%A', 'limit=%FF', 'metadata[a]=%FF&limit=1'].map(
      (query): [string, () => RawRequest] => [
        `list with bad percent-encoding in the query: ${query}`,
        () => ({ method: 'GET', path: `/v1/threads/${threadId}/messages?${query}`, headers: bearer(KEY_A) }),
      ],
    ),
    ['list threads, bad percent-encoding in a metadata filter', () => ({ method: 'GET', path: '/v1/threads?metadata[a]=%FF', headers: bearer(KEY_A) })],
    ['bad percent-encoding in the path', () => ({ method: 'GET', path: '/v1/threads/%E0%A4%A', headers: bearer(KEY_A) })],
    ['bad percent-encoding in a route segment', () => ({ method: 'GET', path: '/v1/thr%ZZeads', headers: bearer(KEY_A) })],
    ['unknown route', () => ({ method: 'GET', path: '/v1/nothing', headers: bearer(KEY_A) })],
    ['unknown route, POST with a body', () => ({ method: 'POST', path: '/v2/threads', headers: json, body: '{}' })],
    ['unknown route, bad JSON', () => ({ method: 'POST', path: '/v2/threads', headers: json, body: '{' })],
    ['the root', () => ({ method: 'GET', path: '/' })],
    ['OPTIONS without CORS', () => ({ method: 'OPTIONS', path: '/v1/threads', headers: bearer(KEY_A) })],
    ['bad JSON', () => ({ method: 'POST', path: '/v1/threads', headers: json, body: '{' })],
    ['a JSON string', () => ({ method: 'POST', path: '/v1/threads', headers: json, body: '"x"' })],
    ['a JSON array', () => ({ method: 'POST', path: '/v1/threads', headers: json, body: '[1]' })],
    ['null', () => ({ method: 'POST', path: '/v1/threads', headers: json, body: 'null' })],
    ['__proto__ key', () => ({ method: 'POST', path: '/v1/threads', headers: json, body: '{"__proto__":{"x":1}}' })],
    ['nesting too deep', () => ({ method: 'POST', path: '/v1/threads', headers: json, body: '{"metadata":' + '['.repeat(40) + ']'.repeat(40) + '}' })],
    ['lone surrogate', () => ({ method: 'POST', path: '/v1/threads', headers: json, body: '{"metadata":{"k":"\\ud800"}}' })],
    [
      'invalid UTF-8',
      () => ({ method: 'POST', path: `/v1/threads/${threadId}`, headers: json, body: Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]) }),
    ],
    ['unknown field', () => ({ method: 'POST', path: '/v1/threads', headers: json, body: '{"nope":1}' })],
    ['invalid field', () => ({ method: 'POST', path: '/v1/threads', headers: json, body: '{"metadata":"x"}' })],
    ['text/plain', () => ({ method: 'POST', path: '/v1/threads', headers: { ...bearer(KEY_A), 'content-type': 'text/plain' }, body: 'x' })],
    ['no content type, with a body', () => ({ method: 'POST', path: '/v1/threads', headers: bearer(KEY_A), body: '{}' })],
    ['an invalid media type', () => ({ method: 'POST', path: '/v1/threads', headers: { ...bearer(KEY_A), 'content-type': 'json' }, body: '{}' })],
    ['application/jsonx', () => ({ method: 'POST', path: '/v1/threads', headers: { ...bearer(KEY_A), 'content-type': 'application/jsonx' }, body: '{}' })],
    [
      'application/json-patch+json',
      () => ({ method: 'POST', path: '/v1/threads', headers: { ...bearer(KEY_A), 'content-type': 'application/json-patch+json' }, body: '{}' }),
    ],
    ['text/plain, empty', () => ({ method: 'POST', path: `/v1/threads/${threadId}`, headers: { ...bearer(KEY_A), 'content-type': 'text/plain' }, body: '' })],
    ['JSON, empty', () => ({ method: 'POST', path: `/v1/threads/${threadId}`, headers: json, body: '' })],
    ['JSON, whitespace', () => ({ method: 'POST', path: `/v1/threads/${threadId}`, headers: json, body: ' \n ' })],
    [
      'Application/JSON; charset=UTF-8',
      () => ({
        method: 'POST',
        path: `/v1/threads/${threadId}`,
        headers: { ...bearer(KEY_A), 'content-type': 'Application/JSON; charset=UTF-8' },
        body: '{"metadata":{"a":"b"}}',
      }),
    ],
    ['chunked JSON', () => ({ method: 'POST', path: `/v1/threads/${threadId}`, headers: json, body: '{"metadata":{"a":"b"}}', chunked: true })],
    ['body over the limit', () => ({ method: 'POST', path: '/v1/threads', headers: json, body: JSON.stringify({ metadata: { a: 'x'.repeat(3000) } }) })],
    [
      'body over the limit, chunked',
      () => ({ method: 'POST', path: '/v1/threads', headers: json, body: JSON.stringify({ metadata: { a: 'x'.repeat(3000) } }), chunked: true }),
    ],
    ['GET with a body', () => ({ method: 'GET', path: `/v1/threads/${threadId}`, headers: json, body: '{' })],
    [
      'DELETE of an unknown thread with a text body',
      () => ({ method: 'DELETE', path: '/v1/threads/thread_nope', headers: { ...bearer(KEY_A), 'content-type': 'text/plain' }, body: 'x' }),
    ],
    ['DELETE of an unknown thread', () => ({ method: 'DELETE', path: '/v1/threads/thread_nope', headers: bearer(KEY_A) })],
    ['invalid Idempotency-Key', () => ({ method: 'POST', path: `/v1/threads/${threadId}`, headers: { ...json, 'Idempotency-Key': 'a b' }, body: '{}' })],
    ['invalid OpenAI-Beta', () => ({ method: 'GET', path: `/v1/threads/${threadId}`, headers: { ...bearer(KEY_A), 'OpenAI-Beta': 'assistants=v9' } })],
    [
      'CORS preflight, allowed origin',
      () => ({
        method: 'OPTIONS',
        path: '/v1/threads',
        headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
      }),
    ],
    [
      'CORS preflight, other origin',
      () => ({ method: 'OPTIONS', path: '/v1/threads', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } }),
    ],
    ['CORS request, allowed origin', () => ({ method: 'GET', path: `/v1/threads/${threadId}`, headers: { ...bearer(KEY_A), origin: 'https://app.example' } })],
    ['upload, no key', () => ({ method: 'POST', path: '/v1/files', headers: { 'content-type': FORM_TYPE }, body: form([purpose, file('x')]) })],
    ['upload, text/plain', () => ({ method: 'POST', path: '/v1/files', headers: { ...bearer(KEY_A), 'content-type': 'text/plain' }, body: 'x' })],
    ['upload, JSON', () => ({ method: 'POST', path: '/v1/files', headers: json, body: '{"purpose":"assistants"}' })],
    ['upload, no content type', () => ({ method: 'POST', path: '/v1/files', headers: bearer(KEY_A), body: 'x' })],
    ['upload, no file part', () => ({ method: 'POST', path: '/v1/files', headers: multipart, body: form([purpose]) })],
    ['upload, two file parts', () => ({ method: 'POST', path: '/v1/files', headers: multipart, body: form([purpose, file('a'), file('b')]) })],
    ['upload, a form cut short', () => ({ method: 'POST', path: '/v1/files', headers: multipart, body: form([purpose, file('a')]).slice(0, 120) })],
    ['upload over BODY_LIMIT, no purpose', () => ({ method: 'POST', path: '/v1/files', headers: multipart, body: form([file('x'.repeat(4096))]) })],
    ['upload, percent-encoded route', () => ({ method: 'POST', path: '/%761/files', headers: multipart, body: form([file('x')]) })],
    ['upload, chunked, unknown purpose', () => ({ method: 'POST', path: '/v1/files', headers: multipart, body: form([bad, file('x')]), chunked: true })],
    [
      'Azure upload, text/plain',
      () => ({ method: 'POST', path: `/openai/files?api-version=${AZURE}`, headers: { 'api-key': KEY_A, 'content-type': 'text/plain' }, body: 'x' }),
    ],
    ['create thread, a gzip body', () => ({ method: 'POST', path: '/v1/threads', headers: { ...json, 'content-encoding': 'gzip' }, body: gzipSync('{}') })],
    ['create thread, JSON labelled br', () => ({ method: 'POST', path: '/v1/threads', headers: { ...json, 'content-encoding': 'br' }, body: '{}' })],
    [
      'create thread, JSON labelled identity',
      () => ({ method: 'POST', path: '/v1/threads', headers: { ...json, 'content-encoding': 'identity' }, body: '{"x":1}' }),
    ],
    ['list files, bad limit', () => ({ method: 'GET', path: '/v1/files?limit=0', headers: bearer(KEY_A) })],
    ['retrieve an unknown file', () => ({ method: 'GET', path: '/v1/files/file-nope', headers: bearer(KEY_A) })],
    ['content of an unknown file', () => ({ method: 'GET', path: '/v1/files/file-nope/content', headers: bearer(KEY_A) })],
    ['healthz', () => ({ method: 'GET', path: '/healthz' })],
    ['readyz', () => ({ method: 'GET', path: '/readyz' })],
    ['openapi.json', () => ({ method: 'GET', path: '/openapi.json' })],
    ['docs with a query string', () => ({ method: 'GET', path: '/docs?anything' })],
    ['docs script', () => ({ method: 'GET', path: '/docs/init.js' })],
  ];

  it.each(cases)('%s', async (_name, request) => {
    const [onFastify, onExpress] = [await send(fastify, request()), await send(express, request())];
    expect(comparable(onExpress)).toEqual(comparable(onFastify));
    expect(onFastify.headers['x-request-id']).toEqual(expect.any(String));
    if (/gzip body|labelled br/.test(_name)) expect([onFastify.status, JSON.parse(onFastify.text).error.code]).toEqual([415, 'unsupported_content_encoding']);
    if (/labelled identity/.test(_name)) expect([onFastify.status, JSON.parse(onFastify.text).error.param]).toEqual([400, 'x']);
  });

  /** The response headers of one request on a kept-alive connection, as a client that keeps it would see them. */
  const keptAlive = async (t: TestApp & { url?: string }, options: RequestOptions = {}, body?: string) => {
    const agent = new Agent({ keepAlive: true });
    try {
      return await new Promise<IncomingHttpHeaders>((resolve, reject) => {
        const sent = request(`${t.url}${options.path ?? '/healthz'}`, { agent, ...options }, (response) => {
          response.resume();
          response.on('end', () => resolve(response.headers));
        });
        sent.on('error', reject);
        sent.end(body);
      });
    } finally {
      agent.destroy();
    }
  };

  it('a kept-alive connection waits IDLE_TIMEOUT_MS for its next request on both platforms', async () => {
    expect((await keptAlive(express))['keep-alive']).toBe('timeout=60');
    expect((await keptAlive(fastify))['keep-alive']).toBe('timeout=60');
  });

  it.each([
    ['a body that is not JSON', 'application/json', '{bad'],
    ['a body of another type', 'text/plain', 'x'],
    ['a body over the limit', 'application/json', JSON.stringify({ metadata: { a: 'x'.repeat(4000) } })],
  ])('%s is answered with its connection closed on both platforms', async (_what, type, body) => {
    const options = { method: 'POST', path: '/v1/threads', headers: { ...bearer(KEY_A), 'content-type': type, 'content-length': Buffer.byteLength(body) } };
    const [onFastify, onExpress] = [await keptAlive(fastify, options, body), await keptAlive(express, options, body)];
    expect(onFastify.connection).toBe('close');
    expect(onExpress.connection).toBe('close');
  });

  it('the same access-control headers on a CORS preflight', async () => {
    const request: RawRequest = { method: 'OPTIONS', path: '/v1/threads', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } };
    const headersOf = (response: RawResponse) => Object.fromEntries(Object.entries(response.headers).filter(([name]) => name.startsWith('access-control-')));
    const [onFastify, onExpress] = [await send(fastify, request), await send(express, request)];
    expect(headersOf(onFastify)['access-control-allow-origin']).toBe('https://app.example');
    expect(headersOf(onExpress)).toEqual(headersOf(onFastify));
  });

  it("Express's server builds each request and response with Express's prototypes, before Express takes them", async () => {
    const instance = express.app.getHttpAdapter().getInstance() as { request: object; response: object };
    const server = express.app.getHttpServer() as Server;
    const seen: { request: unknown; response: unknown; isMessage: boolean; isResponse: boolean }[] = [];
    const look = (request: IncomingMessage, response: ServerResponse) =>
      seen.push({
        request: Object.getPrototypeOf(request),
        response: Object.getPrototypeOf(response),
        isMessage: request instanceof IncomingMessage,
        isResponse: response instanceof ServerResponse,
      });
    server.prependListener('request', look);
    try {
      const answer = await send(express, { method: 'GET', path: `/v1/threads/${threadId}`, headers: bearer(KEY_A) });
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.text).id).toBe(threadId);
    } finally {
      server.removeListener('request', look);
    }
    expect(seen).toEqual([{ request: instance.request, response: instance.response, isMessage: true, isResponse: true }]);
  });
});

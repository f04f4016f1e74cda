import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv from 'ajv';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OpenAPIV3 } from 'openapi-types';
import type { Response } from 'supertest';
import * as ts from 'typescript';
import { bearer, KEY_A, startTestApp, TestApp } from './support/test-app';

const V1_AZURE = '2024-02-15-preview';
const V2_AZURE = '2024-05-01-preview';

interface Captured {
  method: string;
  template: string;
  status: number;
  body: unknown;
}

describe('the OpenAPI document', () => {
  let t: TestApp;
  let document: OpenAPIV3.Document;
  const captured: Captured[] = [];
  let templates: { template: string; pattern: RegExp }[];

  /** The document's path template a request path matches. */
  function templateOf(url: string): string {
    const path = url.split('?')[0];
    const found = templates.find(({ pattern }) => pattern.test(path));
    if (!found) throw new Error(`no path of the document matches ${path}`);
    return found.template;
  }

  async function call(method: 'get' | 'post' | 'delete', url: string, headers: Record<string, string>, body?: unknown): Promise<Response> {
    let request = t.http[method](url).set(headers);
    if (body !== undefined) request = request.send(body as object);
    const response = await request;
    captured.push({ method, template: templateOf(url), status: response.status, body: response.body });
    return response;
  }

  beforeAll(async () => {
    t = await startTestApp();
    document = (await t.http.get('/openapi.json').expect(200)).body;
    templates = Object.keys(document.paths).map((template) => ({
      template,
      pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
    }));
    // A session over every route, both dialects, both shapes, successes and errors.
    const openai = bearer(KEY_A);
    const v1 = { ...openai, 'OpenAI-Beta': 'assistants=v1' };
    const azure = { 'api-key': KEY_A };
    const thread = (await call('post', '/v1/threads', openai, { metadata: { a: 'b' }, messages: [{ role: 'user', content: 'hi' }] })).body;
    await call('post', '/v1/threads', v1, {});
    await call('get', `/v1/threads/${thread.id}`, openai);
    await call('get', `/v1/threads/${thread.id}`, v1);
    await call('post', `/v1/threads/${thread.id}`, openai, { metadata: { c: 'd' } });
    const attachments = [{ file_id: 'file-abc', tools: [{ type: 'file_search' }] }];
    const message = (await call('post', `/v1/threads/${thread.id}/messages`, openai, { role: 'user', content: 'x', attachments })).body;
    await call('post', `/v1/threads/${thread.id}/messages`, v1, { role: 'assistant', content: [{ type: 'text', text: 'y' }], file_ids: ['file-def'] });
    await call('post', `/v1/threads/${thread.id}/messages`, openai, {
      role: 'user',
      content: [
        { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'low' } },
        { type: 'image_file', image_file: { file_id: 'file-img' } },
      ],
    });
    await call('get', `/v1/threads/${thread.id}/messages`, openai);
    await call('get', `/v1/threads/${thread.id}/messages?limit=1&order=asc`, v1);
    await call('get', `/v1/threads/${thread.id}/messages/${message.id}`, v1);
    await call('post', `/v1/threads/${thread.id}/messages/${message.id}`, openai, { metadata: { e: 'f' } });
    await call('get', `/v1/threads/${thread.id}/messages/${message.id}/files`, v1);
    await call('get', `/v1/threads/${thread.id}/messages/${message.id}/files/file-abc`, v1);
    const az = (path: string, version = V2_AZURE) => `/openai${path}${path.includes('?') ? '&' : '?'}api-version=${version}`;
    await call('post', az('/threads'), azure, {});
    await call('get', az(`/threads/${thread.id}`), azure);
    await call('get', az(`/threads/${thread.id}/messages`, V1_AZURE), azure);
    await call('get', az(`/threads/${thread.id}/messages/${message.id}/files`, V1_AZURE), azure);
    await call('get', az(`/threads/${thread.id}/messages/${message.id}`), azure);
    // Errors.
    await call('get', `/v1/threads/${thread.id}`, {});
    await call('get', az(`/threads/${thread.id}`), {});
    await call('get', `/openai/threads/${thread.id}`, azure);
    await call('post', '/v1/threads', openai, { nope: 1 });
    await call('get', '/v1/threads/thread_missing', openai);
    await call('post', `/v1/threads/${thread.id}/messages`, { ...openai, 'content-type': 'text/plain' }, 'x');
    await call('delete', `/v1/threads/${thread.id}/messages/${message.id}`, openai);
    await call('delete', az(`/threads/${thread.id}`), azure);
    await call('get', '/healthz', {});
    await call('get', '/readyz', {});
  });
  afterAll(() => t.close());

  it('describes the keys as the opaque bearer keys they are, not JWTs', () => {
    const schemes = (document as unknown as { components: { securitySchemes: Record<string, Record<string, string>> } }).components.securitySchemes;
    expect(schemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'API key' });
  });

  it('validates as OpenAPI 3', async () => {
    const validated = await SwaggerParser.validate(structuredClone(document) as OpenAPIV3.Document);
    expect((validated as OpenAPIV3.Document).openapi).toMatch(/^3\./);
    // The validator does fail on a broken document.
    const broken = structuredClone(document) as unknown as { paths: Record<string, Record<string, { responses?: unknown }>> };
    broken.paths['/healthz'].get.responses = 'none';
    await expect(SwaggerParser.validate(broken as unknown as OpenAPIV3.Document)).rejects.toThrow();
  });

  it('describes, for every operation, its response body and the error envelope of every error it answers', () => {
    let operations = 0;
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item as Record<string, OpenAPIV3.OperationObject>)) {
        operations++;
        const responses = operation.responses as Record<string, OpenAPIV3.ResponseObject>;
        if (path.endsWith('/content')) {
          // A file's bytes: a binary body, not JSON.
          expect([method, path, responses['200']?.content?.['application/octet-stream']?.schema]).toEqual([method, path, { type: 'string', format: 'binary' }]);
        } else {
          expect([method, path, responses['200']?.content?.['application/json']?.schema]).toEqual([
            method,
            path,
            expect.objectContaining({ $ref: expect.any(String) }),
          ]);
        }
        if (!/^\/(v1|openai)\//.test(path)) continue;
        const errors = Object.keys(responses).filter((code) => code !== '200');
        expect([method, path, errors]).toEqual([method, path, expect.arrayContaining(['400', '401', '404', '500', '503', '504'])]);
        if (method === 'post') expect([method, path, errors]).toEqual([method, path, expect.arrayContaining(['413'])]);
        // POST /files reads any body itself: what is not multipart is a 400 there, never a 415.
        if (method === 'post' && !path.endsWith('/files')) expect([method, path, errors]).toEqual([method, path, expect.arrayContaining(['415'])]);
      }
    }
    expect(operations).toBeGreaterThanOrEqual(2 * 11 + 2);
  });

  it('every real response, success or error, is described by its operation and matches its schema', () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    ajv.addSchema({ components: document.components }, 'openapi');
    const statuses = new Set<number>();
    for (const response of captured) {
      const operation = (document.paths[response.template] as Record<string, OpenAPIV3.OperationObject>)[response.method];
      const described = (operation.responses as Record<string, OpenAPIV3.ResponseObject>)[String(response.status)];
      expect([response.method, response.template, response.status, described !== undefined]).toEqual([
        response.method,
        response.template,
        response.status,
        true,
      ]);
      const schema = described.content?.['application/json']?.schema as OpenAPIV3.ReferenceObject;
      const validate = ajv.compile({ $ref: `openapi${schema.$ref}` });
      const valid = validate(response.body);
      expect([response.method, response.template, response.status, valid ? [] : validate.errors]).toEqual([
        response.method,
        response.template,
        response.status,
        [],
      ]);
      statuses.add(response.status);
    }
    expect([...statuses].sort()).toEqual([200, 400, 401, 404, 415]);
  });

  it('generates a TypeScript client (openapi-typescript) whose types accept the real responses, and only them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'openapi-client-'));
    try {
      writeFileSync(join(dir, 'openapi.json'), JSON.stringify(document));
      execFileSync(
        process.execPath,
        [join(__dirname, '../node_modules/openapi-typescript/bin/cli.js'), join(dir, 'openapi.json'), '--output', join(dir, 'client.ts')],
        { stdio: 'pipe' },
      );
      const lines = captured.map(
        (response, i) =>
          `const r${i}: paths[${JSON.stringify(response.template)}][${JSON.stringify(response.method)}]` +
          `['responses'][${response.status}]['content']['application/json'] = ${JSON.stringify(response.body)};`,
      );
      const compile = (source: string) => {
        writeFileSync(join(dir, 'check.ts'), `import type { paths } from './client';\n${source}\nexport {};\n`);
        const program = ts.createProgram([join(dir, 'check.ts')], {
          strict: true,
          noEmit: true,
          noUnusedLocals: false,
          skipLibCheck: true,
          target: ts.ScriptTarget.ES2022,
        });
        return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      };
      expect(lines.length).toBe(captured.length);
      expect(compile(lines.join('\n'))).toEqual([]);
      // The check can fail: a thread whose created_at is a string, a message with a field of neither shape.
      const thread = captured.find((r) => r.template === '/v1/threads' && r.status === 200) as Captured;
      const wrongThread = { ...(thread.body as object), created_at: 'yesterday' };
      expect(compile(`const w: paths['/v1/threads']['post']['responses'][200]['content']['application/json'] = ${JSON.stringify(wrongThread)};`)).not.toEqual(
        [],
      );
      const message = captured.find((r) => r.template === '/v1/threads/{thread_id}/messages' && r.method === 'post' && r.status === 200) as Captured;
      const wrongMessage = { ...(message.body as object), extra: 1 };
      expect(
        compile(
          `const w: paths['/v1/threads/{thread_id}/messages']['post']['responses'][200]['content']['application/json'] = ${JSON.stringify(wrongMessage)};`,
        ),
      ).not.toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

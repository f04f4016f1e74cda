import { startTestApp, TestApp } from './support/test-app';

interface ExpressRouter {
  router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] };
}

/**
 * Every route the app serves, as `METHOD /path/{param}`: on Fastify read from its route tree,
 * where each line is a path segment indented under its parent, followed by its methods; on
 * Express from its router's stack.
 */
function servedRoutes(t: TestApp): string[] {
  const instance = t.app.getHttpAdapter().getInstance() as { printRoutes?(options: object): string } & Partial<ExpressRouter>;
  if (!instance.printRoutes) {
    return (instance as ExpressRouter).router.stack.flatMap(({ route }) =>
      route ? Object.keys(route.methods).map((method) => `${method.toUpperCase()} ${route.path.replace(/:([A-Za-z_]+)/g, '{$1}')}`) : [],
    );
  }
  const tree = instance.printRoutes({ commonPrefix: false });
  const routes: string[] = [];
  const parents: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^([│├└─ ]*)(\S.*?) \(([A-Z, ]+)\)$/.exec(line);
    if (!match) continue;
    const depth = match[1].length / 4 - 1;
    parents.length = depth;
    const path = parents.join('') + match[2];
    parents.push(match[2]);
    for (const method of match[3].split(', ')) {
      if (method !== 'HEAD') routes.push(`${method} ${path.replace(/:([A-Za-z_]+)/g, '{$1}')}`);
    }
  }
  return routes;
}

describe('API description', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  it('lists every route the app serves, in both dialects, with auth schemes and api-version', async () => {
    const response = await t.http.get('/openapi.json').expect(200);
    const document = response.body as {
      paths: Record<string, Record<string, { security?: object[]; parameters?: { name: string; in: string; required?: boolean }[] }>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    const documented = new Set(Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`)));
    const served = servedRoutes(t).filter((route) => / \/(v1|openai)\//.test(route) || /healthz|readyz/.test(route));
    expect(served.length).toBeGreaterThanOrEqual(2 * 11 + 2);
    for (const route of served) expect(documented).toContain(route);
    expect(Object.keys(document.components.securitySchemes).sort()).toEqual(['api-key', 'bearer']);

    for (const [path, item] of Object.entries(document.paths)) {
      for (const operation of Object.values(item)) {
        if (path.startsWith('/openai/')) {
          expect(operation.parameters).toContainEqual(expect.objectContaining({ name: 'api-version', in: 'query', required: true }));
          expect(operation.security).toContainEqual({ 'api-key': [] });
        } else if (path.startsWith('/v1/')) {
          expect(operation.security).toEqual([{ bearer: [] }]);
        }
      }
    }
  });

  it('describes request bodies from the DTOs', async () => {
    const { body } = await t.http.get('/openapi.json').expect(200);
    const create = body.components.schemas.CreateMessageDto;
    expect(create.properties.role.enum).toEqual(['user', 'assistant']);
    expect(Object.keys(create.properties)).toEqual(expect.arrayContaining(['role', 'content', 'attachments', 'file_ids', 'metadata']));
    expect(body.components.schemas.CreateThreadDto.properties.messages.maxItems).toBe(100);
  });

  it('serves the docs page without a key', async () => {
    const page = await t.http.get('/docs').expect(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.text).toContain('/openapi.json');
    for (const asset of page.text.match(/\/docs\/swagger-ui[\w.-]+/g) ?? []) {
      const file = await t.http.get(asset).expect(200);
      expect(Number(file.headers['content-length'] ?? file.text?.length ?? 0)).toBeGreaterThan(1000);
    }
    expect(page.text.match(/\/docs\/swagger-ui[\w.-]+/g)).toHaveLength(2);
  });
});

import { INestApplication, StreamableFile } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { OperationObject, ParameterObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { createReadStream, statSync } from 'node:fs';
import { join } from 'node:path';
import getAbsoluteFSPath from 'swagger-ui-dist/absolute-path.js';
import { AZURE_API_VERSIONS, AZURE_V1_API_VERSIONS, AZURE_V1_PATH } from '../common/api-version/supported-versions';
import { describeResponses, RESPONSE_SCHEMAS } from './response-schemas';

const API_VERSION: ParameterObject = {
  name: 'api-version',
  in: 'query',
  required: true,
  description: '2024-02-15-preview, 2024-03-01-preview and 2024-04-01-preview answer in v1 shapes; later versions in v2 shapes.',
  schema: { type: 'string', enum: [...AZURE_API_VERSIONS.keys()] },
};

/** Azure's v1 surface (`/openai/v1/...`): no dated version. */
const AZURE_V1_API_VERSION: ParameterObject = {
  name: 'api-version',
  in: 'query',
  required: false,
  description: 'Not needed on /openai/v1/; the undated values of its previews are accepted.',
  schema: { type: 'string', enum: [...AZURE_V1_API_VERSIONS] },
};

const OPENAI_BETA: ParameterObject = {
  name: 'OpenAI-Beta',
  in: 'header',
  required: false,
  description: 'assistants=v2 (the default) or assistants=v1 (v1 shapes)',
  schema: { type: 'string', enum: ['assistants=v2', 'assistants=v1'] },
};

const IDEMPOTENCY_KEY: ParameterObject = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description: 'A retry with the same key and body answers the first response again; 1 to 255 visible ASCII characters',
  schema: { type: 'string', maxLength: 255 },
};

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/**
 * Each API route appears once per dialect, with that dialect's auth scheme and version signal;
 * every operation with its response bodies and error responses.
 */
function describeDialects(document: OpenAPIObject): OpenAPIObject {
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ...RESPONSE_SCHEMAS } };
  for (const [path, item] of Object.entries(document.paths)) {
    const azure = path.startsWith('/openai/');
    const api = azure || path.startsWith('/v1/');
    for (const method of METHODS) {
      const operation = item[method] as OperationObject | undefined;
      if (!operation) continue;
      describeResponses(path, method, operation, api ? (azure ? 'azure' : 'openai') : undefined);
      if (!api) continue;
      if (method === 'post' && /\/(threads(\/\{thread_id\}\/messages)?|conversations(\/\{conversation_id\}\/items)?)$/.test(path))
        operation.parameters = [...(operation.parameters ?? []), IDEMPOTENCY_KEY];
      operation.tags = [azure ? 'Azure OpenAI dialect' : 'OpenAI dialect'];
      operation.security = azure ? [{ 'api-key': [] }, { bearer: [] }] : [{ bearer: [] }];
      operation.parameters = [...(operation.parameters ?? []), path.startsWith(AZURE_V1_PATH) ? AZURE_V1_API_VERSION : azure ? API_VERSION : OPENAI_BETA];
      // One path per dialect, so the dialect names the operation (Nest numbers a controller's paths: `_create[0]`).
      operation.operationId = `${azure ? 'azure' : 'openai'}_${operation.operationId?.replace(/\[\d+\]$/, '')}`;
    }
  }
  return document;
}

export function buildApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Assistants threads and messages')
    .setDescription(
      'The OpenAI Assistants API threads and messages, in the OpenAI dialect (/v1) and the Azure OpenAI dialect (/openai). ' +
        'Every success is 200; every error is {"error":{"message","type","param","code"}}, also those answered before ' +
        'routing: 414 for a path segment over 8192 characters, 431 for headers or a URL over 16 KB.',
    )
    .setVersion('1')
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', bearerFormat: 'API key', description: 'Authorization: Bearer KEY (an opaque key such as sk-..., not a JWT)' },
      'bearer',
    )
    .addApiKey({ type: 'apiKey', in: 'header', name: 'api-key', description: 'Azure dialect: api-key: KEY' }, 'api-key')
    .build();
  return describeDialects(SwaggerModule.createDocument(app, config));
}

const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Assistants threads and messages: API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="swagger-ui" data-url="/openapi.json"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>`;

/** The page's own script is a file, so that the page's Content-Security-Policy needs no inline script. */
const INIT_SCRIPT = "window.ui = SwaggerUIBundle({ url: document.getElementById('swagger-ui').dataset.url, dom_id: '#swagger-ui' });\n";

const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
};

/**
 * `GET /openapi.json` (and `.yaml`), and the docs page at `/docs`: Swagger UI from the
 * swagger-ui-dist package, its two assets served as files (no static-file plugin needed).
 * The document is built when first asked for, not kept by a service nobody reads it from.
 */
export function setupApiDocs(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildApiDocument(app), { jsonDocumentUrl: 'openapi.json', yamlDocumentUrl: 'openapi.yaml', ui: false });
  const http = app.getHttpAdapter();
  const text = (type: string, body: string) => (_request: unknown, response: unknown) => {
    http.setHeader(response, 'content-type', type);
    http.reply(response, body, 200);
  };
  http.get('/docs', text('text/html; charset=utf-8', DOCS_PAGE));
  http.get('/docs/init.js', text('application/javascript; charset=utf-8', INIT_SCRIPT));
  const assetDir = getAbsoluteFSPath();
  for (const [file, type] of Object.entries(ASSETS)) {
    const path = join(assetDir, file);
    const length = statSync(path).size;
    http.get(`/docs/${file}`, (_request: unknown, response: unknown) =>
      http.reply(response, new StreamableFile(createReadStream(path), { type, length }), 200),
    );
  }
}

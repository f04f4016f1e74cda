import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { ApiError } from '../errors/api-error';
import { dialectOf, isApiPath, requestOf, routeOf, Shape } from './api-request';
import { AZURE_API_VERSIONS, AZURE_V1_API_VERSIONS, AZURE_V1_PATH, OPENAI_BETA_SHAPES } from './supported-versions';

const AZURE_LIST = [...AZURE_API_VERSIONS.keys()].join(', ');

function azureShape(version: unknown): Shape {
  const shape = typeof version === 'string' ? AZURE_API_VERSIONS.get(version) : undefined;
  if (shape) return shape;
  const problem = version === undefined ? 'Missing required query parameter' : `Unsupported value '${String(version)}' for query parameter`;
  throw ApiError.badRequest(`${problem} 'api-version'. Supported versions: ${AZURE_LIST}.`, 'api-version', 'invalid_api_version');
}

/** The v1 surface: no version, or one of its undated values; the shapes are the current (v2) ones. */
function azureV1Shape(version: unknown): Shape {
  if (version === undefined || (typeof version === 'string' && AZURE_V1_API_VERSIONS.includes(version))) return 'v2';
  throw ApiError.badRequest(
    `Unsupported value '${String(version)}' for query parameter 'api-version'. The v1 ` +
      `API (/openai/v1/) takes none, or one of: ${AZURE_V1_API_VERSIONS.join(', ')}.`,
    'api-version',
    'invalid_api_version',
  );
}

function openAiShape(header: string | string[] | undefined): Shape {
  if (header === undefined || header === '') return 'v2';
  const value = Array.isArray(header) ? header.join(',') : header;
  const shape = OPENAI_BETA_SHAPES.get(value.trim());
  if (shape) return shape;
  throw ApiError.badRequest(`Invalid 'OpenAI-Beta' header: '${value}'. Use 'assistants=v2' (the default) or 'assistants=v1'.`, 'OpenAI-Beta', 'invalid_beta');
}

/**
 * Records on the request which shape (v1 or v2) the response takes, from the dialect's version
 * signal. A guard rather than an interceptor: it runs after the API key guard, before the pipes,
 * and costs no rxjs pipeline per request (measured in README, Performance).
 */
@Injectable()
export class ApiVersionGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = requestOf(context);
    const route = routeOf(request);
    if (!isApiPath(route)) return true;
    const version = (request.query as Record<string, unknown>)['api-version'];
    if (route.startsWith(AZURE_V1_PATH)) request.shape = azureV1Shape(version);
    else request.shape = dialectOf(route) === 'azure' ? azureShape(version) : openAiShape(request.headers['openai-beta']);
    return true;
  }
}

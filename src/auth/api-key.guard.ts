import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { ApiRequest, dialectOf, isApiPath, requestOf, routeOf } from '../common/api-version/api-request';
import { ApiError } from '../common/errors/api-error';
import { ApiKeyStore } from './api-key.store';
import { maskKey } from './api-keys';

export function presentedKey(request: ApiRequest, azure: boolean): string | undefined {
  const apiKey = azure ? request.headers['api-key'] : undefined;
  if (typeof apiKey === 'string' && apiKey !== '') return apiKey;
  const authorization = request.headers.authorization;
  if (typeof authorization !== 'string') return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
  return match ? match[1].trim() : undefined;
}

export function unauthorized(azure: boolean, secret: string | undefined): ApiError {
  if (azure) {
    return new ApiError(401, {
      code: '401',
      message:
        'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a ' +
        'valid key for an active subscription and use a correct regional API endpoint for your resource.',
    });
  }
  const message =
    secret === undefined
      ? "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
      : `Incorrect API key provided: ${maskKey(secret)}. You can find your API key in the configuration of this service.`;
  return new ApiError(401, {
    message,
    type: 'invalid_request_error',
    param: null,
    code: 'invalid_api_key',
  });
}

@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly keys: ApiKeyStore) {}

  canActivate(context: ExecutionContext): boolean {
    const request = requestOf(context);
    const route = routeOf(request);
    if (!isApiPath(route)) return true;
    // Already admitted by the platform, before the body was read (src/auth/admission.ts).
    if (request.tenant !== undefined) return true;
    const azure = dialectOf(route) === 'azure';
    const secret = presentedKey(request, azure);
    const tenant = secret === undefined ? undefined : this.keys.tenantOf(secret);
    if (tenant === undefined) throw unauthorized(azure, secret);
    request.tenant = tenant;
    return true;
  }
}

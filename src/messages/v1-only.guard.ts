import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { requestOf } from '../common/api-version/api-request';
import { invalidUrl } from '../common/errors/api-error';

/** The message-file routes exist in v1 only: in v2 they are unknown URLs, whatever the query says. */
@Injectable()
export class V1OnlyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = requestOf(context);
    if (request.shape !== 'v1') throw invalidUrl(request.method, request.url);
    return true;
  }
}

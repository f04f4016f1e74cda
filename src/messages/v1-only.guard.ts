import { CanActivate, ExecutionContext, Injectable, NotFoundException } from '@nestjs/common';
import { ApiRequest } from '../common/api-version/api-request';

/** The message-file routes exist in v1 only: in v2 they are unknown URLs, whatever the query says. */
@Injectable()
export class V1OnlyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (context.switchToHttp().getRequest<ApiRequest>().shape !== 'v1') throw new NotFoundException();
    return true;
  }
}

import { CallHandler, ExecutionContext, Injectable, NestInterceptor, NotFoundException } from '@nestjs/common';
import { Observable } from 'rxjs';
import { ApiRequest } from '../common/api-version/api-request';

/** The message-file routes exist in v1 only: in v2 they are unknown URLs, whatever the query says. */
@Injectable()
export class V1OnlyInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.switchToHttp().getRequest<ApiRequest>().shape !== 'v1') throw new NotFoundException();
    return next.handle();
  }
}

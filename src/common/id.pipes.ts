import { Injectable, PipeTransform } from '@nestjs/common';
import { messageNotFound, threadNotFound } from './errors/api-error';
import { isWellFormedId } from './ids';

/** A thread id that cannot exist is a missing thread (404), never a database error. */
@Injectable()
export class ThreadIdPipe implements PipeTransform<string, string> {
  transform(id: string): string {
    if (!isWellFormedId(id)) throw threadNotFound(id);
    return id;
  }
}

@Injectable()
export class MessageIdPipe implements PipeTransform<string, string> {
  transform(id: string): string {
    if (!isWellFormedId(id)) throw messageNotFound(id);
    return id;
  }
}

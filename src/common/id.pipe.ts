import { Injectable, PipeTransform } from '@nestjs/common';
import { notFound } from './errors/api-error';
import { isWellFormedId } from './ids';

/** An id that cannot exist names a missing object (404), never a database error: `new IdPipe('thread')`. */
@Injectable()
export class IdPipe implements PipeTransform<string, string> {
  constructor(private readonly object: string) {}

  transform(id: string): string {
    if (!isWellFormedId(id)) throw notFound(this.object, id);
    return id;
  }
}

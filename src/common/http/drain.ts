import { Injectable } from '@nestjs/common';

/** Set when the process is shutting down: readiness fails and kept-alive connections are closed after their response. */
@Injectable()
export class DrainState {
  draining = false;
}

import { TIMEOUT_ERROR } from '../errors/api-error';

/** The body of a 504, sent by the platforms' request timeouts. */
export const TIMEOUT_BODY = JSON.stringify({ error: TIMEOUT_ERROR });

/** The requests in flight and their deadlines (see runtime/deadlines.ts). */
export { Deadlines as RequestDeadlines } from '../../runtime/deadlines';

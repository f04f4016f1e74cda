import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type Server } from 'node:http';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ErrorBody } from '../errors/api-error';
import { securityHeadersFor } from './response-headers';

/** Errors Node's HTTP parser raises before any framework sees the request, and how each is answered. */
const CLIENT_ERRORS: Record<string, { status: number; error: ErrorBody }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    error: {
      message: 'The request headers (the URL included) are too large.',
      type: 'invalid_request_error',
      param: null,
      code: 'request_headers_too_large',
    },
  },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: {
    status: 413,
    error: { message: 'Request body too large.', type: 'invalid_request_error', param: null, code: 'request_too_large' },
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    error: { message: 'The request was not received in time.', type: 'invalid_request_error', param: null, code: 'request_timeout' },
  },
};
const MALFORMED = { status: 400, error: { message: 'The request is not valid HTTP.', type: 'invalid_request_error', param: null, code: null } };

function rawResponse(status: number, error: ErrorBody): string {
  const body = JSON.stringify({ error });
  const headers = {
    ...securityHeadersFor('/'),
    'x-request-id': randomUUID(),
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    connection: 'close',
  };
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${lines.join('\r\n')}\r\n\r\n${body}`;
}

/**
 * Requests Node refuses before any framework sees them (headers or a URL over its 16 KB limit:
 * 431; malformed HTTP: 400) are answered in the error envelope, with the security headers and a
 * request id, like every other error. Replaces the server's own `clientError` listeners (Node's
 * bare status line, or Fastify's body), on either platform. `progressTimed`: whether the socket is
 * receiving an upload, which Node's whole-body timeout (BODY_TIMEOUT_MS, 408) does not cut: its
 * own rule, a timeout on its progress, applies instead (upload-watch.ts).
 */
export function answerClientErrors(server: Server, progressTimed: (socket: Socket) => boolean = () => false): void {
  server.removeAllListeners('clientError');
  server.on('clientError', (error: Error & { code?: string }, socket: Duplex & { _httpMessage?: { headersSent?: boolean } }) => {
    // Node hands the socket to this listener to answer and close; an upload in progress is left to go on.
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT' && socket instanceof Socket && progressTimed(socket)) return;
    // As Node does: nothing is written on a reset, or when a response is already under way.
    if (error.code === 'ECONNRESET' || !socket.writable || socket._httpMessage?.headersSent) {
      socket.destroy();
      return;
    }
    const { status, error: body } = CLIENT_ERRORS[error.code ?? ''] ?? MALFORMED;
    // Closed once written: a client that keeps sending (or stalls) after a 408 holds no socket.
    socket.end(rawResponse(status, body), () => socket.destroy());
  });
}

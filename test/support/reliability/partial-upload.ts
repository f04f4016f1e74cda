import { connect, type Socket } from 'node:net';

export interface PartialUpload {
  socket: Socket;
  /** Everything the server has sent so far. */
  received(): string;
  /** The status of the response, once its status line has arrived. */
  status(): number | undefined;
  /** The server closed (or reset) the connection. */
  closed(): boolean;
  /** Bytes written to the socket so far. */
  sent(): number;
  write(bytes: Buffer | string): void;
}

/**
 * A client that sends the request's headers (and `initial` bytes of its body, if any) and then
 * only what the test writes: a stalled or slow upload, as a hostile client makes it.
 */
export function partialUpload(port: number, head: string, initial: Buffer | string = ''): PartialUpload {
  const socket = connect(port, '127.0.0.1');
  let text = '';
  let closed = false;
  let sent = 0;
  socket.on('data', (chunk) => (text += chunk.toString('latin1')));
  socket.on('close', () => (closed = true));
  socket.on('error', () => (closed = true));
  const write = (bytes: Buffer | string) => {
    if (closed || socket.destroyed) return;
    sent += Buffer.byteLength(bytes);
    socket.write(bytes, () => undefined);
  };
  write(head);
  if (initial.length > 0) write(initial);
  return {
    socket,
    received: () => text,
    status: () => {
      const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
      return match ? Number(match[1]) : undefined;
    },
    closed: () => closed,
    sent: () => sent,
    write,
  };
}

/** The request line and headers of a JSON POST declaring `length` body bytes. */
export function postHead(path: string, length: number, headers: Record<string, string> = {}): string {
  const lines = [`POST ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Content-Type: application/json', `Content-Length: ${length}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return lines.join('\r\n') + '\r\n\r\n';
}

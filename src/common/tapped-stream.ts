import { Transform } from 'node:stream';

/** A stream that passes its chunks on as they are, handing each to `seen` first. */
export function tappedStream(seen: (chunk: Buffer) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen(chunk);
      done(null, chunk);
    },
  });
}

/**
 * V8 collects its young generation when the objects made since the last collection fill it, or when
 * the buffers made since then pass 32 MiB (twice its default semi-space size, whatever the semi-space
 * is set to). A file transfer makes buffers and few objects (socket reads, a download's parts, an
 * upload's messages to PostgreSQL), so dead buffers pile up to that 32 MiB before anything frees them.
 */
export const TRANSFER_COLLECTION_BYTES = 8 * 1024 * 1024;

/** A counter of bytes moved that calls `collect` each time `every` more have been. */
export function collectionsEvery(every: number, collect: (() => void) | undefined): (bytes: number) => void {
  if (collect === undefined) return () => undefined;
  let moved = 0;
  return (bytes) => {
    moved += bytes;
    if (moved < every) return;
    moved = 0;
    collect();
  };
}

/**
 * The bytes the process's file transfers move, counted here: with `gc` exposed (`--expose-gc`, as
 * `npm run start:prod` and the image run node), a young collection every TRANSFER_COLLECTION_BYTES;
 * without it, nothing beyond what V8 does on its own.
 */
const gc = globalThis.gc;
export const transferred = collectionsEvery(TRANSFER_COLLECTION_BYTES, gc && (() => gc({ type: 'minor' })));

/**
 * Preloaded (`node --require`) into the processes the benchmark starts: when the benchmark process goes away
 * without stopping them (its IPC channel closes), the child stops itself as on SIGTERM, and exits for good
 * 15 s later at the latest. Without an IPC channel it does nothing.
 */
if (typeof process.send === 'function') {
  process.once('disconnect', () => {
    setTimeout(() => process.exit(1), 15_000).unref();
    process.kill(process.pid, 'SIGTERM');
  });
  process.channel?.unref();
}

export {};

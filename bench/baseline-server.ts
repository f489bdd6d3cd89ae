/**
 * The benchmark's baseline: a bare node:http server that parses the same JSON and inserts it into SQLite (same
 * WAL + synchronous=FULL durability as tocsin), with no logic at all. What tocsin costs is measured against this.
 */
import { createServer } from 'node:http';
import BetterSqlite3 from 'better-sqlite3';

const [, , dbPath, portArg] = process.argv;
const db = new BetterSqlite3(dbPath!);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec('create table if not exists alerts (id integer primary key, dedup_key text, title text, body text)');
const insert = db.prepare('insert into alerts (dedup_key, title, body) values (?, ?, ?)');
const insertAll = db.transaction((items: { dedup_key?: string; title: string }[]) => {
  for (const a of items) insert.run(a.dedup_key ?? a.title, a.title, JSON.stringify(a));
});

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString()) as unknown;
    insertAll(Array.isArray(body) ? body : [body]);
    res.writeHead(202, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(portArg), '127.0.0.1', () => process.stdout.write('ready\n'));

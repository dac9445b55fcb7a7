import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { expect, it } from 'vitest';

// better-sqlite3 before 13 wraps its statements in node::ObjectWrap. From Node 24.19 on, that
// class's destructor asserts a current Environment, which a garbage collection run off the
// JavaScript stack (V8's idle memory reducer) does not have: the process aborts (SIGABRT) a
// moment after statements are dropped. mypage and review prepare statements all the time, so on
// such a Node they crash at random. This runs the pattern in a child process of the same Node.
const betterSqlite3 = createRequire(import.meta.url).resolve('better-sqlite3');

const dropManyStatementsThenIdle = `
  const Database = require(${JSON.stringify(betterSqlite3)});
  const db = new Database(':memory:');
  db.exec('create table t (x integer)');
  let rounds = 0;
  (function burst() {
    for (let i = 0; i < 20000; i++) db.prepare('select ' + i + ' as x from t').all();
    if (++rounds < 10) setTimeout(burst, 200);
    else setTimeout(() => process.exit(0), 2000);
  })();
`;

it('better-sqlite3 survives garbage collection of dropped statements under this Node', () => {
  const child = spawnSync(process.execPath, ['-e', dropManyStatementsThenIdle], { encoding: 'utf8', timeout: 50_000 });
  expect({ signal: child.signal, status: child.status, stderr: child.stderr.slice(0, 400) }).toEqual({
    signal: null,
    status: 0,
    stderr: '',
  });
});

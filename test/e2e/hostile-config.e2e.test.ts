import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, tempDir } from '../harness.ts';
import { oneLineUsageError, tocsin } from './cli-helpers.ts';

// Config files found by hostile testing (issue 13) through the real CLI: each is one line on stderr and exit 2, as
// every other config mistake, never a stack trace, a hang or a token made of the literal text.
const TOKEN = 'app-source-token-0123456789';

function configFile(text: string): string {
  const path = join(tempDir(), 'tocsin.yaml');
  writeFileSync(path, text);
  return path;
}

const bomb = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'].map((n, i) => `${n}: &${n} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`),
].join('\n');

const cases: [string, string, RegExp][] = [
  ['an alias bomb', `${bomb}\nsources: {}\n`, /tocsin\.yaml: YAML: aliases \(\*name\) expand to too many nodes/],
  ['token_file: /dev/zero', 'sources:\n  app: { type: alerts, token_file: /dev/zero }\n', /sources\.app\.token_file: cannot read \/dev\/zero: not a regular file/],
  ['a port past 65535', `listen: 127.0.0.1:99999\nsources:\n  app: { type: alerts, token: ${TOKEN} }\n`, /listen: the port must be between 0 and 65535/],
  ['__proto__ as a source name', `sources:\n  __proto__: { type: alerts, token: ${TOKEN} }\n`, /sources\.__proto__: "__proto__" cannot be used as a name or key/],
  ['__proto__ as a destination name', `destinations:\n  __proto__: { type: incident_io_alert_source }\n`, /destinations\.__proto__: "__proto__" cannot be used/],
  ['${ VAR } with spaces', 'sources:\n  app: { type: alerts, token: "${ APP_TOKEN }" }\n', /sources\.app\.token: \$\{ APP_TOKEN \} is not a valid \$\{VAR\} reference/],
  ['${1VAR}', 'sources:\n  app: { type: alerts, token: "${1APP_TOKEN}" }\n', /sources\.app\.token: \$\{1APP_TOKEN\} is not a valid \$\{VAR\} reference/],
];

describe('hostile config files: one line, exit 2', () => {
  for (const [name, text, expected] of cases) {
    test(`check-config: ${name}`, async () => {
      const started = Date.now();
      const r = await tocsin(['check-config', '--config', configFile(text)], { APP_TOKEN: TOKEN, '1APP_TOKEN': TOKEN }, { timeoutMs: 20_000 });
      const line = oneLineUsageError(r);
      assert.match(line, expected);
      assert.ok(!line.includes(TOKEN));
      assert.ok(Date.now() - started < 15_000, 'answered at once');
    });
  }

  test('start: an address no interface has is one line and exit 2, not a stack trace', async () => {
    const dir = tempDir();
    const port = await freePort();
    const path = configFile(`listen: 10.255.255.1:${port}\nstorage: { sqlite: ${join(dir, 'db.sqlite')} }\nsources:\n  app: { type: alerts, token: ${TOKEN} }\n`);
    const r = await tocsin(['start', '--config', path], {}, { timeoutMs: 20_000 });
    // start logs JSON lines before it fails; the failure itself is the last line on stderr, with exit 2.
    assert.equal(r.code, 2, r.err);
    assert.doesNotMatch(r.err, /\n\s+at /);
    assert.match(r.err.trimEnd().split('\n').at(-1)!, /^tocsin: cannot listen on 10\.255\.255\.1:\d+: no network interface of this machine has that address; change listen in the config$/);
  });
});

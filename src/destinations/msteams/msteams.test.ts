import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { messageProblem, TeamsStandin } from '../../../test/standins/msteams.ts';
import type { SendOutcome } from '../types.ts';
import { buildCard, escapeMarkdown, MAX_BYTES } from './card.ts';
import { msteamsConfig } from './config.ts';
import type { HttpOutcome } from '../incident-io/http.ts';
import { classifyTeams, createMsteamsDestination, msteamsDestination } from './msteams.ts';
import { deliveryPayload } from '../../../test/payloads.ts';

const WF = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const SIG = 'unitSigAbCdEf0123456789xyz';
let teams: TeamsStandin;
before(async () => {
  teams = await TeamsStandin.start({ workflows: { [WF]: SIG }, perSecond: 100 });
});
after(() => teams.close());

const p = deliveryPayload;
const dest = (url: string) => createMsteamsDestination('t', msteamsConfig.parse({ type: 'msteams', webhook_url: url }));
const secretFree = (o: SendOutcome, secrets: string[]) => {
  const text = JSON.stringify(o);
  for (const s of secrets) assert.ok(!text.includes(s), `${s} in ${text}`);
};

describe('the card', () => {
  test('the documented Workflows body: a message with one Adaptive Card 1.4', () => {
    const m = buildCard(p({ severity: 'critical', description: 'on /var', metadata: { host: 'db1', tags: ['a', 'b'], nested: { x: 1 } }, sourceUrl: 'https://grafana.example/d/1' }));
    assert.equal(messageProblem(m), undefined);
    const card = m.attachments[0]!.content as any;
    assert.equal(card.version, '1.4');
    assert.equal(card.body[0].text, 'Disk full');
    assert.match(card.body[1].text, /\*\*CRITICAL\*\* · app/);
    assert.equal(card.body[1].color, 'Attention');
    assert.deepEqual(card.body.find((e: any) => e.type === 'FactSet').facts, [{ title: 'host', value: 'db1' }, { title: 'tags', value: 'a, b' }]);
    assert.deepEqual(card.actions, [{ type: 'Action.OpenUrl', title: 'Open source', url: 'https://grafana.example/d/1' }]);
    assert.equal(card.fallbackText, 'CRITICAL: Disk full');
  });

  test('resolve and test cards say so; a non-http source_url gets no action', () => {
    const card = buildCard(p({ status: 'resolved', test: true, sourceUrl: 'javascript:alert(1)' })).attachments[0]!.content as any;
    assert.equal(card.body[0].text, '[test] Resolved: Disk full');
    assert.equal(card.body[1].color, 'Good');
    assert.equal(card.actions, undefined);
  });

  test("the sender's Markdown is escaped: no hidden link, no bold", () => {
    assert.equal(escapeMarkdown('[click](http://evil) **x** _y_ `z` \\'), '\\[click\\](http://evil) \\*\\*x\\*\\* \\_y\\_ \\`z\\` \\\\');
    const card = buildCard(p({ title: '[pay](http://evil)' })).attachments[0]!.content as any;
    assert.equal(card.body[0].text, '\\[pay\\](http://evil)');
  });

  test("always within Teams' 28 KB, whatever the alert's size", () => {
    const big = 'é'.repeat(5000);
    const metadata = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`key${i}`, big]));
    for (const over of [{ metadata }, { description: '字'.repeat(100_000), metadata }, { title: '字'.repeat(100_000), description: big, metadata }]) {
      const m = buildCard(p(over));
      const size = Buffer.byteLength(JSON.stringify(m));
      assert.ok(size <= MAX_BYTES, `${size} bytes`);
      assert.equal(messageProblem(m), undefined);
    }
    // An ordinary alert keeps all its facts.
    const small = buildCard(p({ metadata: { a: '1', b: '2' } })).attachments[0]!.content as any;
    assert.equal(small.body.find((e: any) => e.type === 'FactSet').facts.length, 2);
  });
});

describe('posting to the workflow', () => {
  test('fire posts a card, a later firing state posts nothing, resolve posts another card', async () => {
    const d = dest(teams.workflowUrl(WF, SIG));
    const before = teams.cards.length;
    const fired = await d.send(p(), undefined);
    assert.equal(fired.kind, 'delivered');
    assert.equal(fired.statusCode, 202);
    const state = fired.kind === 'delivered' ? fired.state : undefined;
    assert.deepEqual(state, { posted: 'firing' });
    const again = await d.send(p({ title: 'Disk fuller' }), state);
    assert.equal(again.kind, 'delivered');
    assert.equal(again.statusCode, 0);
    const resolved = await d.send(p({ status: 'resolved' }), state);
    assert.equal(resolved.kind, 'delivered');
    assert.deepEqual(teams.cards.slice(before).map((c) => c.title), ['Disk full', 'Resolved: Disk full']);
    await d.close?.();
  });

  test('answers: 429 and 5xx retried (Retry-After honoured); 401, 404 final with hints; no URL in any of it', async () => {
    const good = dest(teams.workflowUrl(WF, SIG));
    teams.fail(1, { status: 429, retryAfter: '7' });
    const limited = await good.send(p(), undefined);
    assert.equal(limited.kind, 'retry');
    assert.equal(limited.kind === 'retry' ? limited.retryAfterMs : 0, 7000);
    teams.fail(1, { status: 502 });
    assert.equal((await good.send(p(), undefined)).kind, 'retry');
    const cases: [string, string, RegExp][] = [
      [teams.workflowUrl(WF, 'wrongSig000000'), 'HTTP 401: DirectApiInvalidAuthorizationSignature', /copy the webhook URL again/],
      [teams.workflowUrl('ffffffffffffffffffffffffffffffff', SIG), 'HTTP 404: WorkflowNotFound', /deleted, or the URL is wrong/],
    ];
    for (const [url, error, hint] of cases) {
      const d = dest(url);
      const out = await d.send(p(), undefined);
      assert.equal(out.kind, 'failed', error);
      assert.equal(out.kind === 'failed' ? out.error : '', error);
      assert.match(out.kind === 'failed' ? out.hint : '', hint);
      secretFree(out, [SIG, 'wrongSig000000', WF]);
      await d.close?.();
    }
    await good.close?.();
  });

  test('the stored target is the host and a fingerprint, never the signature', () => {
    const target = msteamsDestination.target(msteamsConfig.parse({ type: 'msteams', webhook_url: teams.workflowUrl(WF, SIG) }));
    assert.match(target, /^msteams workflow 127\.0\.0\.1:\d+ \(url sha256 [0-9a-f]{12}\)$/);
    assert.ok(!target.includes(SIG));
  });

  test('config: an http(s) URL is required; defaults keep under Teams\' throttling', () => {
    assert.equal(msteamsConfig.safeParse({ type: 'msteams' }).success, false);
    assert.equal(msteamsConfig.safeParse({ type: 'msteams', webhook_url: 'ftp://x/y' }).success, false);
    const c = msteamsConfig.parse({ type: 'msteams', webhook_url: 'https://x.logic.azure.com/workflows/1' });
    assert.deepEqual([c.rate_limit_per_minute, c.rate_limit_burst], [30, 4]);
  });

  test('classifyTeams: 200 and 202 delivered; 403 and 400 final with hints; 503 and network errors retried', () => {
    const res = (statusCode: number, body = ''): HttpOutcome => ({ ok: true, res: { statusCode, headers: {}, body, latencyMs: 1 } });
    assert.equal(classifyTeams(res(200, '1'), 0).kind, 'delivered');
    assert.equal(classifyTeams(res(202), 0).kind, 'delivered');
    const forbidden = classifyTeams(res(403, JSON.stringify({ error: { code: 'WorkflowTriggerIsNotEnabled', message: 'x' } })), 0);
    assert.equal(forbidden.kind === 'failed' ? forbidden.error : '', 'HTTP 403: WorkflowTriggerIsNotEnabled');
    assert.match(forbidden.kind === 'failed' ? forbidden.hint : '', /turn the flow on/);
    const bad = classifyTeams(res(400, '<html>bad</html>'), 0);
    assert.match(bad.kind === 'failed' ? bad.hint : '', /trigger/);
    assert.equal(classifyTeams(res(503), 0).kind, 'retry');
    assert.equal(classifyTeams({ ok: false, error: 'network error: ECONNRESET', timeout: false, latencyMs: 1 }, 0).kind, 'retry');
  });
});

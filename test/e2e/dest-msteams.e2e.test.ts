/**
 * The `msteams` destination through a real `tocsin start`, against the Teams Workflows stand-in
 * (test/standins/msteams.ts — a stand-in, not Teams): fire posts an Adaptive Card and resolve posts another (a
 * Workflows webhook cannot update a card); a 429 with Retry-After is waited out; a deleted workflow (404) and a wrong
 * signature (401) dead-letter with hints; `tocsin test-connection` works; the URL's signature shows nowhere.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { http, waitFor, type TocsinProcess } from '../harness.ts';
import { TeamsStandin } from '../standins/msteams.ts';
import { tocsin } from './cli-helpers.ts';
import { assertNoSecret, deliveries, ingest, startWith } from './dest-helpers.ts';

const WF = '5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b';
const SIG = 'e2eSigQwErTy0123456789aBcD';
const GONE = '00000000000000000000000000000000';
const WRONG_SIG = 'e2eWrongSig9876543210zYxW';

describe('msteams destination, end to end', () => {
  let teams: TeamsStandin;
  let t: TocsinProcess & { dir: string };
  const ids: string[] = [];
  const titles = () => teams.cards.map((c) => c.title);

  before(async () => {
    teams = await TeamsStandin.start({ workflows: { [WF]: SIG } });
    t = await startWith(
      {
        teams: { type: 'msteams', webhook_url: teams.workflowUrl(WF, SIG) },
        gone: { type: 'msteams', webhook_url: teams.workflowUrl(GONE, SIG) },
        badsig: { type: 'msteams', webhook_url: teams.workflowUrl(WF, WRONG_SIG) },
      },
      {
        routes: [
          { match: { team: 'gone' }, to: ['gone'] },
          { match: { team: 'badsig' }, to: ['badsig'] },
          { to: ['teams'] },
        ],
      },
    );
  });
  after(async () => {
    await t?.kill();
    await teams?.close();
  });

  test('fire posts an Adaptive Card; an update posts nothing; resolve posts a second card', async () => {
    const id = await ingest(t, { title: 'Replica lag', dedup_key: 'lag', severity: 'warning', metadata: { db: 'orders' }, source_url: 'https://grafana.example/d/lag' });
    ids.push(id);
    await waitFor('the card', () => titles().includes('Replica lag'));
    const card = teams.cards.find((c) => c.title === 'Replica lag')!.card;
    assert.equal(card.type, 'AdaptiveCard');
    assert.match(card.body[1].text, /\*\*WARNING\*\*/);
    assert.deepEqual(card.body.find((e: any) => e.type === 'FactSet').facts, [{ title: 'db', value: 'orders' }]);
    assert.equal(card.actions[0].url, 'https://grafana.example/d/lag');
    await ingest(t, { title: 'Replica lag', dedup_key: 'lag', severity: 'critical' });
    await ingest(t, { title: 'Replica lag', dedup_key: 'lag', status: 'resolved' });
    await waitFor('the resolve card', () => titles().includes('Resolved: Replica lag'));
    const rows = await waitFor('recorded', async () => {
      const r = await deliveries(t, id);
      return r.some((d) => d.sends === 'resolved' && d.status === 'delivered') ? r : undefined;
    });
    assert.ok(rows.every((d) => d.status === 'delivered'), JSON.stringify(rows));
    assert.deepEqual(titles().filter((x) => x.endsWith('Replica lag')), ['Replica lag', 'Resolved: Replica lag'], 'one card per fire and resolve');
  });

  test('a 429 with Retry-After is waited out, then the card is posted', async () => {
    const before = teams.requests.length;
    teams.fail(1, { status: 429, retryAfter: '2' });
    const id = await ingest(t, { title: 'Queue depth', dedup_key: 'queue' });
    ids.push(id);
    const d = await waitFor('delivered', async () => (await deliveries(t, id)).find((r) => r.status === 'delivered'), 15_000);
    const tries = teams.requests.slice(before);
    assert.equal(tries[0]!.answer, 'WorkflowRequestsThrottled');
    assert.equal(tries[1]!.answer, 'accepted');
    assert.ok(tries[1]!.at - tries[0]!.at >= 1900, `retried after ${tries[1]!.at - tries[0]!.at} ms`);
    assert.equal(d.attempts, 2);
  });

  test('a deleted workflow (404) and a wrong signature (401): dead-lettered at once with a hint', async () => {
    const gone = await ingest(t, { title: 'Gone', dedup_key: 'gone', metadata: { team: 'gone' } });
    const bad = await ingest(t, { title: 'Bad sig', dedup_key: 'badsig', metadata: { team: 'badsig' } });
    ids.push(gone, bad);
    const g = await waitFor('dead letter', async () => (await deliveries(t, gone)).find((r) => r.status === 'dead'));
    assert.equal(g.last_error, 'HTTP 404: WorkflowNotFound');
    assert.match(g.hint, /deleted, or the URL is wrong/);
    assert.equal(g.attempts, 1);
    const b = await waitFor('dead letter', async () => (await deliveries(t, bad)).find((r) => r.status === 'dead'));
    assert.equal(b.last_error, 'HTTP 401: DirectApiInvalidAuthorizationSignature');
    assert.match(b.hint, /copy the webhook URL again/);
  });

  test('tocsin test-connection: posts a test card and its resolve; a deleted workflow fails with the hint', async () => {
    const r = await tocsin(['test-connection', 'teams', '--config', t.configPath]);
    assert.equal(r.code, 0, r.err + r.out);
    assert.deepEqual(titles().slice(-2), ['[test] tocsin connection test (teams)', '[test] Resolved: tocsin connection test (teams)']);
    const bad = await tocsin(['test-connection', 'gone', '--config', t.configPath]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.out, /FAILED[\s\S]*WorkflowNotFound[\s\S]*hint: .*deleted, or the URL is wrong/);
    for (const out of [r, bad].flatMap((x) => [x.out, x.err])) for (const s of [SIG, WRONG_SIG, WF]) assert.ok(!out.includes(s), 'a secret in CLI output');
  });

  test('no webhook URL signature in logs, API answers or delivery rows', async () => {
    await assertNoSecret(t, ids, [SIG, WRONG_SIG, WF]);
  });

  test('every attempt is counted in /metrics by destination and outcome', async () => {
    const metrics = (await http('GET', `${t.url}/metrics`)).text;
    assert.match(metrics, /tocsin_delivery_attempts_total\{destination="teams",outcome="delivered"\} [1-9]/);
    assert.match(metrics, /tocsin_delivery_attempts_total\{destination="teams",outcome="retry"\} [1-9]/);
    assert.match(metrics, /tocsin_delivery_attempts_total\{destination="gone",outcome="failed"\} [1-9]/);
  });
});

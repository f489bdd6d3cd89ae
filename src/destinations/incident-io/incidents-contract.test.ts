import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readIncident, readSeverities, readStatuses } from './incidents-contract.ts';

describe('readIncident: defensive', () => {
  const cases: [string, string, unknown][] = [
    [
      'the fields tocsin keeps; an unknown mode and status category carried along',
      JSON.stringify({ incident: { id: '01A', reference: 'INC-7', mode: 'drill', summary: 's', incident_status: { category: 'hibernating' }, creator: {} } }),
      { id: '01A', reference: 'INC-7', mode: 'drill', summary: 's', statusCategory: 'hibernating' },
    ],
    ['creator without api_key, no severity, no reference', JSON.stringify({ incident: { id: '01A', creator: { workflow: { id: 'w' } } } }), { id: '01A', reference: '01A' }],
    ['permalink kept', JSON.stringify({ incident: { id: '01A', reference: 'INC-1', permalink: 'https://app.incident.io/x/incidents/1' } }), { id: '01A', reference: 'INC-1', permalink: 'https://app.incident.io/x/incidents/1' }],
    ['no id', JSON.stringify({ incident: { reference: 'INC-1' } }), undefined],
    ['not JSON', '<html>', undefined],
    ['null incident', '{"incident":null}', undefined],
  ];
  for (const [name, body, want] of cases) it(name, () => assert.deepEqual(readIncident(body), want));
});

describe('lists', () => {
  it('severities: skips entries without id or name, defaults a missing rank', () => {
    const body = JSON.stringify({ severities: [{ id: 'a', name: 'Minor', rank: 1, extra: true }, { id: 'b' }, 'x', { id: 'c', name: 'Odd' }] });
    assert.deepEqual(readSeverities(body), [
      { id: 'a', name: 'Minor', rank: 1 },
      { id: 'c', name: 'Odd', rank: 0 },
    ]);
    assert.equal(readSeverities('{"nope":[]}'), undefined);
  });

  it('statuses: an unknown or missing category never throws', () => {
    const body = JSON.stringify({ incident_statuses: [{ id: 'a', name: 'Paused', rank: 1, category: 'snoozed' }, { id: 'b', name: 'Odd', rank: 2 }] });
    assert.deepEqual(readStatuses(body), [
      { id: 'a', name: 'Paused', rank: 1, category: 'snoozed' },
      { id: 'b', name: 'Odd', rank: 2, category: 'unknown' },
    ]);
  });
});

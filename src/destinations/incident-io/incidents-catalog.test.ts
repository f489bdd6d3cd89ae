import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Severity } from '../../domain/alert.ts';
import { fillByRank, lookup, resolveCatalog, severityFor, type CatalogConfig } from './incidents-catalog.ts';
import type { SeverityRef, StatusRef } from './incidents-contract.ts';

// Deliberately out of rank order, with names that do not look like tocsin's levels.
const SEV: SeverityRef[] = [
  { id: 'sev-hi', name: 'SEV1', rank: 30 },
  { id: 'sev-lo', name: 'SEV3', rank: 10 },
  { id: 'sev-mid', name: 'SEV2', rank: 20 },
];
const sev = (id: string) => SEV.find((s) => s.id === id)!;
const STATUSES: StatusRef[] = [
  { id: 'st-triage', name: 'Triage', rank: 1, category: 'triage' },
  { id: 'st-live', name: 'Investigating', rank: 2, category: 'live' },
  { id: 'st-learn', name: 'Documenting', rank: 3, category: 'learning' },
  { id: 'st-closed', name: 'Closed', rank: 4, category: 'closed' },
  { id: 'st-new', name: 'Snoozed', rank: 5, category: 'hibernating' },
];

describe('fillByRank: an unmapped level takes the nearest configured less severe level, else the lowest', () => {
  const cases: { configured: Partial<Record<Severity, string>>; want: Record<Severity, string> }[] = [
    { configured: { critical: 'sev-hi', error: 'sev-mid', warning: 'sev-lo' }, want: { critical: 'sev-hi', error: 'sev-mid', warning: 'sev-lo', info: 'sev-lo' } },
    { configured: { critical: 'sev-hi' }, want: { critical: 'sev-hi', error: 'sev-lo', warning: 'sev-lo', info: 'sev-lo' } },
    { configured: { critical: 'sev-hi', warning: 'sev-mid' }, want: { critical: 'sev-hi', error: 'sev-mid', warning: 'sev-mid', info: 'sev-lo' } },
    { configured: { info: 'sev-mid' }, want: { critical: 'sev-mid', error: 'sev-mid', warning: 'sev-mid', info: 'sev-mid' } },
    { configured: { error: 'sev-hi' }, want: { critical: 'sev-hi', error: 'sev-hi', warning: 'sev-lo', info: 'sev-lo' } },
  ];
  for (const { configured, want } of cases) {
    it(JSON.stringify(configured), () => {
      const refs = Object.fromEntries(Object.entries(configured).map(([k, id]) => [k, sev(id)]));
      const got = fillByRank(refs, sev('sev-lo'));
      assert.deepEqual(Object.fromEntries(Object.entries(got).map(([k, s]) => [k, s.id])), want);
    });
  }
});

describe('lookup', () => {
  const list = [
    { id: 'a', name: 'Major' },
    { id: 'b', name: 'major ' },
    { id: 'c', name: 'Minor' },
  ];
  const cases: [string, string][] = [
    ['a', 'found a'], // id
    ['Major', 'found a'], // exact name wins over case-folded duplicates
    ['MINOR', 'found c'], // unique case-insensitive
    ['MAJOR', 'ambiguous a,b'],
    ['Sev1', 'unknown'],
  ];
  for (const [wanted, want] of cases) {
    it(`${wanted} → ${want}`, () => {
      const r = lookup(list, wanted);
      const got = r.kind === 'found' ? `found ${r.item.id}` : r.kind === 'ambiguous' ? `ambiguous ${r.items.map((x) => x.id).join(',')}` : 'unknown';
      assert.equal(got, want);
    });
  }
});

describe('resolveCatalog', () => {
  const base: CatalogConfig = { severity: { critical: 'SEV1', error: 'sev-mid' }, on_resolve: 'close' };

  it('resolves names and ids, and the one closed status when none is configured', () => {
    const r = resolveCatalog(base, SEV, STATUSES);
    assert.ok(r.ok);
    assert.equal(r.catalog.bySeverity.critical.id, 'sev-hi');
    assert.equal(r.catalog.bySeverity.error.id, 'sev-mid');
    assert.equal(r.catalog.bySeverity.warning.id, 'sev-lo');
    assert.equal(r.catalog.closedStatus?.id, 'st-closed');
    assert.equal(severityFor(r.catalog, undefined).id, 'sev-lo');
    assert.equal(severityFor(r.catalog, 'critical').id, 'sev-hi');
  });

  it('needs no statuses unless on_resolve is close', () => {
    const r = resolveCatalog({ ...base, on_resolve: 'summary_only', closed_status: 'whatever' }, SEV, undefined);
    assert.ok(r.ok);
    assert.equal(r.catalog.closedStatus, undefined);
  });

  const problems: { name: string; config: Partial<CatalogConfig>; severities?: SeverityRef[]; statuses?: StatusRef[]; want: { path: string; includes: string[] }[] }[] = [
    {
      name: 'unknown severity name lists the valid names, least severe first',
      config: { severity: { critical: 'P1', warning: 'SEV3' } },
      want: [{ path: 'severity.critical', includes: ['"P1"', '"SEV3", "SEV2", "SEV1"'] }],
    },
    {
      name: 'every bad key is reported',
      config: { severity: { critical: 'P1', error: 'P2' }, closed_status: 'Done' },
      want: [
        { path: 'severity.critical', includes: ['"P1"'] },
        { path: 'severity.error', includes: ['"P2"'] },
        { path: 'closed_status', includes: ['"Done"', 'closed category: "Closed"', '"Investigating" (live)'] },
      ],
    },
    {
      name: 'a closed status outside the closed category',
      config: { closed_status: 'Documenting' },
      want: [{ path: 'closed_status', includes: ['"Documenting" is a post-incident (learning) status', '"Closed"'] }],
    },
    {
      name: 'an unknown category is named, never thrown on',
      config: { closed_status: 'st-new' },
      want: [{ path: 'closed_status', includes: ['"Snoozed" is a hibernating status'] }],
    },
    {
      name: 'no closed status to pick',
      config: {},
      statuses: STATUSES.filter((s) => s.category !== 'closed'),
      want: [{ path: 'closed_status', includes: ['no status in the closed category'] }],
    },
    {
      name: 'several closed statuses to pick from',
      config: {},
      statuses: [...STATUSES, { id: 'st-closed2', name: 'Archived', rank: 9, category: 'closed' }],
      want: [{ path: 'closed_status', includes: ['several', '"Closed", "Archived"'] }],
    },
    {
      name: 'no severities at all',
      config: {},
      severities: [],
      want: [{ path: 'severity', includes: ['no severities'] }],
    },
  ];
  for (const t of problems) {
    it(t.name, () => {
      const r = resolveCatalog({ ...base, ...t.config }, t.severities ?? SEV, t.statuses ?? STATUSES);
      assert.ok(!r.ok);
      assert.deepEqual(r.problems.map((p) => p.path), t.want.map((w) => w.path));
      t.want.forEach((w, i) => {
        for (const s of w.includes) assert.ok(r.problems[i]!.message.includes(s), `${r.problems[i]!.message} should include ${s}`);
      });
    });
  }
});

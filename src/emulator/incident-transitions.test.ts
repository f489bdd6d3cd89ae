import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { transitionVerdict, type TransitionVerdict } from './incident-transitions.ts';
import type { StatusCategory } from './org.ts';

const table: [StatusCategory, StatusCategory, TransitionVerdict][] = [
  ['live', 'live', 'allowed'],
  ['triage', 'live', 'allowed'],
  ['triage', 'declined', 'allowed'],
  ['live', 'learning', 'allowed'],
  ['triage', 'learning', 'allowed'],
  ['learning', 'closed', 'allowed'],
  ['learning', 'learning', 'allowed'],
  ['closed', 'closed', 'allowed'],
  ['live', 'closed', 'needs_opt_out'],
  ['triage', 'closed', 'needs_opt_out'],
  ['live', 'triage', 'forbidden'],
  ['live', 'declined', 'forbidden'],
  ['learning', 'live', 'forbidden'],
  ['closed', 'live', 'forbidden'],
  ['closed', 'learning', 'forbidden'],
  ['declined', 'live', 'forbidden'],
];

describe('incident status transitions', () => {
  for (const [from, to, verdict] of table) {
    it(`${from} → ${to}: ${verdict}`, () => assert.equal(transitionVerdict(from, to), verdict));
  }
});

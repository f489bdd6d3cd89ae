import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cellText, cut, table, terminalWidth } from './table.ts';

const rows = [
  { id: '01JABCDEFGHJKMNPQRSTVWXYZ0', state: 'firing', title: 'Orders API 5xx above 2% on every node of the eu-west-1 cluster' },
  { id: '01JABCDEFGHJKMNPQRSTVWXYZ1', state: 'resolved', title: 'Disk full' },
];

test('without a width nothing is cut', () => {
  const t = table(rows, [{ key: 'id', keep: true }, 'state', 'title']);
  assert.ok(t.includes('on every node of the eu-west-1 cluster'));
  assert.ok(!t.includes('…'));
  assert.match(t.split('\n')[0]!, /^ID\s+STATE\s+TITLE$/);
});

test('every line fits the width; the widest column gives way and says so with …; kept columns stay whole', () => {
  const t = table(rows, [{ key: 'id', keep: true }, 'state', 'title'], 60);
  for (const line of t.split('\n')) assert.ok([...line].length <= 60, `${line.length}: ${line}`);
  assert.ok(t.includes('01JABCDEFGHJKMNPQRSTVWXYZ0'));
  assert.match(t, /Orders API 5xx.*…$/m);
  assert.match(t, /resolved\s+Disk full$/m, 'a short cell in a cut column is not marked');
});

test('a width too small for the kept columns still prints them whole', () => {
  const t = table(rows, [{ key: 'id', keep: true }, 'state', 'title'], 10);
  assert.ok(t.includes('01JABCDEFGHJKMNPQRSTVWXYZ1'));
});

test('cells: whitespace collapsed, lists joined, empty as -', () => {
  assert.equal(cellText('a\n  b'), 'a b');
  assert.equal(cellText(['x', 'y']), 'x, y');
  assert.equal(cellText(null), '-');
  assert.equal(cellText([]), '-');
  assert.equal(cut('abcdef', 4), 'abc…');
  assert.equal(cut('🔥🔥🔥', 2), '🔥…', 'cuts between characters, never inside one');
});

test('terminal width: the TTY, else $COLUMNS, else none', () => {
  assert.equal(terminalWidth({ isTTY: true, columns: 100 }, {}), 100);
  assert.equal(terminalWidth({ isTTY: false }, { COLUMNS: '72' }), 72);
  assert.equal(terminalWidth({ isTTY: false }, {}), undefined);
  assert.equal(terminalWidth({ isTTY: false }, { COLUMNS: 'x' }), undefined);
});

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

test('free text gives way first; then droppable columns go, highest first; then everything but ids is cut', () => {
  const cols = [{ key: 'id', keep: true }, { key: 'state', drop: 1 }, { key: 'title', flex: true }, { key: 'updated', drop: 2 }];
  const wide = [{ id: '01JABCDEFGHJKMNPQRSTVWXYZ0', state: 'acknowledged', title: 'Disk full on the database host', updated: '2025-06-01 12:00:00' }];
  assert.match(table(wide, cols, 85).split('\n')[1]!, /acknowledged  Disk full on the data… {2}2025-06-01 12:00:00$/, 'the title gave way, nothing dropped');
  const t = table(wide, cols, 72);
  for (const line of t.split('\n')) assert.ok([...line].length <= 72, line);
  assert.match(t, /^ID\s+STATE\s+TITLE\n\S+\s+acknowledged\s+Disk full on the database host$/, 'UPDATED went first; the title has room again');
  assert.match(table(wide, cols, 50).split('\n')[0]!, /^ID\s+TITLE$/);
  assert.match(table(wide, cols, 34), /^ID\s+TITLE\n\S{26}\s+Disk …$/, 'last, the title is cut to its floor; the id stays whole');
  assert.match(table(wide, cols).split('\n')[0]!, /UPDATED$/, 'nothing is dropped without a width');
});

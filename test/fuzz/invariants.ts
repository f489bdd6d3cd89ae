/**
 * What every parser outcome must be, whatever the body: either events the ingest path can store and send as they
 * are, or a short list of problems (a 400). Throws an AssertionError naming the first thing that is off.
 */
import assert from 'node:assert/strict';
import { SEVERITIES } from '../../src/domain/alert.ts';
import type { ParseOutcome } from '../../src/domain/errors.ts';
import { MAX_PROBLEMS } from '../../src/sources/problems.ts';
import type { ParsedBatch } from '../../src/sources/types.ts';

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/** Every value reachable from `root` is JSON (no function, undefined, symbol, bigint, non-finite number, class instance). Iterative: metadata may be thousands of levels deep. */
export function assertJson(root: unknown, where: string): void {
  const stack: [unknown, string][] = [[root, where]];
  let seen = 0;
  while (stack.length) {
    const [v, path] = stack.pop()!;
    if (++seen > 5_000_000) return;
    if (v === null || typeof v === 'string' || typeof v === 'boolean') continue;
    if (typeof v === 'number') {
      assert.ok(Number.isFinite(v), `${path} is ${v}`);
      continue;
    }
    if (Array.isArray(v)) {
      v.forEach((x, i) => stack.push([x, `${path}[${i}]`]));
      continue;
    }
    assert.ok(isPlainObject(v), `${path} is not JSON: ${typeof v} ${Object.prototype.toString.call(v)}`);
    for (const k of Object.keys(v)) stack.push([v[k], `${path}.${k}`]);
  }
}

const isHttpUrl = (s: string) => {
  try {
    return ['http:', 'https:'].includes(new URL(s).protocol);
  } catch {
    return false;
  }
};

export function assertOutcome(outcome: ParseOutcome<ParsedBatch>, source: string): void {
  assert.ok(outcome && typeof outcome === 'object', 'an outcome object');
  if (!outcome.ok) {
    assert.ok(Array.isArray(outcome.problems) && outcome.problems.length > 0, 'a refusal names at least one problem');
    assert.ok(outcome.problems.length <= MAX_PROBLEMS, `at most ${MAX_PROBLEMS} problems, got ${outcome.problems.length}`);
    for (const p of outcome.problems) {
      assert.equal(typeof p.field, 'string');
      assert.equal(typeof p.message, 'string');
      assert.ok(p.message.length > 0 && p.message.length < 5000, `a short problem message (${p.message.length} characters)`);
    }
    return;
  }
  const { events, warnings, destination } = outcome.value;
  assert.ok(Array.isArray(events));
  if (warnings !== undefined) {
    assert.ok(Array.isArray(warnings) && warnings.every((w) => typeof w === 'string'), 'warnings are strings');
    for (const w of warnings) assert.ok(w.length < 5000, `a short warning (${w.length} characters): ${w.slice(0, 200)}`);
  }
  if (destination !== undefined) assert.equal(typeof destination, 'string');
  events.forEach((e, i) => {
    const at = `events[${i}]`;
    assert.equal(e.source, source, `${at}.source`);
    assert.ok(typeof e.dedupKey === 'string' && e.dedupKey.length > 0, `${at}.dedupKey is a non-empty string: ${JSON.stringify(e.dedupKey)}`);
    assert.ok(e.status === 'firing' || e.status === 'resolved', `${at}.status is ${String(e.status)}`);
    assert.ok(typeof e.title === 'string' && e.title.trim() !== '', `${at}.title is non-blank text: ${JSON.stringify(e.title)}`);
    if (e.description !== undefined) assert.equal(typeof e.description, 'string', `${at}.description`);
    if (e.severity !== undefined) assert.ok((SEVERITIES as readonly unknown[]).includes(e.severity), `${at}.severity is one of ${SEVERITIES.join(', ')}, got ${typeof e.severity} ${String(e.severity).slice(0, 40)}`);
    if (e.sourceUrl !== undefined) assert.ok(typeof e.sourceUrl === 'string' && isHttpUrl(e.sourceUrl), `${at}.sourceUrl is an http(s) URL: ${String(e.sourceUrl).slice(0, 80)}`);
    assert.ok(isPlainObject(e.metadata), `${at}.metadata is a plain object`);
    assertJson(e.metadata, `${at}.metadata`);
    if (e.labels !== undefined) {
      assert.ok(isPlainObject(e.labels), `${at}.labels is a plain object`);
      for (const [k, v] of Object.entries(e.labels)) assert.ok(typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string')), `${at}.labels.${k}`);
    }
    for (const list of ['aliases', 'volatile'] as const) {
      const v = e[list];
      if (v !== undefined) assert.ok(Array.isArray(v) && v.every((x) => typeof x === 'string'), `${at}.${list} are strings`);
    }
  });
}

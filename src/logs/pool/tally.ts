/**
 * A body read for a rule set, as a tally per alert (protocol.ts): what a logs worker does with each request, so the
 * main thread only applies the counts. Pure: no I/O, never throws on hostile input (readLogBody does not).
 */
import type { LogEvent } from '../event.ts';
import { compileRuleSet, type RuleSetMatcher } from '../lql/index.ts';
import { dedupKeyOf, groupOf } from '../rules/alert.ts';
import { sampleOf } from '../rules/sample.ts';
import { render } from '../rules/template.ts';
import { readLogBody } from '../../sources/logs/body.ts';
import { readLogBytes } from '../../sources/logs/body-bytes.ts';
import { MAX_LINE_SAMPLE, POSITIONS, type BodyTally, type GroupTally, type RuleSetSpec, type RuleTally } from './protocol.ts';

export interface CompiledSpec {
  spec: RuleSetSpec;
  match: RuleSetMatcher;
}

export function compileSpec(spec: RuleSetSpec): CompiledSpec {
  return { spec, match: compileRuleSet(spec.queries) };
}

/** `body` as sent: bytes (UTF-8) are read a line at a time, without one string of the whole body (body-bytes.ts). */
export function tallyBody(rules: CompiledSpec, body: string | Uint8Array): BodyTally {
  const { spec, match } = rules;
  const perRule: (Map<string, GroupTally> | undefined)[] = new Array(spec.rules.length);
  let matched = 0;
  let event: LogEvent;
  let line: string | undefined;
  const onHit = (i: number) => {
    const rule = spec.rules[i]!;
    let groups = perRule[i];
    if (!groups) perRule[i] = groups = new Map();
    const group = groupOf(rule, event);
    const key = group ? dedupKeyOf({ name: '' }, group) : '';
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ...(group ? { group } : {}), n: 0, titles: [], at: [], samples: [] }));
    const k = g.n++;
    if (k < rule.count && k < POSITIONS) {
      g.titles.push(render(rule.title, event));
      g.at.push(matched);
    }
    if (k < rule.count + rule.sample && k < POSITIONS && rule.sample > 0) {
      g.samples.push(line !== undefined && line.length <= MAX_LINE_SAMPLE ? line : JSON.stringify(sampleOf(event)));
    }
  };
  const onEvent = (e: LogEvent, l?: string) => {
    event = e;
    line = l;
    if (match.forEachMatch(e, onHit)) matched++;
  };
  const read = typeof body === 'string' ? readLogBody(body, onEvent) : readLogBytes(Buffer.from(body.buffer, body.byteOffset, body.byteLength), onEvent);
  if (!read.ok) return read;
  const tallies: RuleTally[] = [];
  perRule.forEach((groups, rule) => groups && tallies.push({ rule, groups: [...groups.values()] }));
  return { ok: true, events: read.events, skipped: read.skipped, matched, tallies };
}

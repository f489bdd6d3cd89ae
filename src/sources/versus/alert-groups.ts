import type { EventStatus, JsonObject, Severity } from '../../domain/alert.ts';
import type { FieldProblem } from '../../domain/errors.ts';
import { stableStringify } from '../../domain/identity.ts';
import { notifiedAlertEvent, type NotificationGroup } from '../alertmanager/event.ts';
import { echo } from '../problems.ts';
import { severityFromWord } from '../severity-words.ts';
import { hashKey, isObject, text, type Candidate } from './candidate.ts';

/** Grafana's unified alerting webhook is Alertmanager's format plus Grafana fields (`orgId`, `panelURL`, version "1"). */
export function isGrafana(body: Record<string, unknown>): boolean {
  // Compared as is: String() of an array nested thousands deep overflows the stack.
  if ('orgId' in body || body.version === '1' || body.version === 1) return true;
  return Array.isArray(body.alerts) && body.alerts.some((a) => isObject(a) && ('panelURL' in a || 'dashboardURL' in a || 'silenceURL' in a));
}

const jsonText = (x: unknown): string | undefined => {
  try {
    return JSON.stringify(x);
  } catch {
    return undefined; // nested ~10,000 deep: past what JSON.stringify's recursion can write
  }
};

/** Labels and annotations as text (a value that is not a string is kept as its JSON); `unreadable` gets the names it cannot write. */
const stringMap = (v: unknown, unreadable: string[] = []): Record<string, string> => {
  const out: Record<string, string> = {};
  if (isObject(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (x === null || x === undefined) continue;
      const t = typeof x === 'string' ? x : jsonText(x);
      if (t === undefined) unreadable.push(k);
      else out[k] = t;
    }
  }
  return out;
};

/**
 * The alerts of an Alertmanager or Grafana group notification, read leniently (Versus senders are often hand-rolled):
 * a missing fingerprint becomes a hash of the labels, which is what Alertmanager's fingerprint is too, so the alert
 * keeps one identity across firing and resolved.
 */
export function alertGroupCandidates(body: Record<string, unknown>, source: string, severityMap?: Readonly<Record<string, Severity>>): Candidate[] | FieldProblem {
  const grafana = isGrafana(body);
  const group: NotificationGroup = {
    receiver: text(body.receiver),
    groupKey: text(body.groupKey),
    externalURL: text(body.externalURL),
    groupLabels: isObject(body.groupLabels) ? stringMap(body.groupLabels) : undefined,
  };
  const groupStatus: EventStatus = body.status === 'resolved' ? 'resolved' : 'firing';
  const candidates: Candidate[] = [];
  for (const [i, raw] of (body.alerts as unknown[]).entries()) {
    const a = isObject(raw) ? raw : {};
    const unreadable: string[] = [];
    const labels = stringMap(a.labels, unreadable);
    const annotations = stringMap(a.annotations, unreadable);
    // A 400 the sender can read, rather than an exception (a 500) or a label silently dropped from the identity.
    if (unreadable.length) return { field: `alerts[${i}]`, message: `label or annotation ${echo(unreadable[0])} is nested too deeply to read` };
    const status: EventStatus = a.status === 'resolved' || a.status === 'firing' ? a.status : groupStatus;
    const extra: JsonObject = {};
    if (grafana) {
      for (const [from, to] of [['panelURL', 'panel_url'], ['dashboardURL', 'dashboard_url'], ['silenceURL', 'silence_url']] as const) {
        const url = text(a[from]);
        if (url) extra[to] = url;
      }
      if (body.orgId !== undefined) extra.org_id = body.orgId as JsonObject[string];
    }
    const event = notifiedAlertEvent(
      source,
      {
        status,
        labels,
        annotations,
        fingerprint: text(a.fingerprint) ?? hashKey('labels', stableStringify(labels)),
        startsAt: text(a.startsAt),
        generatorURL: text(a.generatorURL) ?? (grafana ? (text(a.panelURL) ?? text(a.dashboardURL)) : undefined),
      },
      group,
      'severity',
      extra,
    );
    // The source's own severity words (severity_map) come first, as for every source type.
    const word = labels.severity;
    const severity = severityFromWord(word, severityMap);
    if (word !== undefined && severity !== undefined) {
      event.severity = severity;
      delete event.metadata.raw_severity;
    }
    const { source: _s, ...rest } = event;
    candidates.push({ field: `alerts[${i}]`, context: raw, event: rest });
  }
  return candidates;
}

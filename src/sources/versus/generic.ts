import type { JsonObject, Severity } from '../../domain/alert.ts';
import { severityFromWord } from '../severity-words.ts';
import { statusFromWord } from '../webhook/status.ts';
import { httpUrl, isObject, type Candidate } from './candidate.ts';
import { DESCRIPTION_KEYS, derivedTitle, field, KEY_KEYS, keyIndex, SEVERITY_KEYS, STATUS_KEYS, TITLE_KEYS, URL_KEYS } from './derive.ts';
import { stableIdentity, volatileKeys } from './stable-identity.ts';

/** The title fields of the first versions of this parser: a key they hashed is kept as an alias (see `legacyTitle`). */
const OLD_TITLE_KEYS = ['title', 'name', 'summary', 'message', 'subject', 'alertname', 'rulename'];

/**
 * Anything else. The identity is the payload's own id (`dedup_key`, `fingerprint`, `id`, ...); else, when it names
 * a title (`title`, `name`, `summary`, ...), a hash of that title; else a hash of its stable fields
 * (stable-identity.ts), and the title is derived (derive.ts). `status`/`state` words resolve (resolved, ok, normal,
 * recovered...); anything else fires. Nothing is refused for its shape.
 */
export function genericCandidate(item: unknown, path: string, severityMap?: Readonly<Record<string, Severity>>): Candidate {
  // A bare string in an array is a message; any other bare value is kept, and summarised, as `value`.
  const o: Record<string, unknown> = isObject(item) ? item : typeof item === 'string' ? { message: item } : { value: item };
  const keys = keyIndex(o);
  const title = field(o, TITLE_KEYS, undefined, keys);
  const key = field(o, KEY_KEYS, undefined, keys);
  const state = field(o, STATUS_KEYS, undefined, keys);
  const level = field(o, SEVERITY_KEYS, undefined, keys);
  const description = field(o, DESCRIPTION_KEYS, title?.[0], keys);
  const url = httpUrl(field(o, URL_KEYS, undefined, keys)?.[1]);
  const severity = severityFromWord(level?.[1], severityMap);
  const metadata: JsonObject = { ...(o as JsonObject) };
  if (level && !severity) metadata.raw_severity = level[1];
  const volatile = volatileKeys(o);
  const derived = title ? undefined : derivedTitle(o, keys);
  const legacy = key ? undefined : field(o, OLD_TITLE_KEYS, undefined, keys)?.[1];
  return {
    field: path,
    context: item,
    event: {
      ...(key ? { dedupKey: key[1] } : title ? {} : { dedupKey: stableIdentity(o) }),
      status: (state && statusFromWord(state[1])) || 'firing',
      ...(title ? { title: title[1] } : derived ? { title: derived } : {}),
      ...(description ? { description: description[1] } : {}),
      ...(severity ? { severity } : {}),
      ...(url ? { sourceUrl: url } : {}),
      ...(volatile.length ? { volatile } : {}),
      metadata,
    },
    ...(!key && title ? { keyFromTitle: true } : {}),
    ...(!key && !title ? { autoKey: true } : {}),
    ...(legacy ? { legacyTitle: legacy } : {}),
  };
}

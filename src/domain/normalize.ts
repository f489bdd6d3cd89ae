import type { AlertEvent } from './alert.ts';
import { wellFormed, wellFormedJson } from './text.ts';

/** Every text of an event as well-formed Unicode (text.ts says why), applied once, the same way on every path. */
export function wellFormedEvent(e: AlertEvent): AlertEvent {
  const out: AlertEvent = { ...e, source: wellFormed(e.source), dedupKey: wellFormed(e.dedupKey), title: wellFormed(e.title), metadata: wellFormedJson(e.metadata) };
  if (e.description !== undefined) out.description = wellFormed(e.description);
  if (e.sourceUrl !== undefined) out.sourceUrl = wellFormed(e.sourceUrl);
  if (e.labels !== undefined) out.labels = wellFormedJson(e.labels);
  if (e.aliases !== undefined) out.aliases = e.aliases.map(wellFormed);
  return out;
}

import { fieldValue, type LogEvent } from '../event.ts';

/** A title with `{{m.path}}` holes, parsed once per config load. */
export type Template = readonly (string | { path: readonly string[] })[];

const HOLE = /\{\{\s*([^{}]*?)\s*\}\}/g;
/** A value put into a title is cut to this: one odd field must not make the whole title. */
const MAX_VALUE = 200;
const MAX_TITLE = 1000;

export function parseTemplate(text: string): { ok: true; template: Template } | { ok: false; message: string } {
  const parts: (string | { path: string[] })[] = [];
  let last = 0;
  for (const m of text.matchAll(HOLE)) {
    const name = m[1]!;
    if (!/^m\.[^.\s]+(\.[^.\s]+)*$/.test(name)) return { ok: false, message: `{{${name}}} is not a field: write {{m.path.to.field}}` };
    parts.push(text.slice(last, m.index), { path: name.slice(2).split('.') });
    last = m.index! + m[0].length;
  }
  parts.push(text.slice(last));
  return { ok: true, template: parts.filter((p) => p !== '') };
}

const scalarText = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;

/**
 * A field's value as text: a scalar as it is, a list by its scalars (`a, b`), an object as `[object]`, nothing as ''.
 * Never a walk of the value: a group_by field holding a huge or deeply nested object costs nothing per match.
 */
export function valueText(v: unknown): string {
  if (v === undefined || v === null) return '';
  let s = scalarText(v);
  if (s === undefined) {
    s = Array.isArray(v)
      ? v
          .slice(0, 20)
          .map(scalarText)
          .filter((x) => x !== undefined)
          .join(', ')
      : '[object]';
  }
  return s.length > MAX_VALUE ? `${s.slice(0, MAX_VALUE - 1)}…` : s;
}

/** The title for the event that opened an alert (the group's fields are the same in every event of its group). */
export function render(template: Template, event: LogEvent): string {
  let out = '';
  for (const p of template) out += typeof p === 'string' ? p : valueText(fieldValue(event, p.path));
  out = out.trim() || '(untitled log rule)';
  return out.length > MAX_TITLE ? `${out.slice(0, MAX_TITLE - 1)}…` : out;
}

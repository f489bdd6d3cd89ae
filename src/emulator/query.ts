/**
 * incident.io list filters use the OpenAPI deepObject form: `status[one_of]=a&status[one_of]=b`,
 * `deduplication_key[is]=x`. The raw query string is parsed here, keeping the bracketed keys.
 */
import { fieldError, rejection, validationError, type Rejection } from './errors.ts';

export type Filters = Record<string, Record<string, string[]>>;

export class DeepQuery {
  private plain = new Map<string, string[]>();
  private deep = new Map<string, Map<string, string[]>>();

  constructor(url: string) {
    const at = url.indexOf('?');
    const params = new URLSearchParams(at === -1 ? '' : url.slice(at + 1));
    for (const [key, value] of params) {
      const match = /^([^[\]]+)((?:\[[^[\]]*\])+)$/.exec(key);
      if (!match) {
        push(this.plain, key, value);
        continue;
      }
      const name = match[1] as string;
      // Nested paths (custom_field[ID][one_of]) are kept joined; the emulator only filters on one level.
      const path = (match[2] as string).slice(1, -1).split('][').join('.');
      let ops = this.deep.get(name);
      if (!ops) this.deep.set(name, (ops = new Map()));
      push(ops, path, value);
    }
  }

  first(name: string): string | undefined {
    return this.plain.get(name)?.[0];
  }

  has(name: string): boolean {
    return this.plain.has(name) || this.deep.has(name);
  }

  /**
   * The filters in `supported` (name → allowed operators). A filter incident.io has but the
   * emulator does not implement (`notEmulated`) is a 501, so a test never passes by silently
   * ignoring it; an unknown operator, or a filter sent without one, is a 422.
   */
  filters(supported: Record<string, readonly string[]>, notEmulated: readonly string[]): { ok: true; filters: Filters } | { ok: false; rejection: Rejection } {
    for (const name of notEmulated) {
      if (this.has(name)) {
        return {
          ok: false,
          rejection: rejection(501, 'not_implemented', [
            fieldError('not_implemented', `The '${name}' filter exists on incident.io but is not implemented by the emulator`, name),
          ]),
        };
      }
    }
    const filters: Filters = {};
    for (const [name, allowed] of Object.entries(supported)) {
      if (this.plain.has(name)) {
        return { ok: false, rejection: validationError([fieldError('invalid_value', `${name} is a filter: use ${name}[${allowed[0]}]=…`, name)]) };
      }
      const ops = this.deep.get(name);
      if (!ops) continue;
      for (const [op, values] of ops) {
        if (!allowed.includes(op)) {
          return {
            ok: false,
            rejection: validationError([
              fieldError('invalid_value', `Unsupported operator '${op}' for ${name}: use one of ${allowed.join(', ')}`, `${name}[${op}]`),
            ]),
          };
        }
        (filters[name] ??= {})[op] = values;
      }
    }
    return { ok: true, filters };
  }
}

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** `page_size` as an integer in [min, max]; `fallback` when absent (undefined fallback = required). */
export function pageSize(query: DeepQuery, min: number, max: number, fallback?: number): { ok: true; value: number } | { ok: false; rejection: Rejection } {
  const raw = query.first('page_size');
  if (raw === undefined || raw === '') {
    if (fallback !== undefined) return { ok: true, value: fallback };
    return { ok: false, rejection: validationError([fieldError('is_required', 'page_size is required', 'page_size')]) };
  }
  const value = Number(raw);
  if (!Number.isInteger(value)) {
    return { ok: false, rejection: validationError([fieldError('invalid_type', 'page_size must be an integer', 'page_size')]) };
  }
  if (value < min || value > max) {
    return {
      ok: false,
      rejection: validationError([fieldError('invalid_value', `page_size must be between ${min} and ${max}`, 'page_size')]),
    };
  }
  return { ok: true, value };
}

/**
 * One page of `items` (already in response order) after the item whose id is `after`.
 * `after` in the result is present only when more items follow.
 */
export function paginate<T extends { id: string }>(items: readonly T[], size: number, after: string | undefined): { ok: true; page: T[]; after?: string } | { ok: false; rejection: Rejection } {
  let start = 0;
  if (after !== undefined && after !== '') {
    const index = items.findIndex((item) => item.id === after);
    if (index === -1) {
      return { ok: false, rejection: validationError([fieldError('invalid_value', "'after' is not the ID of a record in this list", 'after')]) };
    }
    start = index + 1;
  }
  const page = items.slice(start, start + size);
  const more = start + size < items.length;
  return more ? { ok: true, page, after: page[page.length - 1]?.id } : { ok: true, page };
}

/**
 * Validation against the vendored incident.io schemas (src/destinations/incident-io/openapi), with
 * ajv errors mapped to incident.io's 422 error items. The schemas are OpenAPI 3.0 and never mark a
 * field nullable, so a `null` for an optional field is a type error here, as it is for incident.io.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { fieldError, type ErrorItem } from './errors.ts';

interface VendoredDocument {
  source: Record<string, unknown>;
  operations: Record<string, Record<string, unknown>>;
  schemas: Record<string, SchemaNode>;
}

interface SchemaNode {
  $ref?: string;
  type?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  [key: string]: unknown;
}

export const vendored: VendoredDocument = JSON.parse(
  readFileSync(new URL('../destinations/incident-io/openapi/schemas.json', import.meta.url), 'utf8'),
) as VendoredDocument;

const DOCUMENT_ID = 'incident.io';
const REF_PREFIX = '#/components/schemas/';

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats.default(ajv);
ajv.addSchema({ components: { schemas: vendored.schemas } }, DOCUMENT_ID);

const compiled = new Map<string, ValidateFunction>();

function validator(name: string): ValidateFunction {
  let fn = compiled.get(name);
  if (!fn) {
    if (!(name in vendored.schemas)) throw new Error(`schema ${name} is not vendored`);
    fn = ajv.getSchema(`${DOCUMENT_ID}${REF_PREFIX}${name}`);
    if (!fn) throw new Error(`schema ${name} did not compile`);
    compiled.set(name, fn);
  }
  return fn;
}

/** `/incident/custom_field_entries/0` → `incident.custom_field_entries.0` */
function dotted(instancePath: string, child?: string): string {
  const parts = instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (child !== undefined) parts.push(child);
  return parts.join('.');
}

function toErrorItem(error: ErrorObject, data: unknown): ErrorItem {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required') {
    const field = dotted(error.instancePath, String(params['missingProperty']));
    return fieldError('is_required', `${field} is required`, field);
  }
  const field = dotted(error.instancePath);
  const label = field || 'The request body';
  if (error.keyword === 'type') {
    const value = valueAt(data, error.instancePath);
    const got = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
    const hint = value === null ? ' (no field accepts null: leave an optional field out instead)' : '';
    return fieldError('invalid_type', `${label} must be of type ${String(params['type'])}, got ${got}${hint}`, field || undefined);
  }
  if (error.keyword === 'enum') {
    const allowed = (params['allowedValues'] as unknown[]).map(String).join(', ');
    return fieldError('invalid_value', `${label} must be one of: ${allowed}`, field || undefined);
  }
  return fieldError('invalid_value', `${label} ${error.message ?? 'is invalid'}`, field || undefined);
}

function valueAt(data: unknown, instancePath: string): unknown {
  let current = data;
  for (const part of instancePath.split('/').slice(1)) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return current;
}

/** incident.io-style error items for `value` against schema `name`; empty when valid. One per field. */
export function validate(name: string, value: unknown): ErrorItem[] {
  const fn = validator(name);
  if (fn(value)) return [];
  const seen = new Set<string>();
  const items: ErrorItem[] = [];
  for (const error of fn.errors ?? []) {
    const item = toErrorItem(error, value);
    const key = item.source?.field ?? '';
    if (seen.has(key)) continue;
    seen.add(key);
    items.push(item);
  }
  return items;
}

/** Plain messages, for checking the emulator's own responses in tests. */
export function schemaProblems(name: string, value: unknown): string[] {
  const fn = validator(name);
  return fn(value) ? [] : (fn.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

function resolve(node: SchemaNode): SchemaNode {
  let current = node;
  while (current.$ref) {
    const target = vendored.schemas[current.$ref.slice(REF_PREFIX.length)];
    if (!target) throw new Error(`unresolved ${current.$ref}`);
    current = target;
  }
  return current;
}

/**
 * Fields the schema does not declare. None of these schemas restrict additionalProperties, so
 * incident.io accepts and ignores such fields; the emulator does too, and lists them in the request
 * log so a client's tests can see what it sent for nothing (say `visibility` on an edit).
 */
export function unknownFields(name: string, value: unknown): string[] {
  const root = vendored.schemas[name];
  if (!root) throw new Error(`schema ${name} is not vendored`);
  const found: string[] = [];
  const walk = (node: SchemaNode, data: unknown, path: string): void => {
    const schema = resolve(node);
    if (Array.isArray(data)) {
      if (schema.items) data.forEach((item, i) => walk(schema.items as SchemaNode, item, `${path}.${i}`));
      return;
    }
    if (data === null || typeof data !== 'object' || !schema.properties) return;
    for (const [key, inner] of Object.entries(data)) {
      const prop = schema.properties[key];
      const at = path ? `${path}.${key}` : key;
      if (prop) walk(prop, inner, at);
      else if (schema.additionalProperties === undefined || schema.additionalProperties === false) found.push(at);
    }
  };
  walk(root, value, '');
  return found;
}

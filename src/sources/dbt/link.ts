/** Placeholders `link_template` may use; values are URL-encoded when filled in. */
export const LINK_PLACEHOLDERS = ['unique_id', 'name', 'resource_type', 'project'] as const;
export type LinkValues = Partial<Record<(typeof LINK_PLACEHOLDERS)[number], string>>;

const PLACEHOLDER = /\{([^{}]*)\}/g;

/** Why a template cannot work, or undefined when it can (checked once, at config load). */
export function linkTemplateProblem(template: string): string | undefined {
  const unknown = [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!).filter((p) => !(LINK_PLACEHOLDERS as readonly string[]).includes(p));
  if (unknown.length) return `unknown placeholder(s) ${unknown.map((p) => `{${p}}`).join(', ')}; use ${LINK_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`;
  const sample = fillLink(template, { unique_id: 'model.p.m', name: 'm', resource_type: 'model', project: 'p' });
  if (!sample) return 'must be an absolute http(s) URL, e.g. https://docs.example.com/#!/{resource_type}/{unique_id}';
  return undefined;
}

/** The filled-in URL, or undefined when the template uses a value this alert does not have. */
export function fillLink(template: string, values: LinkValues): string | undefined {
  let missing = false;
  const url = template.replace(PLACEHOLDER, (_, p: keyof LinkValues) => {
    const v = values[p];
    if (v === undefined) missing = true;
    // Well-formed first: encodeURIComponent throws on a lone surrogate (a unique_id can hold anything).
    return encodeURIComponent((v ?? '').toWellFormed());
  });
  if (missing) return undefined;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `tocsin emulator --config emulator.yaml`: the emulator's own small YAML file. Same conventions as
 * tocsin's config: `${ENV}` expansion, `token_file` / `api_key_file` for secrets, every problem
 * reported with its key path.
 *
 *   port: 8090
 *   alert_events_per_minute: 120
 *   alert_sources:
 *     - { id: 01HXYZ..., token: ${SOURCE_TOKEN}, name: Prometheus }
 *   api_keys:
 *     - { api_key_file: ./secrets/incident-io-key, name: tocsin, scopes: [incidents.create, incidents.view] }
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { expandEnv, resolveSecretFiles, type ConfigProblem } from '../config/expand.ts';
import type { EmulatorOptions } from './index.ts';

const fileSchema = z
  .object({
    host: z.string().min(1).optional(),
    port: z.number().int().min(0).max(65535).optional(),
    alert_events_per_minute: z.number().positive().optional(),
    api_requests_per_minute: z.number().positive().optional(),
    log: z.boolean().optional(),
    alert_sources: z
      .array(z.object({ id: z.string().min(1), token: z.string().min(1), name: z.string().min(1).optional() }).strict())
      .optional(),
    api_keys: z
      .array(
        z
          .object({ api_key: z.string().min(1), name: z.string().min(1).optional(), scopes: z.array(z.string().min(1)).optional() })
          .strict(),
      )
      .optional(),
  })
  .strict();

export class EmulatorConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: ConfigProblem[],
  ) {
    super(`invalid emulator config ${file}:\n${problems.map((p) => `  ${p.path || '(top level)'}: ${p.message}`).join('\n')}`);
  }
}

export function loadEmulatorConfig(file: string, env: NodeJS.ProcessEnv = process.env): EmulatorOptions {
  const path = resolve(file);
  let doc: unknown;
  try {
    doc = parse(readFileSync(path, 'utf8')) ?? {};
  } catch (e) {
    throw new EmulatorConfigError(path, [{ path: '', message: (e as Error).message.split('\n')[0] ?? 'cannot read' }]);
  }
  const problems: ConfigProblem[] = [];
  const expanded = resolveSecretFiles(expandEnv(doc, env, '', problems), dirname(path), '', problems);
  const parsed = fileSchema.safeParse(expanded);
  if (!parsed.success) {
    problems.push(...parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })));
  }
  if (problems.length > 0 || !parsed.success) throw new EmulatorConfigError(path, problems);
  const c = parsed.data;
  return {
    host: c.host,
    port: c.port,
    alertEventsPerMinute: c.alert_events_per_minute,
    apiRequestsPerMinute: c.api_requests_per_minute,
    logger: c.log,
    alertSources: c.alert_sources,
    apiKeys: c.api_keys?.map(({ api_key, name, scopes }) => ({ key: api_key, name, scopes })),
  };
}

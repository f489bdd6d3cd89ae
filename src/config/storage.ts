import { z } from 'zod';

/** How tocsin reaches PostgreSQL. The URL (and password) are secrets: never logged, never shown by the API. */
export interface PostgresSettings {
  url: string;
  /** From `password` / `password_file`, when the URL carries none. */
  password?: string | undefined;
  /** Connections per instance. */
  poolSize: number;
  /** TLS to the server: a CA to trust (managed databases' own), and whether to check the certificate. */
  tls?: { ca?: string | undefined; rejectUnauthorized: boolean } | undefined;
}

export type StorageSettings = { sqlite: string } | { postgres: PostgresSettings };

const url = z
  .string()
  .url('must be a postgres:// URL, e.g. postgres://tocsin@db.internal:5432/tocsin')
  .refine((u) => /^postgres(ql)?:\/\//i.test(u), 'must be a postgres:// URL, e.g. postgres://tocsin@db.internal:5432/tocsin');

const postgresObject = z
  .object({
    url,
    password: z.string().min(1).optional(),
    pool_size: z.number().int().min(2, 'must be at least 2: deliveries and ingest use connections of their own').max(200).default(10),
    tls: z
      .object({
        /** PEM text; `ca_file` (read at load, like every `*_file`) is the usual way to give it. */
        ca: z.string().min(1).optional(),
        reject_unauthorized: z.boolean().default(true),
      })
      .strict()
      .optional(),
  })
  .strict();

/**
 * `storage: { sqlite: path }` (the default), `storage: { postgres: URL }`, or `storage: { postgres: { url, … } }`
 * for the pool size, a password kept out of the URL (`password_file`) and TLS settings. An object with one optional
 * key each rather than a union, so a mistake is reported at its own key path.
 */
export const storageSchema = z
  .object({
    sqlite: z.string().min(1, 'must be a file path, e.g. ./data/tocsin.db').optional(),
    postgres: z.preprocess((v) => (typeof v === 'string' ? { url: v } : v), postgresObject).optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    const given = [s.sqlite, s.postgres].filter((v) => v !== undefined).length;
    if (given !== 1) ctx.addIssue({ code: 'custom', message: 'give exactly one of sqlite (a file path) or postgres (a URL)' });
  })
  .transform((s): StorageSettings => {
    if (s.sqlite !== undefined) return { sqlite: s.sqlite };
    const p = s.postgres!;
    return {
      postgres: {
        url: p.url,
        password: p.password,
        poolSize: p.pool_size,
        tls: p.tls ? { ca: p.tls.ca, rejectUnauthorized: p.tls.reject_unauthorized } : undefined,
      },
    };
  });

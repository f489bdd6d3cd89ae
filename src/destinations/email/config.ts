import { z } from 'zod';

/** `name <addr@host>` or `addr@host`: enough to catch a typo; the SMTP server has the last word. */
const ADDRESS = /^(?:[^<>]*<\s*[^\s@<>]+@[^\s@<>]+\s*>|[^\s@<>]+@[^\s@<>]+)$/;
const address = z.string().trim().regex(ADDRESS, 'must be an email address (alerts@example.com, or "tocsin <alerts@example.com>")');

/**
 * `destinations.<name>` for `type: email`: SMTP with STARTTLS (default, port 587), implicit TLS (`tls: implicit`, port
 * 465) or, on a trusted local relay only, none. `password` is secret (also `password_file`); `ca` (also `ca_file`)
 * trusts a private certificate authority.
 */
export const emailConfig = z
  .object({
    type: z.literal('email'),
    host: z.string({ required_error: 'the SMTP server, e.g. smtp.example.com' }).trim().min(1),
    port: z.number().int().min(1).max(65535).optional(),
    tls: z.enum(['starttls', 'implicit', 'none']).default('starttls'),
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    ca: z.string().min(1).optional(),
    from: address,
    to: z.union([address, z.array(address).min(1)]).transform((v) => (Array.isArray(v) ? v : [v])),
    subject_prefix: z.string().default('[tocsin] '),
    rate_limit_per_minute: z.number().int().positive().default(60),
    rate_limit_burst: z.number().int().positive().default(10),
    timeout_ms: z.number().int().positive().default(15_000),
  })
  .strict()
  .superRefine((c, ctx) => {
    if ((c.username === undefined) !== (c.password === undefined)) {
      ctx.addIssue({ code: 'custom', path: [c.username === undefined ? 'username' : 'password'], message: 'give username and password together (or neither, for a relay that needs no login)' });
    }
  })
  .transform((c) => ({ ...c, port: c.port ?? (c.tls === 'implicit' ? 465 : 587) }));

export type EmailConfig = z.infer<typeof emailConfig>;

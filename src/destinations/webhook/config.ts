import jsonata from 'jsonata';
import { z } from 'zod';
import { outcomeSubscriptionKeys, subscriptionProblem } from './outcome.ts';
import { parseSecret } from './signature.ts';

/** A URL tocsin may post to: http(s) only (a `file:` or `ftp:` URL is a mistake, never a receiver). */
export const httpUrl = (what: string) =>
  z
    .string({ required_error: what })
    .url('must be an http:// or https:// URL')
    .refine((u) => /^https?:$/.test(new URL(u).protocol), 'must be an http:// or https:// URL');

/**
 * `destinations.<name>` for `type: webhook`. `url` and `secret` are secrets (also `url_file`, `secret_file`): the URL
 * of a receiver often carries its own credential, and whoever has the secret can forge tocsin's messages.
 */
export const webhookConfig = z
  .object({
    type: z.literal('webhook'),
    url: httpUrl('the URL to POST each alert state to'),
    secret: z
      .string({ required_error: 'the Standard Webhooks signing secret, whsec_ followed by base64 (generate one with: echo "whsec_$(openssl rand -base64 32)")' })
      .refine((s) => parseSecret(s) !== undefined, 'must be whsec_ followed by base64 of 24 to 64 random bytes (generate one with: echo "whsec_$(openssl rand -base64 32)")'),
    /** A JSONata expression over tocsin's alert document (docs/destinations.md); its result is the body sent. */
    template: z
      .string()
      .min(1)
      .superRefine((t, ctx) => {
        try {
          jsonata(t);
        } catch (e) {
          const err = e as { message?: string; position?: number };
          ctx.addIssue({ code: 'custom', message: `not a valid JSONata expression: ${err.message ?? String(e)}${err.position !== undefined ? ` (at character ${err.position})` : ''}` });
        }
      })
      .optional(),
    rate_limit_per_minute: z.number().int().positive().default(600),
    rate_limit_burst: z.number().int().positive().default(10),
    timeout_ms: z.number().int().positive().default(10_000),
    // Delivery outcome events of other destinations (outcome.ts): `on:` and its `destinations:` filter.
    ...outcomeSubscriptionKeys,
  })
  .strict()
  .superRefine((c, ctx) => {
    const problem = subscriptionProblem(c);
    if (problem) ctx.addIssue({ code: 'custom', path: ['destinations'], message: problem });
  });

export type WebhookConfig = z.infer<typeof webhookConfig>;

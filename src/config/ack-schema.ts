import { z } from 'zod';
import type { AckLinkSettings } from '../ack/token.ts';

const DAY = 86_400_000;
const UNIT = { s: 1000, m: 60_000, h: 3_600_000, d: DAY } as const;

/**
 * `ack:` — signed acknowledgement links in notifications (docs/acknowledge.md). `secret` (or `secret_file`, or
 * `${TOCSIN_ACK_SECRET}`) signs them; it is a secret like a token: never logged or shown, and only its length is ever
 * checked here. `public_url` is where the people who get a notification reach tocsin (links are `<public_url>/ack/…`).
 */
export const ackSchema = z
  .object({
    secret: z
      .string({ required_error: 'ack links need a secret (or secret_file) to sign them: generate one with `openssl rand -hex 32`' })
      .min(32, 'must be at least 32 characters: generate one with `openssl rand -hex 32`'),
    public_url: z
      .string({ required_error: 'the URL people reach tocsin at, e.g. https://tocsin.example.com (ack links point there)' })
      .regex(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/i, 'must be an http(s) URL without query or fragment, e.g. https://tocsin.example.com')
      .transform((u) => u.replace(/\/+$/, '')),
    /** How long a link works after the notification's state: long enough for a weekend, short enough to go stale. */
    link_ttl: z
      .string()
      .regex(/^\d+(s|m|h|d)$/, 'must be a duration like 30m, 12h, 7d')
      .transform((v) => Number(v.slice(0, -1)) * UNIT[v.slice(-1) as keyof typeof UNIT])
      .refine((ms) => ms >= 60_000 && ms <= 90 * DAY, 'must be between 1m and 90d')
      .default('7d'),
  })
  .strict()
  .transform((a): AckLinkSettings => ({ secret: a.secret, publicUrl: a.public_url, linkTtlMs: a.link_ttl }));

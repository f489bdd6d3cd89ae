import type { ConfigProblem } from '../config/expand.ts';
import type { AckLinkSettings } from './token.ts';

/**
 * The destination types whose messages people read and act on: without `ack:` their notifications carry no ack link,
 * so nobody can stop an escalation from the message itself. Config-time only (no destination is built yet).
 */
const READ_BY_PEOPLE = new Set(['slack', 'telegram', 'msteams', 'email']);

/** check-config's warning when chat destinations exist but ack links are not configured. Pure. */
export function ackWarnings(ack: AckLinkSettings | undefined, destinations: ReadonlyMap<string, { type: string }>): ConfigProblem[] {
  if (ack) return [];
  const chat = [...destinations].filter(([, d]) => READ_BY_PEOPLE.has(d.type)).map(([name]) => name);
  if (!chat.length) return [];
  return [
    {
      path: 'ack',
      message: `not configured: notifications to ${chat.join(', ')} carry no acknowledge link (set ack.secret and ack.public_url: docs/acknowledge.md)`,
    },
  ];
}

/** `email`: each alert state as an email over SMTP, every state of an episode in one thread (mail.ts). */
import nodemailer from 'nodemailer';
import type { JsonObject } from '../../domain/alert.ts';
import type { DestinationType } from '../registry.ts';
import type { Destination, DeliveryPayload, SendOutcome } from '../types.ts';
import { classifySmtpError } from './classify.ts';
import { emailConfig, type EmailConfig } from './config.ts';
import { buildMail, domainOf, episodeMessageId, rootSubject, type Thread } from './mail.ts';

function readThread(previous: JsonObject | undefined): Thread | undefined {
  const root = previous?.['message_id'];
  const subject = previous?.['subject'];
  return typeof root === 'string' && typeof subject === 'string' ? { root, subject } : undefined;
}

export function createEmailDestination(name: string, c: EmailConfig): Destination {
  const domain = domainOf(c.from);
  const transport = nodemailer.createTransport({
    host: c.host,
    port: c.port,
    secure: c.tls === 'implicit',
    requireTLS: c.tls === 'starttls',
    ignoreTLS: c.tls === 'none',
    ...(c.username !== undefined ? { auth: { user: c.username, pass: c.password! } } : {}),
    tls: { ...(c.ca ? { ca: c.ca } : {}), minVersion: 'TLSv1.2' },
    connectionTimeout: c.timeout_ms,
    greetingTimeout: c.timeout_ms,
    socketTimeout: c.timeout_ms,
    // Never log: nodemailer's debug output would include the AUTH exchange.
    logger: false,
    debug: false,
  });

  return {
    name,
    type: 'email',
    // An acknowledgement is a reply in the episode's thread.
    updatesOnAcknowledge: true,
    rateLimit: { perMinute: c.rate_limit_per_minute, burst: Math.min(c.rate_limit_burst, c.rate_limit_per_minute) },
    // Connect, greet, TLS, login, and the message itself, each bounded by the timeout.
    sendTimeoutMs: 3 * c.timeout_ms,
    async send(p: DeliveryPayload, previous, context): Promise<SendOutcome> {
      // A resolve with no first email on record still threads under the episode's Message-ID (the first email may have
      // gone out with its answer lost), and never reuses that id: a client would take it for a duplicate and drop it.
      const thread = readThread(previous) ?? (p.status === 'resolved' ? { root: episodeMessageId(p, domain), subject: rootSubject(p, c.subject_prefix) } : undefined);
      const mail = buildMail(p, domain, c.subject_prefix, thread, context?.ackUrl);
      try {
        const info = await transport.sendMail({
          from: c.from,
          to: c.to,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          messageId: mail.messageId,
          ...(mail.inReplyTo ? { inReplyTo: mail.inReplyTo, references: mail.references } : {}),
          headers: mail.headers,
        });
        const rejected = (info.rejected ?? []).length;
        const state: JsonObject = thread ? { message_id: thread.root, subject: thread.subject } : { message_id: mail.messageId, subject: mail.subject };
        const accepted = /^\d{3}/.exec(info.response ?? '')?.[0];
        return {
          kind: 'delivered',
          statusCode: accepted ? Number(accepted) : 250,
          state,
          detail: `${p.status} emailed to ${c.to.length - rejected} of ${c.to.length} recipient(s) (${mail.messageId})`,
        };
      } catch (e) {
        return classifySmtpError(e as Parameters<typeof classifySmtpError>[0]);
      }
    },
    close: async () => transport.close(),
  };
}

export const emailDestination: DestinationType<EmailConfig> = {
  type: 'email',
  config: emailConfig,
  create: async (name, c) => createEmailDestination(name, c),
  target: (c) => `smtp ${c.host}:${c.port} ${c.to.join(',')}`,
};

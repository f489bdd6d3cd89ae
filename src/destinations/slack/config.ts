import { z } from 'zod';
import { httpUrl } from '../webhook/config.ts';

/**
 * `destinations.<name>` for `type: slack`: an incoming webhook (`webhook_url`, itself the credential), or a bot token
 * and a channel — then the message of an episode is updated in place (`chat.update`) on its later states.
 */
export const slackConfig = z
  .object({
    type: z.literal('slack'),
    webhook_url: httpUrl('the incoming webhook URL (Slack app → Incoming Webhooks)').optional(),
    token: z.string().min(10, 'a bot token (xoxb-…) with the chat:write scope').optional(),
    channel: z.string().trim().min(1, 'a channel ID (C0123ABCD) or #name the bot is a member of').optional(),
    /** The Web API's base; tests point it at a local stand-in. */
    base_url: z.string().url().default('https://slack.com/api').transform((u) => u.replace(/\/+$/, '')),
    /** Slack allows about one message per second per channel (chat.postMessage): that is the default pace. */
    rate_limit_per_minute: z.number().int().positive().default(60),
    rate_limit_burst: z.number().int().positive().default(1),
    timeout_ms: z.number().int().positive().default(10_000),
  })
  .strict()
  .superRefine((c, ctx) => {
    const bot = c.token !== undefined || c.channel !== undefined;
    if (c.webhook_url !== undefined && bot) {
      ctx.addIssue({ code: 'custom', path: ['webhook_url'], message: 'give either webhook_url, or token and channel — not both' });
    } else if (c.webhook_url === undefined && !bot) {
      ctx.addIssue({ code: 'custom', path: ['webhook_url'], message: 'give webhook_url (an incoming webhook), or token and channel (a bot that can update its messages)' });
    } else if (bot && c.token === undefined) {
      ctx.addIssue({ code: 'custom', path: ['token'], message: 'a bot token (xoxb-…) with the chat:write scope is needed with channel' });
    } else if (bot && c.channel === undefined) {
      ctx.addIssue({ code: 'custom', path: ['channel'], message: 'the channel to post in: its ID (C0123ABCD) or #name; invite the bot to it' });
    }
  });

export type SlackConfig = z.infer<typeof slackConfig>;

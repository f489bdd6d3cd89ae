import { z } from 'zod';
import { httpUrl } from '../webhook/config.ts';

/**
 * `destinations.<name>` for `type: msteams`: a Teams Workflows (Power Automate) webhook — the URL of a flow started by
 * "When a Teams webhook request is received" that posts the card to a channel or chat. The URL carries the flow's
 * signature (`sig=`): it is the credential, a secret like a Slack incoming webhook's.
 */
export const msteamsConfig = z
  .object({
    type: z.literal('msteams'),
    webhook_url: httpUrl('the Workflows webhook URL (Teams channel → Workflows → "Send webhook alerts to a channel")'),
    /**
     * Teams throttles posts into one channel (Microsoft documents about four requests a second for webhooks) and
     * every request starts a flow run, which Power Automate also counts: 30 a minute keeps well under both.
     */
    rate_limit_per_minute: z.number().int().positive().default(30),
    rate_limit_burst: z.number().int().positive().default(4),
    timeout_ms: z.number().int().positive().default(10_000),
  })
  .strict();

export type MsteamsConfig = z.infer<typeof msteamsConfig>;

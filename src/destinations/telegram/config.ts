import { z } from 'zod';

/**
 * `destinations.<name>` for `type: telegram`: a bot (its token from @BotFather, a secret: whoever has it is the bot)
 * and the chat it posts to. The message of an episode is sent once (`sendMessage`) and edited in place
 * (`editMessageText`) on its later states.
 */
export const telegramConfig = z
  .object({
    type: z.literal('telegram'),
    token: z
      .string({ required_error: 'the bot token from @BotFather (123456789:AA…)' })
      .trim()
      // Checked loosely (Telegram does not promise the shape), but it becomes part of the request path: nothing that
      // could change the path (/, ?, #, %) gets in, and the common paste of the URL's `bot` prefix is caught.
      .regex(/^[A-Za-z0-9:_-]{20,200}$/, 'must be the bot token as @BotFather gives it (123456789:AA…): letters, digits, :, _ and - only')
      .refine((t) => !/^bot\d/.test(t), 'drop the leading "bot": the token is what follows it in https://api.telegram.org/bot<token>/'),
    chat_id: z.union([
      z.number().int(),
      z
        .string()
        .trim()
        .regex(/^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{4,31})$/, 'a chat id (a group: -1001234567890) or a public channel as @name'),
    ]),
    /** The Bot API's base (a self-hosted Bot API server, or a stand-in in tests); the token is appended as /bot<token>. */
    base_url: z
      .string()
      .url()
      .refine((u) => /^https?:$/.test(new URL(u).protocol), 'must be an http:// or https:// URL')
      .default('https://api.telegram.org')
      .transform((u) => u.replace(/\/+$/, '')),
    /**
     * Telegram documents that a bot cannot send more than 20 messages a minute to one group, and asks for no more than
     * one a second to any one chat; edits count too. 20 a minute, one at a time, is within both for every kind of chat.
     */
    rate_limit_per_minute: z.number().int().positive().default(20),
    rate_limit_burst: z.number().int().positive().default(1),
    timeout_ms: z.number().int().positive().default(10_000),
  })
  .strict();

export type TelegramConfig = z.infer<typeof telegramConfig>;

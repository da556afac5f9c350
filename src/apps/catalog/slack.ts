/** Slack (SPEC X8): a bot posts a message with `chat.postMessage`. */
import { ActionFailed, type AppAction, defineApp, inputField, secretField } from "../types.js";

/** Slack answers HTTP 200 with `{"ok": false, "error": "channel_not_found"}` when a call fails. */
function slackResult(response: { body: unknown }): unknown {
  const body = response.body as { ok?: unknown; error?: unknown } | null;
  if (body && typeof body === "object" && body.ok === false) {
    const code = typeof body.error === "string" && /^[a-z_]{1,64}$/.test(body.error) ? body.error : "error";
    throw new ActionFailed("app_error", `Slack answered ok: false (${code})`);
  }
  return response.body;
}

/** `chat.postMessage` with the bot token as a bearer token. */
const postMessage: AppAction["request"] = ({ config, input }) => ({
  method: "POST",
  path: "/api/chat.postMessage",
  auth: { bearer: config.bot_token ?? "" },
  body: { json: { channel: input.channel, text: input.text } },
});

export const slack = defineApp({
  id: "slack",
  name: "Slack",
  fields: [secretField("bot_token", "Bot token"), secretField("signing_secret", "Signing secret", false)],
  defaultBaseUrl: () => "https://slack.com",
  actions: [
    {
      id: "post_message",
      name: "Post a message",
      input: [inputField("channel", "Channel"), inputField("text", "Text")],
      request: postMessage,
      result: slackResult,
    },
  ],
});

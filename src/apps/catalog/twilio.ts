/** Twilio Programmable Messaging (SPEC X8): send an SMS. */
import { defineApp, path } from "../types.js";

export const twilio = defineApp({
  id: "twilio",
  name: "Twilio",
  fields: [
    {
      key: "account_sid",
      label: "Account SID",
      secret: false,
      required: true,
      pattern: { regex: /^AC[0-9a-f]{32}$/i, message: "must be an account SID (AC and 32 hex digits)" },
    },
    { key: "auth_token", label: "Auth token", secret: true, required: true },
    { key: "from", label: "From number", secret: false, required: true },
  ],
  defaultBaseUrl: () => "https://api.twilio.com",
  actions: [
    {
      id: "send_sms",
      name: "Send an SMS",
      input: [
        { key: "to", label: "To number", required: true },
        { key: "body", label: "Message", required: true },
      ],
      request: ({ config, input }) => {
        const sid = config.account_sid ?? "";
        return {
          method: "POST",
          path: path`/2010-04-01/Accounts/${sid}/Messages.json`,
          auth: { basic: { username: sid, password: config.auth_token ?? "" } },
          body: { form: { To: input.to ?? "", From: config.from ?? "", Body: input.body ?? "" } },
        };
      },
    },
  ],
});

/** Twilio Programmable Messaging (SPEC X8): send an SMS. */
import { defineApp, field, inputField, path, secretField } from "../types.js";

export const twilio = defineApp({
  id: "twilio",
  name: "Twilio",
  fields: [
    field("account_sid", "Account SID", {
      pattern: { regex: /^AC[0-9a-f]{32}$/i, message: "must be an account SID (AC and 32 hex digits)" },
    }),
    secretField("auth_token", "Auth token"),
    field("from", "From number"),
  ],
  defaultBaseUrl: () => "https://api.twilio.com",
  actions: [
    {
      id: "send_sms",
      name: "Send an SMS",
      input: [inputField("to", "To number"), inputField("body", "Message")],
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

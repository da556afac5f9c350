/** Zendesk Support (SPEC X8): create a ticket with an API token. */
import { defineApp, field, inputField, secretField } from "../types.js";

export const zendesk = defineApp({
  id: "zendesk",
  name: "Zendesk",
  fields: [
    // It becomes the host of the default base URL.
    field("subdomain", "Subdomain", {
      pattern: {
        regex: /^[a-z0-9][a-z0-9-]{0,62}$/i,
        message: "must be a Zendesk subdomain (letters, digits, -)",
      },
    }),
    // Basic auth's user name ends at the first colon.
    field("email", "Agent email", {
      pattern: { regex: /^[^\s@:]+@[^\s@:]+$/, message: "must be an email address" },
    }),
    secretField("api_token", "API token"),
  ],
  defaultBaseUrl: (config) => `https://${config.subdomain}.zendesk.com`,
  actions: [
    {
      id: "create_ticket",
      name: "Create a ticket",
      input: [inputField("subject", "Subject"), inputField("body", "Description")],
      request: ({ config, input }) => ({
        method: "POST",
        path: "/api/v2/tickets.json",
        auth: { basic: { username: `${config.email}/token`, password: config.api_token ?? "" } },
        body: { json: { ticket: { subject: input.subject, comment: { body: input.body } } } },
      }),
    },
  ],
});

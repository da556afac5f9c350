/** Zendesk Support (SPEC X8): create a ticket with an API token. */
import { defineApp } from "../types.js";

export const zendesk = defineApp({
  id: "zendesk",
  name: "Zendesk",
  fields: [
    {
      key: "subdomain",
      label: "Subdomain",
      secret: false,
      required: true,
      // It becomes the host of the default base URL.
      pattern: {
        regex: /^[a-z0-9][a-z0-9-]{0,62}$/i,
        message: "must be a Zendesk subdomain (letters, digits, -)",
      },
    },
    {
      key: "email",
      label: "Agent email",
      secret: false,
      required: true,
      // Basic auth's user name ends at the first colon.
      pattern: { regex: /^[^\s@:]+@[^\s@:]+$/, message: "must be an email address" },
    },
    { key: "api_token", label: "API token", secret: true, required: true },
  ],
  defaultBaseUrl: (config) => `https://${config.subdomain}.zendesk.com`,
  actions: [
    {
      id: "create_ticket",
      name: "Create a ticket",
      input: [
        { key: "subject", label: "Subject", required: true },
        { key: "body", label: "Description", required: true },
      ],
      request: ({ config, input }) => ({
        method: "POST",
        path: "/api/v2/tickets.json",
        auth: { basic: { username: `${config.email}/token`, password: config.api_token ?? "" } },
        body: { json: { ticket: { subject: input.subject, comment: { body: input.body } } } },
      }),
    },
  ],
});

/** Any HTTP API that takes basic auth (SPEC X8). */
import { defineApp, field, secretField } from "../types.js";
import { baseUrlField, requestAction } from "./http-request.js";

export const httpBasic = defineApp({
  id: "http_basic",
  name: "HTTP API (basic auth)",
  fields: [
    baseUrlField,
    field("username", "User name", { pattern: { regex: /^[^:]*$/, message: "must not contain a colon" } }),
    secretField("password", "Password"),
  ],
  defaultBaseUrl: (config) => config.base_url ?? null,
  actions: [
    requestAction((config) => ({
      basic: { username: config.username ?? "", password: config.password ?? "" },
    })),
  ],
});

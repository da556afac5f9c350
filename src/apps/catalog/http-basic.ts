/** Any HTTP API that takes basic auth (SPEC X8). */
import { defineApp } from "../types.js";
import { baseUrlField, requestAction } from "./http-request.js";

export const httpBasic = defineApp({
  id: "http_basic",
  name: "HTTP API (basic auth)",
  fields: [
    baseUrlField,
    {
      key: "username",
      label: "User name",
      secret: false,
      required: true,
      pattern: { regex: /^[^:]*$/, message: "must not contain a colon" },
    },
    { key: "password", label: "Password", secret: true, required: true },
  ],
  defaultBaseUrl: (config) => config.base_url ?? null,
  actions: [
    requestAction((config) => ({
      basic: { username: config.username ?? "", password: config.password ?? "" },
    })),
  ],
});

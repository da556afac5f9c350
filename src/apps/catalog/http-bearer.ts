/** Any HTTP API that takes a bearer token (SPEC X8). */
import { defineApp, secretField } from "../types.js";
import { baseUrlField, requestAction } from "./http-request.js";

export const httpBearer = defineApp({
  id: "http_bearer",
  name: "HTTP API (bearer token)",
  fields: [baseUrlField, secretField("token", "Token")],
  defaultBaseUrl: (config) => config.base_url ?? null,
  actions: [requestAction((config) => ({ bearer: config.token ?? "" }))],
});

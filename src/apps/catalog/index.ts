/**
 * The app catalog (SPEC X8). Adding an app: write one module beside these (see types.ts) and list it here.
 */
import type { AppDefinition } from "../types.js";
import { httpBasic } from "./http-basic.js";
import { httpBearer } from "./http-bearer.js";
import { slack } from "./slack.js";
import { twilio } from "./twilio.js";
import { zendesk } from "./zendesk.js";

export const catalog: readonly AppDefinition[] = [slack, zendesk, twilio, httpBearer, httpBasic];

const byId = new Map(catalog.map((app) => [app.id, app]));

export function findApp(id: string): AppDefinition | undefined {
  return byId.get(id);
}

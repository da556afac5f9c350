/** The template editor's draft and its wire form (SPEC X5 "template"). */
import type { MessageTemplate, MessageTemplateInput } from "../api.js";
import { type Pair, toPairs, toRecord } from "../ui/pairs.js";

export interface TemplateDraft {
  name: string;
  event: string;
  secrets: string[];
  subject: string;
  body: string;
  channel: "webhook" | "email";
  method: string;
  url: string;
  headers: Pair<string>[];
  host: string;
  port: string;
  secure: boolean;
  username: string;
  password: string;
  from: string;
  to: string;
}

export const blankTemplate: TemplateDraft = {
  name: "",
  event: "",
  secrets: [],
  subject: "",
  body: "",
  channel: "webhook",
  method: "POST",
  url: "",
  headers: [],
  host: "",
  port: "587",
  secure: false,
  username: "",
  password: "",
  from: "",
  to: "",
};

export function fromTemplate(t: MessageTemplate): TemplateDraft {
  const d: TemplateDraft = {
    ...blankTemplate,
    name: t.name,
    event: t.event,
    secrets: t.secrets,
    subject: t.subject ?? "",
    body: t.body,
    channel: t.channel.type,
  };
  if (t.channel.type === "webhook") {
    return {
      ...d,
      method: t.channel.method,
      url: t.channel.url,
      headers: toPairs(t.channel.headers),
    };
  }
  const { smtp } = t.channel;
  return {
    ...d,
    host: smtp.host,
    port: String(smtp.port),
    secure: smtp.secure,
    username: smtp.username,
    password: smtp.password,
    from: t.channel.from,
    to: t.channel.to.join(", "),
  };
}

export function toTemplateInput(d: TemplateDraft): MessageTemplateInput {
  const common = {
    name: d.name,
    event: d.event,
    secrets: d.secrets,
    subject: d.subject === "" ? null : d.subject,
    body: d.body,
  };
  if (d.channel === "webhook") {
    return {
      ...common,
      channel: { type: "webhook", method: d.method, url: d.url, headers: toRecord(d.headers) },
    };
  }
  return {
    ...common,
    channel: {
      type: "email",
      smtp: {
        host: d.host,
        port: Number(d.port),
        secure: d.secure,
        username: d.username,
        password: d.password,
      },
      from: d.from,
      to: d.to
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== ""),
    },
  };
}

/**
 * The secret a macro names (`{{secrets.weather_fx}}` and `{{secrets.smtp_login.username}}` name weather_fx
 * and smtp_login: no secret name holds a dot), or null for other macros.
 */
export function macroSecret(insert: string): string | null {
  const m = /^\{\{\{?\s*secrets\.([^\s{}.]+)[^\s{}]*\s*\}?\}\}$/.exec(insert);
  return m ? m[1]! : null;
}

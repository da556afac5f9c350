/**
 * The one action of the generic HTTP apps (`http_bearer`, `http_basic`): a request to a path under
 * `base_url`, its output `{status, headers, body}` as an `http` step's.
 */
import {
  type ActionInputField,
  type ActionRequest,
  type AppAction,
  type AppField,
  field,
  inputField,
} from "../types.js";

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

const requestInput: readonly ActionInputField[] = [
  inputField("method", "Method", { oneOf: METHODS }),
  inputField("path", "Path", {
    // A path under the base: never a scheme, a host (`//x`) or a backslash that some parsers read as `/`.
    pattern: { regex: /^\/(?!\/)[^\s\\#]*$/, message: "must be a path starting with / (a query may follow)" },
  }),
  inputField("body", "Body", { required: false }),
];

/** Sent as written: labelled JSON when it parses as JSON, else plain text. */
function bodyOf(text: string | undefined): Pick<ActionRequest, "body"> {
  if (text === undefined || text === "") return {};
  try {
    JSON.parse(text);
    return { body: { text, contentType: "application/json" } };
  } catch {
    return { body: { text, contentType: "text/plain; charset=utf-8" } };
  }
}

export function requestAction(
  auth: (config: Readonly<Record<string, string>>) => ActionRequest["auth"],
): AppAction {
  return {
    id: "request",
    name: "Send a request",
    input: requestInput,
    request: ({ config, input }) => ({
      method: input.method ?? "GET",
      path: input.path ?? "/",
      auth: auth(config),
      ...bodyOf(input.body),
    }),
    result: (response) => response,
  };
}

export const baseUrlField: AppField = field("base_url", "Base URL", { url: true });

/**
 * JavaScript evaluated inside every fresh QuickJS context before user code. It evaluates to a function that
 * the host calls once with the console sink; the function installs `console` and returns helpers that only
 * the host holds a handle to (user code cannot reach them through any global).
 *
 * Everything the helpers use is captured here, before user code runs, so that user code replacing
 * `JSON.stringify` or `Reflect.apply` cannot change how its output is serialized or its errors described.
 * Formatting happens inside the sandbox so that user getters, proxies and toJSON run under the run's
 * deadline and heap limit, never on the host.
 */
export const PRELUDE_FILENAME = "<sandbox>";

export const PRELUDE_SOURCE = `(function (emit, maxLineChars, maxLines) {
  "use strict";
  const g = globalThis;
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const apply = Reflect.apply;
  const defineProperty = Object.defineProperty;
  const keys = Object.keys;
  const toStringTag = Object.prototype.toString;
  const slice = String.prototype.slice;
  const join = Array.prototype.join;
  const StringOf = String;
  const TypeErrorOf = TypeError;
  const symbolToString = Symbol.prototype.toString;

  function rejectNonJson(key, value) {
    const t = typeof value;
    if (t === "function" || t === "symbol") {
      throw new TypeErrorOf("a " + t + " is not a JSON value");
    }
    return value;
  }

  function read(object, key) {
    try {
      const value = object[key];
      return value === undefined || value === null ? "" : StringOf(value);
    } catch (e) {
      return "";
    }
  }

  function isError(value) {
    try {
      return apply(toStringTag, value, []) === "[object Error]";
    } catch (e) {
      return false;
    }
  }

  function formatValue(value) {
    const t = typeof value;
    if (t === "string") return value;
    if (t === "undefined") return "undefined";
    if (t === "bigint") return StringOf(value) + "n";
    if (t === "symbol") return apply(symbolToString, value, []);
    if (t === "function") return "[Function: " + (read(value, "name") || "anonymous") + "]";
    if (isError(value)) {
      const head = read(value, "name") + ": " + read(value, "message");
      const stack = read(value, "stack");
      return stack ? head + "\\n" + stack : head;
    }
    try {
      const text = stringify(value);
      return text === undefined ? StringOf(value) : text;
    } catch (e) {
      return "[Unserializable]";
    }
  }

  let lines = 0;
  function level(name) {
    return function () {
      lines++;
      if (lines > maxLines) {
        emit(name, "");
        return;
      }
      const parts = [];
      let length = 0;
      // Stop formatting once the line is full: a huge argument costs its own size once, not again per part.
      for (let i = 0; i < arguments.length && length <= maxLineChars; i++) {
        let part = formatValue(arguments[i]);
        if (part.length > maxLineChars) part = apply(slice, part, [0, maxLineChars + 1]);
        length += part.length + 1;
        defineProperty(parts, i, { value: part, writable: true, enumerable: true, configurable: true });
      }
      let line = apply(join, parts, [" "]);
      if (line.length > maxLineChars) line = apply(slice, line, [0, maxLineChars + 1]);
      emit(name, line);
    };
  }

  const consoleObject = {
    log: level("log"),
    info: level("info"),
    warn: level("warn"),
    error: level("error"),
    debug: level("log"),
  };
  defineProperty(g, "console", { value: consoleObject, writable: true, enumerable: false, configurable: true });

  return {
    parse: function (json) {
      return parse(json);
    },
    serialize: function (value) {
      if (value === undefined) return "null";
      const text = stringify(value, rejectNonJson);
      if (typeof text !== "string") throw new TypeErrorOf("the value is not JSON");
      return text;
    },
    describe: function (error) {
      if (error !== null && typeof error === "object" && isError(error)) {
        return stringify({
          isError: isError(error),
          name: read(error, "name"),
          message: read(error, "message"),
          stack: read(error, "stack"),
          lineNumber: read(error, "lineNumber"),
        });
      }
      return stringify({ isError: false, name: "", message: formatValue(error), stack: "", lineNumber: "" });
    },
    setGlobals: function (values) {
      const names = keys(values);
      for (let i = 0; i < names.length; i++) {
        const name = names[i];
        defineProperty(g, name, { value: values[name], writable: true, enumerable: true, configurable: true });
      }
    },
  };
})`;

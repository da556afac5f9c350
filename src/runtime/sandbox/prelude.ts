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

/**
 * btoa, atob, TextEncoder and TextDecoder in plain JavaScript, with the browsers' semantics: btoa takes
 * Latin-1 text, atob ignores ASCII whitespace and checks padding, the codecs are UTF-8 with U+FFFD for
 * what is not. Evaluated inside the sandbox on first use (see the prelude).
 */
export const WEB_HELPERS_SOURCE = String.raw`(function () {
  "use strict";
  const StringOf = String;
  const TypeErrorOf = TypeError;
  const defineProperty = Object.defineProperty;
  const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const fromCharCode = String.fromCharCode;
  function invalidCharacter(message) {
    const error = new Error(message);
    error.name = "InvalidCharacterError";
    return error;
  }
  function btoa(data) {
    if (arguments.length === 0) throw new TypeErrorOf("btoa needs 1 argument");
    const s = StringOf(data);
    let out = "";
    for (let i = 0; i < s.length; i += 3) {
      const n = s.length - i;
      const a = s.charCodeAt(i);
      const b = n > 1 ? s.charCodeAt(i + 1) : 0;
      const c = n > 2 ? s.charCodeAt(i + 2) : 0;
      if (a > 255 || b > 255 || c > 255) {
        throw invalidCharacter("btoa: the string has characters outside Latin-1; encode it as UTF-8 first");
      }
      const bits = (a << 16) | (b << 8) | c;
      out += B64[bits >> 18] + B64[(bits >> 12) & 63] + (n > 1 ? B64[(bits >> 6) & 63] : "=") + (n > 2 ? B64[bits & 63] : "=");
    }
    return out;
  }
  function atob(data) {
    if (arguments.length === 0) throw new TypeErrorOf("atob needs 1 argument");
    let s = StringOf(data).replace(/[\t\n\f\r ]+/g, "");
    if (s.length % 4 === 0) s = s.replace(/==?$/, "");
    if (s.length % 4 === 1 || /[^A-Za-z0-9+/]/.test(s)) {
      throw invalidCharacter("atob: the string is not valid base64");
    }
    let out = "";
    let bits = 0;
    let count = 0;
    for (let i = 0; i < s.length; i++) {
      bits = (bits << 6) | B64.indexOf(s[i]);
      count += 6;
      if (count >= 8) {
        count -= 8;
        out += fromCharCode((bits >> count) & 255);
      }
    }
    return out;
  }
  function TextEncoder() {
    if (!new.target) throw new TypeErrorOf("TextEncoder must be called with new");
  }
  defineProperty(TextEncoder.prototype, "encoding", { get: function () { return "utf-8"; } });
  TextEncoder.prototype.encode = function (input) {
    const s = input === undefined ? "" : StringOf(input);
    const bytes = [];
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
        }
      }
      if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
      if (c < 0x80) bytes.push(c);
      else if (c < 0x800) bytes.push(0xc0 | (c >> 6), 0x80 | (c & 63));
      else if (c < 0x10000) bytes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
      else bytes.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    }
    return new Uint8Array(bytes);
  };
  function TextDecoder(label) {
    if (!new.target) throw new TypeErrorOf("TextDecoder must be called with new");
    const name = label === undefined ? "utf-8" : StringOf(label).trim().toLowerCase();
    if (name !== "utf-8" && name !== "utf8" && name !== "unicode-1-1-utf-8") {
      throw new RangeError("TextDecoder: only utf-8 is supported here");
    }
  }
  defineProperty(TextDecoder.prototype, "encoding", { get: function () { return "utf-8"; } });
  TextDecoder.prototype.decode = function (input) {
    if (input === undefined) return "";
    const bytes = ArrayBuffer.isView(input)
      ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
      : new Uint8Array(input);
    let out = "";
    let i = 0;
    if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3;
    while (i < bytes.length) {
      const a = bytes[i];
      let need = 0;
      let c = 0;
      let min = 0;
      if (a < 0x80) { out += fromCharCode(a); i++; continue; }
      else if (a >= 0xc2 && a <= 0xdf) { need = 1; c = a & 31; min = 0x80; }
      else if (a >= 0xe0 && a <= 0xef) { need = 2; c = a & 15; min = 0x800; }
      else if (a >= 0xf0 && a <= 0xf4) { need = 3; c = a & 7; min = 0x10000; }
      else { out += "\ufffd"; i++; continue; }
      let j = 1;
      for (; j <= need && i + j < bytes.length && (bytes[i + j] & 0xc0) === 0x80; j++) c = (c << 6) | (bytes[i + j] & 63);
      if (j <= need || c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
        out += "\ufffd";
        i += j > 1 ? j : 1;
        continue;
      }
      out += c >= 0x10000 ? fromCharCode(0xd800 + ((c - 0x10000) >> 10), 0xdc00 + ((c - 0x10000) & 1023)) : fromCharCode(c);
      i += need + 1;
    }
    return out;
  };
  return { btoa: btoa, atob: atob, TextEncoder: TextEncoder, TextDecoder: TextDecoder };
})()`;

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

  // The web platform's base64 and UTF-8 helpers, which QuickJS lacks and glue code needs (a basic auth
  // header, a signed payload). Parsing them is as costly as the rest of the prelude, so they are compiled
  // the first time a run touches one of them: until then each global is an accessor that installs all four.
  const indirectEval = eval;
  const webSource = ${JSON.stringify(WEB_HELPERS_SOURCE)};
  const webNames = ["btoa", "atob", "TextEncoder", "TextDecoder"];
  let web = null;
  function install() {
    if (web === null) web = indirectEval(webSource);
    for (let i = 0; i < webNames.length; i++) {
      defineProperty(g, webNames[i], { value: web[webNames[i]], writable: true, enumerable: false, configurable: true });
    }
  }
  for (let i = 0; i < webNames.length; i++) {
    const name = webNames[i];
    defineProperty(g, name, {
      get: function () {
        install();
        return web[name];
      },
      set: function (value) {
        install();
        g[name] = value;
      },
      enumerable: false,
      configurable: true,
    });
  }

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

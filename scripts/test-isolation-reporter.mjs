// A node:test reporter for scripts/test-isolation.mjs: one JSON line per finished test or suite, with the
// names of the suites and tests above it, whether it was a suite, skipped, and whether it passed.
export default async function* isolationReporter(source) {
  const names = [];
  for await (const event of source) {
    if (event.type === "test:start") {
      names.length = event.data.nesting;
      names[event.data.nesting] = event.data.name;
      continue;
    }
    if (event.type !== "test:pass" && event.type !== "test:fail") continue;
    const { name, nesting, skip, todo, details } = event.data;
    const error = event.type === "test:fail" ? String(details?.error?.cause ?? details?.error ?? "") : "";
    const record = {
      path: [...names.slice(0, nesting), name],
      suite: details?.type === "suite",
      skipped: skip !== undefined && skip !== false,
      todo: todo !== undefined && todo !== false,
      passed: event.type === "test:pass",
      error: error.split("\n").slice(0, 3).join(" "),
    };
    yield `${JSON.stringify(record)}\n`;
  }
}

/**
 * The per-node view cache's invalidation races, driven directly (no database): the test decides when a
 * load's read returns, and what happens while it is out.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SecretRecord } from "./store.js";
import type { Scope } from "./types.js";
import { createViewCache, runtimeWinner } from "./views.js";

function secret(name: string, over: Partial<SecretRecord> = {}): SecretRecord {
  return {
    id: `id-${name}-${over.projectId ?? "org"}`,
    orgId: "org-a",
    projectId: null,
    name,
    nameKey: name.toLowerCase(),
    type: "token",
    visibility: "restricted",
    description: "",
    currentVersion: 1,
    archived: false,
    createdAt: "2026-01-01T00:00:00.000Z",
    createdBy: "ann@example.com",
    updatedAt: "2026-01-01T00:00:00.000Z",
    updatedBy: "ann@example.com",
    lastAccessedAt: null,
    lastAccessedBy: null,
    allowedHosts: [],
    ...over,
  };
}

/** A cache whose reads wait for the test: `reads` lists them in order, each with its `answer`. */
function harness(options: { listening?: boolean } = {}) {
  const reads: { scope: Scope; answer(rows: SecretRecord[]): void }[] = [];
  const state = { listening: options.listening ?? true, now: 1_000 };
  const cache = createViewCache({
    ttlMs: 100,
    listening: () => state.listening,
    now: () => state.now,
    read: (scope) =>
      new Promise<SecretRecord[]>((resolve) => {
        reads.push({ scope, answer: resolve });
      }),
  });
  /** Starts a load, answers it after `during` ran, and returns the view it gave. */
  async function load(scope: Scope, rows: SecretRecord[], during: () => void = () => {}) {
    const before = reads.length;
    const view = cache.get(scope);
    assert.equal(reads.length, before + 1, "the load read the database");
    during();
    reads.at(-1)!.answer(rows);
    return view;
  }
  return { cache, reads, state, load };
}

const orgA: Scope = { orgId: "org-a", projectId: "p1" };
const orgB: Scope = { orgId: "org-b", projectId: "p2" };

describe("view cache: invalidation races", () => {
  it("a view read with nothing changing meanwhile is cached and served without a read", async () => {
    const h = harness();
    await h.load(orgA, [secret("API_KEY")]);
    const again = await h.cache.get(orgA);
    assert.equal(h.reads.length, 1);
    assert.equal(again.effective.get("api_key")?.currentVersion, 1);
    assert.equal(h.cache.fresh(orgA), again);
  });

  it("a rotation committed while a load reads: the load answers what it read but caches nothing", async () => {
    const h = harness();
    const view = await h.load(orgA, [secret("API_KEY")], () => h.cache.dropOrg("org-a"));
    assert.equal(view.effective.get("api_key")?.currentVersion, 1, "the caller gets what was read");
    assert.equal(h.cache.fresh(orgA), undefined, "but the older rows are not cached over the change");
    await h.load(orgA, [secret("API_KEY", { currentVersion: 2 })]);
    assert.equal(h.cache.fresh(orgA)?.effective.get("api_key")?.currentVersion, 2);
  });

  it("a notice that arrives while a load reads stops it from caching, even with nothing cached before", async () => {
    const h = harness();
    assert.equal(h.cache.fresh(orgA), undefined);
    await h.load(orgA, [secret("API_KEY")], () => h.cache.dropOrg("org-a"));
    assert.equal(h.cache.fresh(orgA), undefined);
  });

  it("a reset of the notices while a load reads stops every organization's load from caching", async () => {
    const h = harness();
    const a = h.cache.get(orgA);
    const b = h.cache.get(orgB);
    h.cache.dropAll();
    h.reads[0]!.answer([secret("API_KEY")]);
    h.reads[1]!.answer([secret("OTHER", { orgId: "org-b" })]);
    await Promise.all([a, b]);
    assert.equal(h.cache.fresh(orgA), undefined);
    assert.equal(h.cache.fresh(orgB), undefined);
  });

  it("generations are per organization: another organization's change does not stop a load from caching", async () => {
    const h = harness();
    await h.load(orgA, [secret("API_KEY")], () => h.cache.dropOrg("org-b"));
    assert.ok(h.cache.fresh(orgA), "org-b's change has nothing to do with org-a's rows");
  });

  it("the counter is read when a load starts: a load begun after a change caches again", async () => {
    const h = harness();
    await h.load(orgA, [secret("API_KEY")]);
    h.cache.dropOrg("org-a");
    h.cache.dropOrg("org-a");
    assert.equal(h.cache.fresh(orgA), undefined, "a change drops the organization's cached views");
    await h.load(orgA, [secret("API_KEY", { currentVersion: 3 })]);
    assert.equal(h.cache.fresh(orgA)?.effective.get("api_key")?.currentVersion, 3);
  });

  it("a change drops every project's view of the organization, and only that organization's", async () => {
    const h = harness();
    const orgOnly: Scope = { orgId: "org-a", projectId: null };
    await h.load(orgA, [secret("API_KEY")]);
    await h.load(orgOnly, [secret("API_KEY")]);
    await h.load(orgB, [secret("OTHER", { orgId: "org-b" })]);
    h.cache.dropOrg("org-a");
    assert.equal(h.cache.fresh(orgA), undefined);
    assert.equal(h.cache.fresh(orgOnly), undefined);
    assert.ok(h.cache.fresh(orgB));
  });

  it("while not listening nothing is cached nor served; a cached view expires after its lifetime", async () => {
    const h = harness({ listening: false });
    await h.load(orgA, [secret("API_KEY")]);
    assert.equal(h.cache.fresh(orgA), undefined, "a load while deaf caches nothing");
    h.state.listening = true;
    await h.load(orgA, [secret("API_KEY")]);
    assert.ok(h.cache.fresh(orgA));
    h.state.listening = false;
    assert.equal(h.cache.fresh(orgA), undefined, "a view cached before is not served while deaf");
    h.state.listening = true;
    h.state.now += 100;
    assert.equal(h.cache.fresh(orgA), undefined, "expired at its lifetime (the backstop of D2)");
  });

  it("an archived override falls back to the organization's secret; a live one wins", async () => {
    const org = secret("API_KEY");
    const project = secret("API_KEY", { projectId: "p1" });
    assert.equal(runtimeWinner(org, project), project);
    assert.equal(runtimeWinner(project, org), project);
    assert.equal(runtimeWinner(org, { ...project, archived: true }), org);
    const h = harness();
    const view = await h.load(orgA, [org, { ...project, archived: true }]);
    assert.equal(view.effective.get("api_key"), org);
    assert.deepEqual(view.live, [org]);
  });
});

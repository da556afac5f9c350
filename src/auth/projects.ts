/** An organization's projects: listed, and created with a slug the database keeps unique. */
import { newId } from "../store/ids.js";
import { type AuthParts, parseInput, projectView } from "./parts.js";
import { type CreateProjectInput, createProjectBody, type ProjectView } from "./schema.js";
import * as q from "./store.js";
import type { OrgAccess, ProjectRecord } from "./types.js";

export async function listProjects(p: AuthParts, access: OrgAccess): Promise<ProjectView[]> {
  await p.audited.authorize(access, { action: "project.read" });
  return (await q.listProjects(p.store.db, access.org.id)).map(projectView);
}

export async function createProject(
  p: AuthParts,
  access: OrgAccess,
  rawInput: CreateProjectInput,
): Promise<ProjectView> {
  await p.audited.authorize(access, { action: "project.create" });
  const input = parseInput(createProjectBody, rawInput);
  const project: ProjectRecord = {
    id: newId(),
    orgId: access.org.id,
    slug: input.slug,
    name: input.name,
    createdAt: p.iso(),
  };
  const change = {
    action: "project.create",
    target: { type: "project", id: project.id, name: project.slug },
    unique: { code: "name_taken", message: `project slug ${project.slug} is taken` },
  } as const;
  await p.audited(access, change, async (tx, entry) => {
    await q.insertProject(tx, project);
    entry.details = { name: project.name };
  });
  return projectView(project);
}

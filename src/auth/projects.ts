/** An organization's projects: listed, and created with a slug the database keeps unique. */
import { newId } from "../store/ids.js";
import { orgChange, orgList, projectView } from "./parts.js";
import { createProjectBody, type ProjectView } from "./schema.js";
import * as q from "./store.js";
import type { ProjectRecord } from "./types.js";

export const listProjects = orgList("project.read", q.listProjects, projectView);

export const createProject = orgChange(
  "project.create",
  createProjectBody,
  async (p, access, input): Promise<ProjectView> => {
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
  },
);

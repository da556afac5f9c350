/**
 * A project's routes and their callers: the slice of the auth service they need, and the one way in
 * (authorize, then find the project), shared by consumers, runs, templates and app installations.
 */
import type { AuditAction } from "../audit/actions.js";
import type { OrgAccess, ProjectRecord } from "../auth/types.js";

/** The slice of the auth service a project's routes need. */
export interface ProjectAuth {
  authorize(
    access: OrgAccess,
    action: AuditAction,
    target?: { type: string; id?: string; name?: string },
  ): Promise<void>;
  project(access: OrgAccess, projectSlug: string): Promise<ProjectRecord>;
}

/** Where a request points: a project (by slug) of an organization the caller belongs to. */
export interface ProjectRequest {
  access: OrgAccess;
  projectSlug: string;
}

/** A project request once the action is authorized and the project found. */
export interface ProjectTarget {
  access: OrgAccess;
  project: ProjectRecord;
}

/** Authorizes first, then looks the project up, so a refused caller learns nothing about projects. */
export async function enterProject(
  auth: ProjectAuth,
  r: ProjectRequest,
  action: AuditAction,
  target?: { type: string; id?: string; name?: string },
): Promise<ProjectTarget> {
  await auth.authorize(r.access, action, target);
  return { access: r.access, project: await auth.project(r.access, r.projectSlug) };
}

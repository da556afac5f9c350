/** What the signed-in person may do in the current organization: the console offers nothing else. */
import { createContext, useContext } from "react";
import type { Me, Org, OrgSettings } from "./api.js";

export interface Session {
  me: Me;
  org: Org;
  settings: OrgSettings | undefined;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error("no session");
  return s;
}

const rank = { viewer: 0, editor: 1, admin: 2, owner: 3 } as const;

export type Permissions = ReturnType<typeof permissions>;

export function permissions(s: Session) {
  const role = s.org.role;
  const admin = rank[role] >= rank.admin;
  return {
    manageSecrets: admin || (role === "editor" && s.settings?.editorsManageSecrets === true),
    reveal: admin,
    manageMembers: admin,
    manageTokens: admin,
    manageProjects: admin,
    manageSettings: admin,
    readAudit: admin,
    buildConsumers: rank[role] >= rank.editor,
  };
}

export const ROLES = ["admin", "coordinator", "finance"] as const;
export type Role = (typeof ROLES)[number];

/** Who is asking: always from a verified token, never from input. */
export interface Viewer {
  userId: string;
  tenantId: string;
  roles: ReadonlySet<Role>;
}

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

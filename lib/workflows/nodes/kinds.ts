/** The kinds of workflow node (client-safe); each has a module in this folder, registered in registry.ts. */
export const NODE_KINDS = ["condition", "webhook-message"] as const;
export type NodeKind = (typeof NODE_KINDS)[number];

import { conditionNode } from "./condition";
import type { NodeKind } from "./kinds";
import type { NodeKindModule } from "./types";
import { webhookMessageNode } from "./webhook-message";


// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each module has its own config type
const registry = { condition: conditionNode, "webhook-message": webhookMessageNode } satisfies Record<NodeKind, NodeKindModule<any>>;

export function nodeKindModule(kind: NodeKind): NodeKindModule<unknown> {
  return registry[kind] as NodeKindModule<unknown>;
}

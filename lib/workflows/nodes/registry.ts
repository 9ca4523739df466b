import { conditionNode } from "./condition";
import { nodeKinds, type NodeKind, type NodeKindInfo } from "./kinds";
import type { NodeKindModule } from "./types";
import { webhookMessageNode } from "./webhook-message";
import { legacyWebhookMessageNode } from "./webhook-message-legacy";

const modules = {
  condition: conditionNode,
  "webhook-message": webhookMessageNode,
  "webhook-message-legacy": legacyWebhookMessageNode,
} satisfies {
  [K in NodeKind]: NodeKindModule<(typeof nodeKinds)[K]["schema"]>;
};

/** A node kind: what every side shares (kinds.ts) and its server part (check, save, run). */
export function nodeKindModule(kind: NodeKind): NodeKindInfo & NodeKindModule<NodeKindInfo["schema"]> {
  return { ...nodeKinds[kind], ...(modules[kind] as NodeKindModule<NodeKindInfo["schema"]>) };
}

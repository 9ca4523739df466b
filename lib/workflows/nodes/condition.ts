import { conditionsHold } from "../conditions";
import type { conditionConfigSchema } from "./kinds";
import type { NodeKindModule } from "./types";

/** Tests event and customer fields: `true` when every condition holds, else `false`. */
export const conditionNode: NodeKindModule<typeof conditionConfigSchema> = {
  run: async (config, { scope }) => ({ output: conditionsHold(config.conditions, scope) ? "true" : "false" }),
};

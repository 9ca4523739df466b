import { conditionIssues, conditionsHold } from "../conditions";
import type { conditionConfigSchema } from "./kinds";
import type { NodeKindModule } from "./types";

/** Tests event and customer fields: `true` when every condition holds, else `false`. */
export const conditionNode: NodeKindModule<typeof conditionConfigSchema> = {
  check: async (config) => conditionIssues(config.conditions, ["conditions"]),
  run: async (config, { scope }) => ({ output: conditionsHold(config.conditions, scope) ? "true" : "false" }),
};

import { z } from "zod";
import { conditionIssues, conditionSchema, conditionsHold } from "../conditions";
import type { NodeKindModule } from "./types";

const schema = z.object({
  conditions: z.array(conditionSchema).min(1, "Add at least one condition").max(20, "At most 20 conditions"),
});

/** Tests event and customer fields: `true` when every condition holds, else `false`. */
export const conditionNode: NodeKindModule<z.output<typeof schema>> = {
  label: "Condition",
  outputs: ["true", "false"],
  schema,
  check: async (config) => conditionIssues(config.conditions, ["conditions"]),
  run: async (config, { scope }) => ({ output: conditionsHold(config.conditions, scope) ? "true" : "false" }),
};

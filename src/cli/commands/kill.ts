// PLACEHOLDER: replaced by the owner of this command while issue 4 is under way.
import type { Command } from "../command.ts";
import { UsageError } from "../../errors.ts";

const command: Command = {
  summary: "(not implemented yet)",
  usage: "Usage:  rr kill",
  async run() {
    throw new UsageError("rr kill is not implemented yet");
  },
};
export default command;

import { spawn, type ChildProcess } from "node:child_process";
import os from "node:os";

/**
 * A CPU hog: one child process spinning `for (;;) {}` per core, at normal priority, so whatever is
 * measured beside it competes for every core (what a loaded machine does to timers and sockets).
 */
export interface CpuHog {
  processes: number;
  stop(): Promise<void>;
}

export function startCpuHog(processes = os.availableParallelism()): CpuHog {
  const children: ChildProcess[] = Array.from({ length: processes }, () =>
    spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }),
  );
  return {
    processes,
    async stop() {
      await Promise.all(
        children.map((child) => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const exited = new Promise((r) => child.once("exit", r));
          child.kill("SIGKILL");
          return exited;
        }),
      );
    },
  };
}

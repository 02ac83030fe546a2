import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import { parseProcStat } from "./proc-stat";
import { clockTicksPerSecond, processTreeCpuMs, startCpuMeter } from "./process-cpu";

// A child that uses 400 ms of CPU (by its own clock, so however busy the machine is), says so, then idles.
const BURN = `const s = process.cpuUsage(); for (;;) { const u = process.cpuUsage(s); if (u.user + u.system > 400000) break; } console.log("burnt"); setTimeout(() => {}, 30000);`;
// A launcher that runs it as its own child, like tsx runs an app.
const LAUNCHER = `const c = require("node:child_process").spawn(process.execPath, ["-e", ${JSON.stringify(BURN)}], { stdio: "inherit" }); c.on("exit", () => process.exit(0));`;

let launcher: ChildProcess | undefined;
afterEach(() => {
  if (launcher?.pid && launcher.exitCode === null) process.kill(-launcher.pid, "SIGKILL");
});

describe("process CPU time", () => {
  it("knows the clock ticks", () => {
    expect(clockTicksPerSecond()).toBeGreaterThan(0);
  });

  it("counts the CPU of a process's children, as a launcher's tree", async () => {
    launcher = spawn(process.execPath, ["-e", LAUNCHER], { stdio: ["ignore", "pipe", "inherit"], detached: true });
    const pid = launcher.pid!;
    const meter = await startCpuMeter(pid);
    await once(launcher.stdout!, "data");
    const used = await meter.usedMs();
    const launcherAlone = parseProcStat(await readFile(`/proc/${pid}/stat`, "utf8")).ownTicks * (1000 / clockTicksPerSecond());
    expect(used).toBeGreaterThanOrEqual(380); // 400 ms burnt, read in ticks of 10 ms; start-up partly before the meter
    expect(launcherAlone).toBeLessThan(used - 300);
    expect(await processTreeCpuMs(pid)).toBeGreaterThanOrEqual(used);
  });

  it("says when the process is gone", async () => {
    const done = spawn(process.execPath, ["-e", ""]);
    await once(done, "exit");
    await expect(processTreeCpuMs(done.pid!)).rejects.toThrow(/not running/);
  });
});

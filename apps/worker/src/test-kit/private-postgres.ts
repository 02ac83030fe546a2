// A PostgreSQL cluster of a test's own (initdb in a temporary folder, a free port), so that the
// test may crash, stop and restart it without touching the machine's shared server. Run as the
// postgres user when the test runs as root (initdb refuses root).
import { execFile } from "node:child_process";
import { chownSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "@coop/process";

const run = promisify(execFile);

function binDir(): string {
  for (const candidate of [process.env.PG_BINDIR, "/usr/lib/postgresql"]) {
    if (!candidate) continue;
    if (candidate === "/usr/lib/postgresql") {
      const versions = readdirSync(candidate).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
      if (versions[0]) return join(candidate, versions[0], "bin");
    } else return candidate;
  }
  throw new Error("no PostgreSQL binaries found (set PG_BINDIR)");
}

export class PrivatePostgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly bin: string,
    private readonly asPostgres: boolean,
  ) {}

  /** initdb and start a cluster: trust auth, 127.0.0.1 only, fsync off (the host does not crash here). */
  static async start(): Promise<PrivatePostgres> {
    const asPostgres = userInfo().uid === 0;
    const dir = mkdtempSync(join(tmpdir(), "coop-pg-"));
    if (asPostgres) {
      const { stdout } = await run("id", ["-u", "postgres"]);
      const { stdout: gid } = await run("id", ["-g", "postgres"]);
      chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
    }
    const pg = new PrivatePostgres(dir, await freePort(), binDir(), asPostgres);
    await pg.exec("initdb", ["-D", join(dir, "data"), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
    await pg.startServer();
    return pg;
  }

  url(database: string): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** Kills the server without a shutdown (as a crash would), then starts it again. */
  async crashRestart(): Promise<void> {
    await this.stopServer("immediate");
    await this.startServer();
  }

  /** Stops the server at once (immediate mode: a crash, recovery on the next start). */
  async stopServer(mode: "immediate" | "fast" = "immediate"): Promise<void> {
    await this.exec("pg_ctl", ["-D", join(this.dir, "data"), "-m", mode, "-w", "stop"]);
  }

  async startServer(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200 -c shared_buffers=64MB`;
    await this.exec("pg_ctl", ["-D", join(this.dir, "data"), "-o", options, "-l", join(this.dir, "server.log"), "-w", "-t", "60", "start"]);
  }

  /** Stops the server (if running) and removes the cluster. */
  async destroy(): Promise<void> {
    await this.stopServer("immediate").catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async exec(tool: string, args: string[]): Promise<string> {
    const path = join(this.bin, tool);
    const { stdout } = this.asPostgres ? await run("runuser", ["-u", "postgres", "--", path, ...args], { cwd: this.dir }) : await run(path, args, { cwd: this.dir });
    return stdout;
  }
}

// Running Microsoft's policy generator: `az confcom acipolicygen` at the pinned release. Behind an
// interface so the CLI can be tested without the Azure CLI (which this project never bundles).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { PINNED_CONFCOM_VERSION } from "../../components/enclave-container-spec.ts";

const run = promisify(execFile);

/** The exact generation command for an input file: stdio off, no debug mode (no --debug-mode). */
export function confcomCommand(inputFile: string): string[] {
  return ["az", "confcom", "acipolicygen", "-i", inputFile, "--disable-stdio", "--print-policy"];
}

export const CONFCOM_INSTALL = ["az", "extension", "add", "--name", "confcom", "--version", PINNED_CONFCOM_VERSION, "--yes"];

export interface ConfcomRunner {
  /** The installed confcom extension's version, or undefined when az or the extension is absent. */
  version(): Promise<string | undefined>;
  /** The base64 policy confcom prints for the input file. */
  generate(inputFile: string): Promise<string>;
}

export const azConfcom: ConfcomRunner = {
  async version() {
    try {
      const { stdout } = await run("az", ["extension", "show", "--name", "confcom", "--query", "version", "-o", "tsv"], { timeout: 60_000 });
      return stdout.trim() || undefined;
    } catch {
      return undefined;
    }
  },
  async generate(inputFile) {
    const [cmd, ...args] = confcomCommand(inputFile);
    // Image layers are pulled and hashed: large images take minutes.
    const { stdout } = await run(cmd!, args, { timeout: 30 * 60_000, maxBuffer: 64 * 1024 * 1024 });
    return stdout.trim();
  },
};

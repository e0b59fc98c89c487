// Entry point of `npm run cce-policy`.
import { runCcePolicyCli } from "./cli.ts";

process.exitCode = await runCcePolicyCli(process.argv.slice(2));

// Entry point of `npm run review`.
import { runReviewCli } from "./cli.ts";

process.exitCode = await runReviewCli(process.argv.slice(2));

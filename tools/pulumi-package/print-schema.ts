// `npm run package:schema`: prints the component package's schema as the engine would get it (the
// plugin started through Pulumi's plugin runner, GetSchema over gRPC), without the Pulumi CLI.
import { startProvider } from "./provider-process.ts";

const provider = await startProvider();
try {
  process.stdout.write(`${JSON.stringify(await provider.getSchema(), null, 2)}\n`);
} finally {
  provider.stop();
}

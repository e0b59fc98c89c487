// The CrossGuard policy pack of the confidential clean room. Pulumi runs it as its own Node process
// (cmd/run-policy-pack) and talks to it over gRPC; constructing PolicyPack starts that server, which
// is why nothing but this file constructs it.
import { PolicyPack } from "@pulumi/policy";
import { PACK_DESCRIPTION, PACK_NAME, policies } from "./rules/index.ts";

new PolicyPack(PACK_NAME, { description: PACK_DESCRIPTION, provider: "azure", enforcementLevel: "mandatory", policies });

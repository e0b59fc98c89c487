// Key Vault's answers, read as one meaning: @azure/keyvault-keys parses the release response itself
// (JSON.parse, the last of two equal keys wins), so a duplicate key in the outer answer would pass
// unseen while the JWS inside it is checked strictly. This pipeline policy runs the protocol's strict
// reader over every JSON answer before the SDK deserializes it.
import type { KeyClientOptions } from "@azure/keyvault-keys";
import { JSON_MAX_BYTES, parseJsonStrict } from "../../protocol/index.ts";

type PipelinePolicy = NonNullable<KeyClientOptions["additionalPolicies"]>[number]["policy"];

export const STRICT_JSON_POLICY_NAME = "cleanroomStrictJsonResponse";

export function strictJsonResponsePolicy(what = "Key Vault response"): PipelinePolicy {
  return {
    name: STRICT_JSON_POLICY_NAME,
    async sendRequest(request, next) {
      const response = await next(request);
      const type = response.headers.get("content-type") ?? "";
      const body = response.bodyAsText;
      if (typeof body === "string" && body !== "" && /json/i.test(type)) {
        parseJsonStrict(body, { what: `${what} (${request.method} ${new URL(request.url).pathname})`, maxBytes: JSON_MAX_BYTES.serviceResponse });
      }
      return response;
    },
  };
}

/** The KeyClient options every Key Vault client of the enclave uses. */
export function strictKeyClientOptions(options: KeyClientOptions = {}): KeyClientOptions {
  return { ...options, additionalPolicies: [...(options.additionalPolicies ?? []), { policy: strictJsonResponsePolicy(), position: "perCall" }] };
}

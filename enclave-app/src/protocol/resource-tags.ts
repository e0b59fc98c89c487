// Tags the clean room writes on Azure resources, so that whoever sees only the resources (the policy
// pack, an operator in the portal, a cost report) can tell which collaboration and which party a
// resource belongs to. The components write them and the policy pack reads them, so the names live here.
//
// The names must be valid everywhere they are written. ARM refuses tag names containing < > % & \ ? /
// (so a Kubernetes-style "cleanroom.io/party" fails the deployment), and blob container metadata
// names must be C# identifiers (letters, digits, underscore; not starting with a digit). Lower-case
// letters and an underscore satisfy both.

/** The party a vault, a key or an input container belongs to (vault and key tag; container metadata). */
export const PARTY_TAG = "cleanroom_party";
/** The collaboration every Azure resource of a clean room belongs to. */
export const COLLABORATION_TAG = "cleanroom_collaboration";

// Storage accounts allow the shortest tag names (128); other resources allow 512. The clean room
// writes the same tags everywhere, so the shortest limit applies.
const TAG_NAME_MAX = 128;
const TAG_VALUE_MAX = 256;
const TAG_NAME_FORBIDDEN = /[<>%&\\?/]/;
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Why ARM would refuse this tag name on any of the clean room's resources, or undefined when it would not. */
export function azureTagNameProblem(name: string): string | undefined {
  if (name.trim() === "") return "a tag name must not be empty";
  if (name.length > TAG_NAME_MAX) return `tag name "${name.slice(0, 32)}…" is longer than ${TAG_NAME_MAX} characters (the storage account limit)`;
  if (TAG_NAME_FORBIDDEN.test(name) || CONTROL.test(name)) return `tag name "${name}" contains a character ARM refuses in tag names (< > % & \\ ? / or a control character)`;
  return undefined;
}

/** Why ARM would refuse this tag value, or undefined when it would not. */
export function azureTagValueProblem(value: string): string | undefined {
  if (value.length > TAG_VALUE_MAX) return `tag value is longer than ${TAG_VALUE_MAX} characters`;
  return undefined;
}

const CSHARP_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Why the Blob service would refuse this container/blob metadata name, or undefined when it would not. */
export function blobMetadataNameProblem(name: string): string | undefined {
  return CSHARP_IDENTIFIER.test(name) ? undefined : `metadata name "${name}" is not a C# identifier (letters, digits and "_", not starting with a digit)`;
}

// The package's entry for Pulumi's schema inference (the analyzer starts here and follows the
// exports): the components served to every language. Only package-facing classes belong here;
// the TypeScript library stays components/index.ts.
export { CleanRoom } from "./clean-room.ts";

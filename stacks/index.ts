// Entry point of `pulumi up` (Pulumi.yaml main: stacks/). Pulumi's Node.js runner imports this file
// with Node 24's type stripping (runtime option typescript: false) and exports what the default
// function returns as the stack outputs. It must stay the module's only export.
import { runProgram } from "./program.ts";

export default runProgram;

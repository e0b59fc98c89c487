// Reporting unparsable JSON without echoing it. V8's JSON.parse messages quote the start of the
// input ("Unexpected token 'b', "bank,42,…" is not valid JSON"); when the file given by mistake is a
// plaintext dataset or a key, that excerpt would put its content into an error message or a log.

// V8 writes `, "<excerpt>" is not valid JSON`, or `, "<excerpt>"... is not valid JSON` when it cut the excerpt.
const QUOTED_EXCERPT = /, ".*" ?(?:\.\.\. )?is not valid JSON$/s;

/** JSON.parse's message with any quoted excerpt of the input removed (positions are kept). */
export function jsonSyntaxProblem(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return QUOTED_EXCERPT.test(message) ? message.replace(QUOTED_EXCERPT, " (input excerpt withheld)") : message;
}

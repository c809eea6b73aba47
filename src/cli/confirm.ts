/**
 * Docker's prune prompt: the warning, then "Are you sure you want to
 * continue? [y/N] " on stdout, and one line of stdin. A closed stdin says no.
 */
export async function confirm(warning: string): Promise<boolean> {
  process.stdout.write(`${warning}\nAre you sure you want to continue? [y/N] `);
  return /^y(es)?$/i.test((await readLine()).trim());
}

async function readLine(): Promise<string> {
  let line = "";
  for await (const chunk of Bun.stdin.stream() as unknown as AsyncIterable<Uint8Array>) {
    line += Buffer.from(chunk).toString("utf8");
    const nl = line.indexOf("\n");
    if (nl >= 0) return line.slice(0, nl);
  }
  return line;
}

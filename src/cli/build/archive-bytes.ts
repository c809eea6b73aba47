/**
 * Is this a tar archive, maybe compressed? The content decides, never the
 * name, as in Docker (ADD of a local file, a build context on stdin):
 * gzip, bzip2, xz or zstd by their magic bytes, then a valid tar header.
 * gzip and zstd are Bun's own; bzip2 and xz go through the Debian
 * `bzip2` and `xz` commands.
 */
import { findHelper } from "../../runtime/identity.ts";
import { RrError } from "../../errors.ts";

export type Compression = "gzip" | "bzip2" | "xz" | "zstd" | "none";

const startsWith = (b: Uint8Array, magic: number[]) => b.length >= magic.length && magic.every((m, i) => b[i] === m);

export function compressionOf(head: Uint8Array): Compression {
  if (startsWith(head, [0x1f, 0x8b])) return "gzip";
  if (startsWith(head, [0x42, 0x5a, 0x68])) return "bzip2";
  if (startsWith(head, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return "xz";
  if (startsWith(head, [0x28, 0xb5, 0x2f, 0xfd])) return "zstd";
  return "none";
}

/** Whether the bytes start with a tar header whose checksum holds (what Go's tar.Reader.Next() accepts). */
export function startsWithTarHeader(b: Uint8Array): boolean {
  if (b.length < 512) return false;
  let sum = 0;
  let zero = true;
  for (let i = 0; i < 512; i++) {
    if (b[i] !== 0) zero = false;
    sum += i >= 148 && i < 156 ? 0x20 : b[i]!;
  }
  if (zero) return false;
  const field = Buffer.from(b.subarray(148, 156)).toString("latin1").replace(/[\0 ]+$/g, "").trim();
  return /^[0-7]+$/.test(field) && parseInt(field, 8) === sum;
}

const COMMANDS: Record<"bzip2" | "xz", { command: string; pkg: string }> = {
  bzip2: { command: "bzip2", pkg: "bzip2" },
  xz: { command: "xz", pkg: "xz-utils" },
};

async function throughCommand(bytes: Uint8Array, kind: "bzip2" | "xz", label: string): Promise<Uint8Array> {
  const { command, pkg } = COMMANDS[kind];
  const path = findHelper(command);
  if (!path) {
    throw new RrError(`${label} is ${kind}-compressed and the ${command} command is missing`, { hint: `Install it (apt-get install ${pkg}).` });
  }
  const proc = Bun.spawn([path, "-dc"], { stdin: bytes, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).arrayBuffer(), new Response(proc.stderr).text(), proc.exited,
  ]);
  if (code !== 0) throw new RrError(`${label} is not valid ${kind}: ${err.trim().replace(/^[^:]*: /, "") || `${command} exited with status ${code}`}`);
  return new Uint8Array(out);
}

/** The decompressed bytes; an error when they are not valid data of that format. */
export async function decompressBytes(bytes: Uint8Array, kind: Compression, label: string): Promise<Uint8Array> {
  try {
    switch (kind) {
      case "none": return bytes;
      case "gzip": return Bun.gunzipSync(bytes as Uint8Array<ArrayBuffer>);
      case "zstd": return Bun.zstdDecompressSync(bytes as Uint8Array<ArrayBuffer>);
      case "bzip2": case "xz": return await throughCommand(bytes, kind, label);
    }
  } catch (err) {
    if (err instanceof RrError) throw err;
    throw new RrError(`${label} is not valid ${kind}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * The tar inside `bytes` when they are a (compressed) tar archive, else
 * undefined: a compressed file that is not a tar, or does not decompress,
 * is no archive (Docker copies such files as they are).
 */
export async function tarInside(bytes: Uint8Array, label: string): Promise<Uint8Array | undefined> {
  const kind = compressionOf(bytes);
  if (kind === "none") return startsWithTarHeader(bytes) ? bytes : undefined;
  let plain: Uint8Array;
  try {
    plain = await decompressBytes(bytes, kind, label);
  } catch (err) {
    if (err instanceof RrError && /command is missing/.test(err.message)) throw err;
    return undefined;
  }
  return startsWithTarHeader(plain) ? plain : undefined;
}

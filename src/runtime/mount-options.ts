/** Splits OCI mount options into mount(2) flags and the data string. */
export const MS = {
  RDONLY: 1, NOSUID: 2, NODEV: 4, NOEXEC: 8, SYNCHRONOUS: 16, REMOUNT: 32, MANDLOCK: 64, DIRSYNC: 128,
  NOATIME: 1024, NODIRATIME: 2048, BIND: 4096, MOVE: 8192, REC: 16384, SILENT: 32768,
  PRIVATE: 1 << 18, SLAVE: 1 << 19, SHARED: 1 << 20, RELATIME: 1 << 21, STRICTATIME: 1 << 24,
} as const;

const FLAG_OPTIONS: Record<string, number> = {
  ro: MS.RDONLY, nosuid: MS.NOSUID, nodev: MS.NODEV, noexec: MS.NOEXEC, sync: MS.SYNCHRONOUS,
  dirsync: MS.DIRSYNC, noatime: MS.NOATIME, nodiratime: MS.NODIRATIME, relatime: MS.RELATIME,
  strictatime: MS.STRICTATIME, bind: MS.BIND, rbind: MS.BIND | MS.REC,
};
const IGNORED = new Set(["rw", "suid", "dev", "exec", "async", "atime", "diratime", "private", "rprivate", "slave", "rslave"]);

export function parseMountOptions(options: string[]): { flags: number; data: string[] } {
  let flags = 0;
  const data: string[] = [];
  for (const o of options) {
    if (o in FLAG_OPTIONS) flags |= FLAG_OPTIONS[o]!;
    else if (!IGNORED.has(o)) data.push(o);
  }
  return { flags, data };
}

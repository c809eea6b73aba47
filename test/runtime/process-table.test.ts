import { describe, expect, test } from "bun:test";
import { cpuTime, parsePsOutput, psEfTable, startTime, ttyName, validatePsArgs } from "../../src/runtime/process-table.ts";
import { parseProcStat } from "../../src/runtime/proc-stat.ts";

describe("parsePsOutput()", () => {
  const out = [
    "  PID TTY      STAT   TIME COMMAND",
    "    1 ?        Ss     0:01 /sbin/init splash",
    "  100 pts/0    S+     0:00 sh -c sleep 5; echo done",
    "    - -        Sl     0:00 -",
    "  200 ?        S      0:00 other",
    "    - -        S      0:00 -",
    "",
  ].join("\n");

  test("keeps the rows of the given pids, the last column with its spaces", () => {
    const t = parsePsOutput(out, [100]);
    expect(t.titles).toEqual(["PID", "TTY", "STAT", "TIME", "COMMAND"]);
    expect(t.processes[0]).toEqual(["100", "pts/0", "S+", "0:00", "sh -c sleep 5; echo done"]);
  });
  test("thread rows (PID -) follow the process they belong to", () => {
    expect(parsePsOutput(out, [100]).processes.length).toBe(2);
    expect(parsePsOutput(out, [1]).processes.length).toBe(1);
  });
  test("output without a PID column is an error that says what to do", () => {
    expect(() => parsePsOutput("USER COMMAND\nroot init\n", [1])).toThrow("ps's output has no PID column");
  });
  test("a PID column that holds no number is an error", () => {
    expect(() => parsePsOutput("PID CMD\nabc x\n", [1])).toThrow('unexpected pid "abc"');
  });
});

describe("validatePsArgs()", () => {
  test("refuses renaming another column to PID, allows pid=PID and ordinary options", () => {
    expect(() => validatePsArgs(["-o", "ppid=PID"])).toThrow('specifying "ppid=PID" is not allowed');
    expect(() => validatePsArgs(["-o", "pid=PID,comm"])).not.toThrow();
    expect(() => validatePsArgs(["aux"])).not.toThrow();
  });
});

describe("ps -ef's fields", () => {
  test("STIME is the time today, the day this year, else the year", () => {
    const now = new Date(2026, 5, 15, 12, 0);
    expect(startTime(new Date(2026, 5, 15, 9, 5), now)).toBe("09:05");
    expect(startTime(new Date(2026, 2, 3, 9, 5), now)).toBe("Mar03");
    expect(startTime(new Date(2025, 11, 31, 23, 0), now)).toBe("2025");
  });
  test("TIME is HH:MM:SS with days in front past one", () => {
    expect(cpuTime(0)).toBe("00:00:00");
    expect(cpuTime(3725)).toBe("01:02:05");
    expect(cpuTime(2 * 86400 + 61)).toBe("2-00:01:01");
  });
  test("TTY decodes pseudo-terminals, consoles and serial lines", () => {
    expect(ttyName(0)).toBe("?");
    expect(ttyName((136 << 8) | 3)).toBe("pts/3");
    expect(ttyName((137 << 8) | 1)).toBe("pts/257");
    expect(ttyName((4 << 8) | 1)).toBe("tty1");
    expect(ttyName((4 << 8) | 65)).toBe("ttyS1");
  });
  test("psEfTable describes a live process from /proc", () => {
    const t = psEfTable([process.pid, 999_999_999]);
    expect(t.titles).toEqual(["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]);
    expect(t.processes.length).toBe(1); // the vanished pid is left out
    const [uid, pid, ppid, c, , , time, cmd] = t.processes[0]!;
    expect(pid).toBe(String(process.pid));
    expect(ppid).toBe(String(process.ppid));
    expect(uid).toMatch(/\S/);
    expect(Number(c)).toBeLessThanOrEqual(99);
    expect(time).toMatch(/^\d\d:\d\d:\d\d$/);
    expect(cmd).toContain("bun");
  });
});

describe("parseProcStat()", () => {
  test("takes comm up to the last parenthesis, even with spaces and parentheses in it", () => {
    const fields = ["S", "7", "7", "7", "34816", "7", "4194560", "0", "0", "0", "0", "12", "34", "5", "6", "20", "0", "3", "0", "4242"];
    const st = parseProcStat(`42 (a) (b c) ${fields.join(" ")} 0 0\n`)!;
    expect(st).toMatchObject({ pid: 42, comm: "a) (b c", state: "S", ppid: 7, ttyNr: 34816, utime: 12, stime: 34, cutime: 5, cstime: 6, numThreads: 3, startTime: 4242 });
  });
});

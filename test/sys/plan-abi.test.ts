/**
 * The TypeScript encoder and the C reader must agree on every byte of a
 * plan: encode in TS, have C (rr_plan_describe) read it back.
 */
import { describe, expect, test } from "bun:test";
import { encodePlan, type Plan } from "../../src/runtime/plan-encoder.ts";
import { coreAbiVersion, describePlan, ABI_VERSION } from "../../src/sys/core.ts";
import { ABI_VERSION as ENCODER_ABI } from "../../src/runtime/plan-encoder.ts";

function samplePlan(): Plan {
  return {
    flags: ["pivot", "setIds", "tty"],
    ops: [
      { type: "mount", source: "overlay", target: "/r", fstype: "overlay", data: "lowerdir=/a:/b", mountFlags: 6, what: "x" },
      { type: "open-root", source: "/r", what: "x" },
      { type: "mkdir", target: "proc", inRoot: true, mode: 0o755, what: "x" },
      { type: "mount", source: "proc", target: "proc", fstype: "proc", fallback: "/proc", inRoot: true, optional: true, what: "x" },
      { type: "symlink", source: "pts/ptmx", target: "dev/ptmx", inRoot: true, what: "x" },
      { type: "remount-ro", target: ".", inRoot: true, noBind: true, what: "x" },
    ],
    argv: ["sh", "-c", "echo ünïcode"],
    env: ["PATH=/bin", "A=b c"],
    execPath: "sh",
    searchPath: "/bin",
    cwd: "/work",
    hostname: "box",
    uid: 1000,
    gid: 1001,
    groups: [10, 20],
    rlimits: [{ resource: 7, soft: 100n, hard: 0xffffffffffffffffn }],
    capLastCap: 40,
    caps: { bounding: 0xa80425fbn, effective: 0xa80425fbn, permitted: 0xa80425fbn, inheritable: 0n, ambient: 0n },
    tty: { rows: 24, cols: 80 },
  };
}

describe("setup plan ABI", () => {
  test("the encoder and the C core share one ABI version", () => {
    expect(coreAbiVersion()).toBe(ABI_VERSION);
    expect(ENCODER_ABI).toBe(ABI_VERSION);
  });

  test("C reads back every field and op the encoder wrote", () => {
    expect(describePlan(encodePlan(samplePlan()))).toBe(
      [
        "version 1 flags 0x83 uid 1000 gid 1001 cwd /work hostname box",
        "exec sh path /bin",
        "argv sh", "argv -c", "argv echo ünïcode",
        "env PATH=/bin", "env A=b c",
        "group 10", "group 20",
        "rlimit 7 100 18446744073709551615",
        "caps bounding 0xa80425fb effective 0xa80425fb last 40",
        "op 0 mount a=overlay b=/r c=overlay d=lowerdir=/a:/b e=- flags 0x0 mode 00 mflags 0x6",
        "op 1 open-root a=/r b=- c=- d=- e=- flags 0x0 mode 00 mflags 0x0",
        "op 2 mkdir a=- b=proc c=- d=- e=- flags 0x1 mode 0755 mflags 0x0",
        "op 3 mount a=proc b=proc c=proc d=- e=/proc flags 0x3 mode 00 mflags 0x0",
        "op 4 symlink a=pts/ptmx b=dev/ptmx c=- d=- e=- flags 0x1 mode 00 mflags 0x0",
        "op 5 remount-ro a=- b=. c=- d=- e=- flags 0x5 mode 00 mflags 0x0",
        "",
      ].join("\n"),
    );
  });

  test("C refuses a plan with a bad magic, a wrong version or a truncated buffer", () => {
    const good = encodePlan(samplePlan());
    const badMagic = good.slice();
    badMagic[0] = 0;
    expect(() => describePlan(badMagic)).toThrow(/Invalid argument/);
    const badVersion = good.slice();
    badVersion[4] = 99;
    expect(() => describePlan(badVersion)).toThrow(/errno 71|Protocol/);
    expect(() => describePlan(good.slice(0, good.length - 3))).toThrow(/Invalid argument/);
  });

  test("C refuses an op whose string offset points outside the plan", () => {
    const bad = encodePlan(samplePlan());
    const dv = new DataView(bad.buffer);
    const opsOff = dv.getUint32(20, true);
    dv.setUint32(opsOff + 8, bad.length + 100, true);
    expect(() => describePlan(bad)).toThrow(/Invalid argument/);
  });

  test("a NUL inside a string is refused before it reaches C", () => {
    const p = samplePlan();
    p.argv = ["sh", "a\0b"];
    expect(() => encodePlan(p)).toThrow(/NUL/);
  });
});

/** Run a command and measure it: wall time, CPU time, peak RSS (from wait4's rusage). */
import { readFileSync } from "node:fs";

export interface Sample {
  wallMs: number;
  /** user+system CPU of the process and the descendants it waited for */
  cpuMs: number;
  exitCode: number;
  stderr: string;
}

export function runOnce(argv: string[], cwd?: string): Sample {
  const start = performance.now();
  const r = Bun.spawnSync(argv, { cwd, stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  const wallMs = performance.now() - start;
  return {
    wallMs,
    cpuMs: Number(r.resourceUsage.cpuTime.total) / 1000,
    exitCode: r.exitCode,
    stderr: r.stderr.toString(),
  };
}

/**
 * Peak RSS in KB: ru_maxrss of the process and the descendants it waited
 * for, i.e. the largest single process. Taken through /usr/bin/time, not
 * Bun's rusage: a child forked from Bun starts with Bun's own resident pages
 * and the kernel carries that high-water mark across execve.
 */
export function peakRssKb(argv: string[], cwd?: string): number | undefined {
  const r = Bun.spawnSync(["/usr/bin/time", "-f", "%M", ...argv], { cwd, stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  const kb = Number(r.stderr.toString().trim().split("\n").pop());
  return r.exitCode === 0 && Number.isFinite(kb) ? kb : undefined;
}

/**
 * The largest of three separate peak-RSS runs: kept out of the timed runs,
 * where /usr/bin/time would add its own fork.
 */
export function largestPeakRssKb(argv: string[]): number | undefined {
  const kb = [1, 2, 3].map(() => peakRssKb(argv)).filter((k): k is number => k !== undefined);
  return kb.length ? Math.max(...kb) : undefined;
}

/** The value below which `q` (0..1) of the sorted values lie (nearest rank). */
export function quantile(values: number[], q: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil(q * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

export interface Summary {
  runs: number;
  medianMs: number;
  p90Ms: number;
  medianCpuMs: number;
  peakRssKb?: number;
}

export function summarize(samples: Sample[], peakRss?: number): Summary {
  return {
    runs: samples.length,
    medianMs: quantile(samples.map((s) => s.wallMs), 0.5),
    p90Ms: quantile(samples.map((s) => s.wallMs), 0.9),
    medianCpuMs: quantile(samples.map((s) => s.cpuMs), 0.5),
    peakRssKb: peakRss,
  };
}

/** The last non-empty line of a failed command's stderr, for a one-line reason. */
export function failureLine(s: Sample): string {
  const line = s.stderr.trim().split("\n").filter(Boolean).pop() ?? "";
  return `exit ${s.exitCode}${line ? `: ${line.slice(0, 200)}` : ""}`;
}

/**
 * One timed run that also yields its peak RSS, for runs long enough (seconds)
 * that /usr/bin/time's own fork is noise. `-o` keeps time's line out of the
 * tool's stderr.
 */
export function runOnceWithRss(argv: string[], rssFile: string, cwd?: string): Sample & { peakRssKb?: number } {
  const s = runOnce(["/usr/bin/time", "-f", "%M", "-o", rssFile, ...argv], cwd);
  let kb: number | undefined;
  try {
    kb = Number(readFileSync(rssFile, "utf8").trim().split("\n").pop());
  } catch { /* time did not write it: the command could not start */ }
  return { ...s, peakRssKb: Number.isFinite(kb) ? kb : undefined };
}

/** An untimed command's exit code and output (a look-up, a version, a transfer that prints its own timing). */
export function capture(argv: string[], timeout?: number): { exitCode: number; stdout: string; stderr: string } {
  const r = Bun.spawnSync(argv, { stdin: "ignore", stdout: "pipe", stderr: "pipe", timeout });
  return { exitCode: r.exitCode ?? 128, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

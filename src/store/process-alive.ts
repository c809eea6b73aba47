/**
 * Whether a pid names a live process: the test behind stale temporaries and
 * stale name reservations. EPERM means alive (someone else's process).
 */
export function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

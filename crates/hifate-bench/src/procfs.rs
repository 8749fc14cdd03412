//! Process accounting from `/proc`: CPU time, memory, children.

use std::collections::BTreeMap;

use anyhow::Context as _;

/// Clock ticks per second of `/proc/<pid>/stat` times.
pub fn ticks_per_sec() -> f64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .unwrap_or(100) as f64
}

/// CPU seconds (user + system) a process has used so far.
pub fn cpu_secs(pid: u32) -> anyhow::Result<f64> {
    Ok(cpu_ticks(pid)? as f64 / ticks_per_sec())
}

/// Nanoseconds on CPU of each live thread of a process, by thread id, from
/// `se.sum_exec_runtime` in `/proc/<pid>/task/*/sched` (finer than the 10 ms
/// clock ticks of `stat`). Fails where the kernel does not provide it.
pub fn thread_cpu_ns(pid: u32) -> anyhow::Result<BTreeMap<u32, u64>> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task"))
        .with_context(|| format!("process {pid} is gone"))?;
    let mut threads = BTreeMap::new();
    for task in tasks.flatten() {
        let Ok(tid) = task.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(task.path().join("sched")) else {
            continue;
        };
        let ms = text
            .lines()
            .find(|l| l.trim_start().starts_with("se.sum_exec_runtime"))
            .and_then(|l| l.rsplit(':').next())
            .and_then(|v| v.trim().parse::<f64>().ok());
        if let Some(ms) = ms {
            threads.insert(tid, (ms * 1e6) as u64);
        }
    }
    anyhow::ensure!(
        !threads.is_empty(),
        "no se.sum_exec_runtime for process {pid}"
    );
    Ok(threads)
}

/// CPU nanoseconds used between two [`thread_cpu_ns`] readings: each
/// thread's growth (all of it for threads that appeared). Threads that
/// exited in between are left out: the sum of live threads is not monotonic,
/// because an exiting thread (an idle blocking-pool thread, say) takes its
/// whole past with it.
pub fn cpu_ns_between(before: &BTreeMap<u32, u64>, after: &BTreeMap<u32, u64>) -> u64 {
    after
        .iter()
        .map(|(tid, ns)| ns.saturating_sub(before.get(tid).copied().unwrap_or(0)))
        .sum()
}

/// utime + stime of a process, in clock ticks.
pub fn cpu_ticks(pid: u32) -> anyhow::Result<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("process {pid} is gone"))?;
    let fields = after_comm(&stat);
    let utime: u64 = fields.get(11).context("no utime")?.parse()?;
    let stime: u64 = fields.get(12).context("no stime")?.parse()?;
    Ok(utime + stime)
}

/// The fields of `/proc/<pid>/stat` after the command name (state first).
fn after_comm(stat: &str) -> Vec<&str> {
    stat.rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default()
}

/// A numeric field of `/proc/<pid>/status` (kB for memory fields).
pub fn status_field(pid: u32, name: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("process {pid} is gone"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("no {name} in /proc/{pid}/status"))
}

/// Direct children of `pid` (the services' processes).
pub fn children_of(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return out;
    };
    for entry in entries.flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) {
            if after_comm(&stat).get(1).and_then(|p| p.parse::<u32>().ok()) == Some(pid) {
                out.push(child);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_deltas_ignore_exited_threads() {
        let before = BTreeMap::from([(1, 100), (2, 9_000), (3, 50)]);
        let after = BTreeMap::from([(1, 150), (3, 50), (4, 20)]);
        assert_eq!(cpu_ns_between(&before, &after), 70);
    }

    #[test]
    fn reads_stat_fields_after_the_name() {
        let stat = "1234 (a (weird) name) S 1 1234 1234 0 -1 4194304 100 0 0 0 7 3 0 0 20 0 1 0";
        let fields = after_comm(stat);
        assert_eq!(fields[0], "S");
        assert_eq!(fields[1], "1");
        assert_eq!(fields[11], "7");
        assert_eq!(fields[12], "3");
    }
}

//! The machine's load average, printed by every bench before and after it measures, with a
//! warning above [`LIMIT`]: contention slows a baseline more than the code under test and
//! flatters the ratios, so figures taken on a busy machine are not idle-machine figures
//! (docs/benchmarks.md). Before a run it also measures the CPU in use over one second:
//! the load average lags, and a process that began spinning minutes ago still reads ~1.2
//! on two cores while it takes a whole core (docs/benchmarks.md, stop 39). Shared by the
//! benches of lanyard-core and lanyard-gateway.

/// The one-minute load average above which a run is flagged.
pub const LIMIT: f64 = 1.5;

/// The share of the machine's CPU in use (percent) above which a run is flagged.
pub const BUSY_LIMIT: u64 = 20;

/// The `cpu` line of `/proc/stat`: all ticks, and the idle and I/O-wait ones.
fn cpu_ticks() -> Option<(u64, u64)> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    let line = text.lines().find(|l| l.starts_with("cpu "))?;
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(|f| f.parse().ok())
        .collect::<Option<_>>()?;
    Some((fields.iter().sum(), fields.get(3)? + fields.get(4)?))
}

/// The percentage of the machine's CPU in use over the next second, if the system says.
pub fn busy_percent() -> Option<u64> {
    let (total_a, idle_a) = cpu_ticks()?;
    std::thread::sleep(std::time::Duration::from_secs(1));
    let (total_b, idle_b) = cpu_ticks()?;
    let total = total_b.checked_sub(total_a).filter(|t| *t > 0)?;
    let idle = idle_b.saturating_sub(idle_a).min(total);
    Some(100 * (total - idle) / total)
}

/// The 1, 5 and 15 minute load averages (Linux `/proc/loadavg`), if the system says.
pub fn averages() -> Option<[f64; 3]> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    let mut fields = text.split_whitespace().map(|f| f.parse::<f64>().ok());
    Some([fields.next()??, fields.next()??, fields.next()??])
}

/// Prints the load average `when` ("before", "after") and a warning above [`LIMIT`].
pub fn report(when: &str) {
    match averages() {
        Some([one, five, fifteen]) => {
            println!("load {when}: {one:.2} {five:.2} {fifteen:.2} (1, 5, 15 min)");
            if one > LIMIT {
                println!(
                    "WARNING: load average {one:.2} is above {LIMIT} {when} the run: the \
                     machine is busy, these are not idle-machine figures"
                );
            }
        }
        None => println!("load {when}: unknown (no /proc/loadavg)"),
    }
    if when == "before" {
        if let Some(busy) = busy_percent() {
            println!("CPU in use before: {busy} % of the machine (1 s)");
            if busy > BUSY_LIMIT {
                println!(
                    "WARNING: the CPU is {busy} % busy before the run: these are not \
                     idle-machine figures"
                );
            }
        }
    }
}

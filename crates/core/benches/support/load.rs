//! The machine's load average, printed by every bench before and after it measures, with a
//! warning above [`LIMIT`]: contention slows a baseline more than the code under test and
//! flatters the ratios, so figures taken on a busy machine are not idle-machine figures
//! (docs/benchmarks.md). Shared by the benches of lanyard-core and lanyard-gateway.

/// The one-minute load average above which a run is flagged.
pub const LIMIT: f64 = 1.5;

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
}

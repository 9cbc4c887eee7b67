//! Nor can another CPU borrow it: the handle is not `Sync` either.
use host_tests::thiscpu::ThisCpu;

fn shared_with_other_cpus<T: Sync>(_: &T) {}

static STATE: u64 = 0;

fn main() {
    let here = ThisCpu::new(&STATE);
    shared_with_other_cpus(&here);
}

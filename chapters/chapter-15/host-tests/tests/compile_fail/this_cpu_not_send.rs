//! A handle to this CPU's state cannot be sent to another CPU (here: another thread).
use host_tests::thiscpu::ThisCpu;

static STATE: u64 = 0;

fn main() {
    let here = ThisCpu::new(&STATE);
    std::thread::spawn(move || {
        let _ = *here;
    });
}

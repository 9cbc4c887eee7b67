//! The type rule for per-CPU data: a handle to *this* CPU's state never leaves this CPU.
//!
//! `percpu::this()` hands out a [`ThisCpu`]: a shared borrow of the running CPU's per-CPU
//! structure. If such a handle crossed to another CPU (through a lock-protected queue, say), the
//! code there would read and write the first CPU's state while believing it its own. The handle
//! therefore contains a raw-pointer marker, which makes it neither `Send` nor `Sync`, and the
//! compiler rejects every attempt to move or share it across threads of execution. The
//! trybuild tests in `host-tests/tests/compile_fail/` show the errors.
//!
//! Pure logic, compiled on the host too.
#![deny(unsafe_code)]

use core::marker::PhantomData;
use core::ops::Deref;

/// A borrow of the running CPU's per-CPU data of type `T`; stays on this CPU by type.
pub struct ThisCpu<T: 'static> {
    data: &'static T,
    _stays_here: PhantomData<*const ()>,
}

impl<T: 'static> ThisCpu<T> {
    /// Wraps `data`, which the caller has found to be the running CPU's own.
    pub fn new(data: &'static T) -> ThisCpu<T> {
        ThisCpu {
            data,
            _stays_here: PhantomData,
        }
    }
}

impl<T: 'static> Deref for ThisCpu<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.data
    }
}

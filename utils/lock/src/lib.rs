//! Taking a `std::sync::Mutex` whose holder may have panicked.
//!
//! The workspace keeps every critical section short and leaves the guarded data valid after each
//! step, so a poisoned mutex still holds usable data: refusing it would turn one panicking task
//! into a failure of every later one.
//!
//! ```
//! use std::sync::Mutex;
//! use codex_utils_lock::lock;
//!
//! let counter = Mutex::new(1);
//! *lock(&counter) += 1;
//! assert_eq!(*lock(&counter), 2);
//! ```

use std::sync::Mutex;
use std::sync::MutexGuard;
use std::sync::PoisonError;

/// Locks `mutex`, taking the data even when an earlier holder panicked.
pub fn lock<T: ?Sized>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::Mutex;

    use super::lock;

    #[test]
    fn a_poisoned_mutex_still_gives_its_data() {
        let shared = Arc::new(Mutex::new(vec![1]));
        let holder = Arc::clone(&shared);
        let panicked = std::thread::spawn(move || {
            let mut guard = lock(&holder);
            guard.push(2);
            panic!("holder fails while holding the lock");
        })
        .join();
        assert!(panicked.is_err());
        assert!(shared.is_poisoned());
        assert_eq!(*lock(&shared), vec![1, 2]);
    }
}

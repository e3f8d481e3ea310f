//! Small helpers for shared state.

use std::sync::Mutex;
use std::sync::MutexGuard;
use std::sync::PoisonError;

/// Locks a mutex whose data stays consistent even if a holder panicked: every critical section
/// in this crate leaves its data valid at each step, so a poisoned lock is safe to take.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

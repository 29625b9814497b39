//! Poison-tolerant locking for the std locks shared across Pincer.
//!
//! A lock is poisoned when a thread panicked while holding it. Everything Pincer keeps behind
//! these locks (maps, flags, settings, a SQLite connection) stays valid after such a panic, so
//! refusing to go on would turn one bug into a stuck engine or app. Every crate locks through
//! here so that choice is made once.

use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Locks `mutex`, carrying on if an earlier holder panicked.
pub fn lock<T: ?Sized>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Read-locks `lock`, carrying on if an earlier writer panicked.
pub fn read<T: ?Sized>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

/// Write-locks `lock`, carrying on if an earlier holder panicked.
pub fn write<T: ?Sized>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poisoned_mutex_still_hands_out_its_value() {
        let mutex = Mutex::new(1);
        let _ = std::panic::catch_unwind(|| {
            let _guard = lock(&mutex);
            panic!("poison it");
        });
        assert!(mutex.is_poisoned());
        *lock(&mutex) += 1;
        assert_eq!(*lock(&mutex), 2);
    }

    #[test]
    fn a_poisoned_rwlock_still_reads_and_writes() {
        let rw = RwLock::new(String::from("a"));
        let _ = std::panic::catch_unwind(|| {
            let _guard = write(&rw);
            panic!("poison it");
        });
        assert!(rw.is_poisoned());
        write(&rw).push('b');
        assert_eq!(*read(&rw), "ab");
    }
}

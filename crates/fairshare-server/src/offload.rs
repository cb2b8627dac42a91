//! Values whose drop must not run on a runtime thread.
//!
//! A `postgres::Client` closes its connection by blocking on a runtime of its own, which panics
//! inside ours ("Cannot start a runtime from within a runtime"). Stores and books are used on
//! blocking threads, but the last owner may go away on a runtime thread (the router at
//! shutdown, a failed start): this wrapper then drops the value on a plain thread.

use std::ops::{Deref, DerefMut};

pub(crate) struct DropOffRuntime<T: Send + 'static>(Option<T>);

impl<T: Send + 'static> DropOffRuntime<T> {
    pub fn new(value: T) -> DropOffRuntime<T> {
        DropOffRuntime(Some(value))
    }
}

impl<T: Send + 'static> Deref for DropOffRuntime<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // Only `drop` takes the value out.
        self.0
            .as_ref()
            .expect("a DropOffRuntime holds its value until dropped")
    }
}

impl<T: Send + 'static> DerefMut for DropOffRuntime<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.0
            .as_mut()
            .expect("a DropOffRuntime holds its value until dropped")
    }
}

impl<T: Send + 'static> Drop for DropOffRuntime<T> {
    fn drop(&mut self) {
        let Some(value) = self.0.take() else {
            return;
        };
        if tokio::runtime::Handle::try_current().is_ok() {
            let spawned = std::thread::Builder::new()
                .name("fairshare-drop".into())
                .spawn(move || drop(value));
            if let Err(error) = spawned {
                tracing::error!(%error, "cannot start a thread to close a connection");
            }
        }
    }
}

/// A store handle that drops off the runtime is a store to write an export from.
impl AsMut<dyn fairshare_store::Store> for DropOffRuntime<Box<dyn fairshare_store::Store>> {
    fn as_mut(&mut self) -> &mut (dyn fairshare_store::Store + 'static) {
        self.deref_mut().as_mut()
    }
}

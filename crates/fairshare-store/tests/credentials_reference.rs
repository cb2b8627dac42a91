//! The credential conformance suite on a reference store in memory: checks the suite itself
//! (a plain, obviously right implementation passes it) without any database.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use fairshare_store::conformance;
use fairshare_store::credentials::{
    API_KEYS_PER_AGENT_MAX, ApiKey, CredentialError, CredentialResult, CredentialStore, NewApiKey,
    StoredPassword, check_agent, check_key_hash, check_key_id, check_password_hash, check_time,
};

#[derive(Default)]
struct Book {
    /// Key hash -> record.
    keys: BTreeMap<String, ApiKey>,
    passwords: BTreeMap<String, StoredPassword>,
}

/// One handle; handles made from one `Arc` share a book, as connections to one database do.
struct Reference(Arc<Mutex<Book>>);

impl Reference {
    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl CredentialStore for Reference {
    fn add_api_key(&mut self, key: &NewApiKey<'_>) -> CredentialResult<ApiKey> {
        key.check()?;
        let mut book = self.book();
        let id = key.id();
        if book.keys.contains_key(key.key_hash) || book.keys.values().any(|k| k.id == id) {
            return Err(CredentialError::key_already_stored(&id));
        }
        let live = book
            .keys
            .values()
            .filter(|k| k.agent == key.agent && k.is_active(key.created_at))
            .count();
        if live >= API_KEYS_PER_AGENT_MAX {
            return Err(CredentialError::too_many_keys(key.agent, live as u64));
        }
        let record = key.stored();
        book.keys.insert(key.key_hash.into(), record.clone());
        Ok(record)
    }

    fn find_active_api_key(
        &mut self,
        key_hash: &str,
        now: &str,
    ) -> CredentialResult<Option<ApiKey>> {
        check_key_hash(key_hash)?;
        check_time("now", now)?;
        Ok(self
            .book()
            .keys
            .get(key_hash)
            .filter(|k| k.is_active(now))
            .cloned())
    }

    fn list_api_keys(&mut self, agent: &str) -> CredentialResult<Vec<ApiKey>> {
        check_agent(agent)?;
        let mut keys: Vec<ApiKey> = self
            .book()
            .keys
            .values()
            .filter(|k| k.agent == agent)
            .cloned()
            .collect();
        keys.sort_by(|a, b| (&a.created_at, &a.id).cmp(&(&b.created_at, &b.id)));
        Ok(keys)
    }

    fn revoke_api_key(&mut self, id: &str, at: &str) -> CredentialResult<ApiKey> {
        check_key_id(id)?;
        check_time("revoked_at", at)?;
        let mut book = self.book();
        let key = book
            .keys
            .values_mut()
            .find(|k| k.id == id)
            .ok_or_else(|| CredentialError::unknown_key(id))?;
        key.revoked_at.get_or_insert_with(|| at.to_owned());
        Ok(key.clone())
    }

    fn set_password(&mut self, agent: &str, phc: &str, updated_at: &str) -> CredentialResult<()> {
        check_agent(agent)?;
        check_password_hash(phc)?;
        check_time("updated_at", updated_at)?;
        self.book().passwords.insert(
            agent.into(),
            StoredPassword {
                phc: phc.into(),
                updated_at: updated_at.into(),
            },
        );
        Ok(())
    }

    fn password(&mut self, agent: &str) -> CredentialResult<Option<StoredPassword>> {
        check_agent(agent)?;
        Ok(self.book().passwords.get(agent).cloned())
    }
}

#[test]
fn reference_store_passes_the_credential_suite() {
    conformance::run_credentials(&mut |n| {
        let book = Arc::new(Mutex::new(Book::default()));
        (0..n)
            .map(|_| Box::new(Reference(book.clone())) as Box<dyn CredentialStore>)
            .collect()
    });
}

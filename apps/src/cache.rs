//! The lists kept between requests: each for an hour, for one account at one backend.

use std::sync::Mutex;
use std::time::Instant;

use crate::App;
use crate::AppsError;
use crate::CACHE_TTL;
use crate::accessible;
use crate::backend::Account;
use crate::backend::Backend;
use crate::directory;

/// Whose list a cached one is.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Owner {
    base_url: String,
    account_id: Option<String>,
    user_id: Option<String>,
    workspace: bool,
}

impl Owner {
    fn of(backend: &Backend, account: &Account) -> Self {
        Self {
            base_url: backend.base_url().to_owned(),
            account_id: account.account_id.clone(),
            user_id: account.user_id.clone(),
            workspace: account.workspace,
        }
    }
}

#[derive(Debug)]
struct Kept {
    owner: Owner,
    until: Instant,
    apps: Vec<App>,
}

#[derive(Debug, Default)]
struct Slot(Mutex<Option<Kept>>);

impl Slot {
    fn get(&self, owner: &Owner) -> Option<Vec<App>> {
        let kept = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        kept.as_ref()
            .filter(|kept| kept.owner == *owner && Instant::now() < kept.until)
            .map(|kept| kept.apps.clone())
    }

    fn put(&self, owner: Owner, apps: &[App]) {
        let mut kept = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *kept = Some(Kept {
            owner,
            until: Instant::now() + CACHE_TTL,
            apps: apps.to_vec(),
        });
    }
}

/// The directory and the connected apps, each loaded at most once an hour unless asked to
/// refetch.
#[derive(Debug, Default)]
pub struct Catalog {
    directory: Slot,
    accessible: Slot,
}

impl Catalog {
    /// Every visible app of the backend's directory, by name then id, none connected.
    pub async fn directory(
        &self,
        backend: &Backend,
        account: &Account,
        refetch: bool,
    ) -> Result<Vec<App>, AppsError> {
        let owner = Owner::of(backend, account);
        if !refetch && let Some(apps) = self.directory.get(&owner) {
            return Ok(apps);
        }
        let apps = directory::load(backend, account).await?;
        self.directory.put(owner, &apps);
        Ok(apps)
    }

    /// The apps the account has connected. A gateway that cannot be reached gives none, as
    /// in the reference, and that answer is not kept.
    pub async fn accessible(
        &self,
        backend: &Backend,
        account: &Account,
        refetch: bool,
    ) -> Vec<App> {
        let owner = Owner::of(backend, account);
        if !refetch && let Some(apps) = self.accessible.get(&owner) {
            return apps;
        }
        match accessible::load(backend.base_url(), account).await {
            Some(apps) => {
                self.accessible.put(owner, &apps);
                apps
            }
            None => Vec::new(),
        }
    }
}

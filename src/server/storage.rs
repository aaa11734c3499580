//! Where uploaded files live: a directory on local disk by default, or an S3-compatible
//! bucket (`STORAGE_URL=s3://bucket`, with the usual `AWS_*` variables), behind the
//! object_store interface. Names are random, so nothing a person typed or chose ever
//! reaches a path.

use object_store::path::Path;
use object_store::{ObjectStore, PutPayload};
use std::sync::Arc;

#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    /// Where it is, for the log (no credentials).
    pub describe: String,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("file storage: {0}")]
pub struct StorageError(#[from] object_store::Error);

impl Storage {
    /// Files under `dir`, which is created when missing.
    pub fn local(dir: &std::path::Path) -> Result<Storage, String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create the upload directory {}: {e}", dir.display()))?;
        let store = object_store::local::LocalFileSystem::new_with_prefix(dir)
            .map_err(|e| format!("cannot use {} for uploads: {e}", dir.display()))?;
        Ok(Storage { store: Arc::new(store), describe: format!("local directory {}", dir.display()) })
    }

    /// An S3-compatible bucket: `s3://bucket[/prefix]`, configured further by `AWS_*`
    /// variables; `endpoint` names a service other than AWS, and `keys` (access key id,
    /// secret) replace the variables' credentials when given.
    pub fn s3(url: &str, endpoint: Option<&str>, keys: Option<(&str, &str)>) -> Result<Storage, String> {
        let mut builder = object_store::aws::AmazonS3Builder::from_env().with_url(url);
        if let Some(endpoint) = endpoint {
            builder = builder.with_endpoint(endpoint).with_allow_http(endpoint.starts_with("http://"));
        }
        if let Some((id, secret)) = keys {
            builder = builder.with_access_key_id(id).with_secret_access_key(secret).with_region("us-east-1");
        }
        let store = builder.build().map_err(|e| format!("STORAGE_URL {url} cannot be used: {e}"))?;
        let describe = format!("S3 bucket {url}");
        let prefix = url::Url::parse(url).ok().map(|u| u.path().trim_matches('/').to_owned()).unwrap_or_default();
        let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
            Arc::new(store)
        } else {
            Arc::new(object_store::prefix::PrefixStore::new(store, prefix.as_str()))
        };
        Ok(Storage { store, describe })
    }

    /// A new random name under `folder`, e.g. `photos/4f0c…e2.jpg`.
    pub fn new_key(folder: &str, extension: &str) -> String {
        format!("{folder}/{}.{extension}", crate::server::tokens::new_token())
    }

    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), StorageError> {
        self.store.put(&Path::from(key), PutPayload::from(bytes)).await?;
        Ok(())
    }

    pub async fn get(&self, key: &str) -> Result<Vec<u8>, StorageError> {
        Ok(self.store.get(&Path::from(key)).await?.bytes().await?.to_vec())
    }

    /// Removes `key`; one already gone is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        match self.store.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Every stored name under `folder`, for tests and housekeeping.
    pub async fn list(&self, folder: &str) -> Result<Vec<String>, StorageError> {
        use futures_util::TryStreamExt;
        let prefix = Path::from(folder);
        let items: Vec<_> = self.store.list(Some(&prefix)).try_collect().await?;
        Ok(items.into_iter().map(|m| m.location.to_string()).collect())
    }
}

//! Secrets kept at rest (a reset link waiting in the email outbox) are sealed with a key
//! from the environment (`OUTBOX_KEY`), so a read of the database alone, a backup or a
//! replica, cannot take an account. ChaCha20-Poly1305 from `ring`, which TLS already
//! brings in: each value gets a random nonce, and is bound to a label (the outbox row's
//! marker) so a sealed value copied onto another row does not open.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use std::path::Path;

/// How a sealed value starts, so the database can tell it from anything else.
pub const SEALED_PREFIX: &str = "sealed:v1:";

/// A 256-bit key. Never printed.
#[derive(Clone)]
pub struct SealingKey([u8; 32]);

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey(<redacted>)")
    }
}

impl SealingKey {
    /// A new random key.
    pub fn generate() -> Self {
        let mut key = [0u8; 32];
        SystemRandom::new().fill(&mut key).expect("the system's random source works");
        SealingKey(key)
    }

    /// Reads 32 bytes written as 64 hexadecimal digits or as base64 (standard or
    /// URL-safe, padded or not), as `openssl rand -base64 32` prints them.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        let bytes = if raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(raw).ok()
        } else {
            STANDARD.decode(raw).ok().or_else(|| URL_SAFE_NO_PAD.decode(raw.trim_end_matches('=')).ok())
        };
        let bytes = bytes.ok_or("OUTBOX_KEY must be 32 bytes written as base64 or as 64 hexadecimal digits")?;
        let key: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| {
            format!("OUTBOX_KEY must be 32 bytes (e.g. `openssl rand -base64 32`), not {}", b.len())
        })?;
        Ok(SealingKey(key))
    }

    /// The key as `OUTBOX_KEY` takes it.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    fn aead(&self) -> LessSafeKey {
        LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, &self.0).expect("a 32-byte key fits ChaCha20-Poly1305"))
    }

    /// `plain`, sealed and bound to `label`: `sealed:v1:` and the base64 of the nonce,
    /// the ciphertext and its tag.
    pub fn seal(&self, plain: &str, label: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new().fill(&mut nonce).expect("the system's random source works");
        let mut sealed = plain.as_bytes().to_vec();
        self.aead()
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(label.as_bytes()), &mut sealed)
            .expect("sealing a short value cannot fail");
        format!("{SEALED_PREFIX}{}", URL_SAFE_NO_PAD.encode([&nonce[..], &sealed].concat()))
    }

    /// The value `seal` was given, or None when `sealed` was not sealed by this key for
    /// this label (another key, another row, altered or not sealed at all).
    pub fn open(&self, sealed: &str, label: &str) -> Option<String> {
        let bytes = URL_SAFE_NO_PAD.decode(sealed.strip_prefix(SEALED_PREFIX)?).ok()?;
        if bytes.len() < NONCE_LEN {
            return None;
        }
        let (nonce, rest) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut rest = rest.to_vec();
        let plain = self.aead().open_in_place(nonce, Aad::from(label.as_bytes()), &mut rest).ok()?;
        String::from_utf8(plain.to_vec()).ok()
    }
}

/// The outbox key: `OUTBOX_KEY` when set. Without it, production has none (and refuses
/// to start: `Config::production_problems`), while development keeps a generated one
/// in `<data dir>/outbox.key` (readable by its owner only), so emails queued before a
/// restart still go out, and `serve` and `worker` on one machine agree.
pub fn outbox_key(production: bool, raw: Option<&str>, data_dir: &Path) -> Result<Option<SealingKey>, String> {
    if let Some(raw) = raw.filter(|r| !r.trim().is_empty()) {
        return SealingKey::parse(raw).map(Some);
    }
    if production {
        return Ok(None);
    }
    let path = data_dir.join("outbox.key");
    match std::fs::read_to_string(&path) {
        Ok(text) => SealingKey::parse(&text).map(Some).map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = SealingKey::generate();
            match publish_private(&path, &key.to_base64()) {
                Ok(()) => {
                    tracing::info!(path = %path.display(), "generated a development OUTBOX_KEY");
                    Ok(Some(key))
                }
                // Another process starting at the same moment published its key first.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => outbox_key(production, None, data_dir),
                Err(e) => Err(format!("cannot write {}: {e}", path.display())),
            }
        }
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// Writes `text` to `path`, readable by its owner only, so that `path` appears complete
/// or not at all: it is written under a name of this process's and then linked into
/// place, which fails with `AlreadyExists` rather than replace a file another process
/// published.
fn publish_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let draft = path.with_extension(format!("key.{}.{}", std::process::id(), uuid::Uuid::new_v4().simple()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&draft)
        .and_then(|mut file| file.write_all(text.as_bytes()));
    let published = written.and_then(|()| std::fs::hard_link(&draft, path));
    let _ = std::fs::remove_file(&draft);
    published
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_label() {
        let key = SealingKey::generate();
        let link = "https://a.example/reset-password?token=abc123";
        let sealed = key.seal(link, "[[secret-1]]");
        assert!(sealed.starts_with(SEALED_PREFIX));
        assert!(!sealed.contains("abc123") && !sealed.contains("reset-password"), "{sealed}");
        assert_ne!(sealed, key.seal(link, "[[secret-1]]"), "a fresh nonce each time");
        assert_eq!(key.open(&sealed, "[[secret-1]]").as_deref(), Some(link));
        assert_eq!(key.open(&sealed, "[[secret-2]]"), None, "another row's label");
        assert_eq!(SealingKey::generate().open(&sealed, "[[secret-1]]"), None, "another key");
        let mut altered = sealed.clone();
        altered.replace_range(SEALED_PREFIX.len()..SEALED_PREFIX.len() + 1, "A");
        if altered != sealed {
            assert_eq!(key.open(&altered, "[[secret-1]]"), None, "altered");
        }
        for junk in ["", link, "sealed:v1:", "sealed:v1:!!!", "sealed:v1:AAAA"] {
            assert_eq!(key.open(junk, "[[secret-1]]"), None, "{junk}");
        }
    }

    #[test]
    fn keys_are_read_from_base64_or_hex_and_must_be_32_bytes() {
        let key = SealingKey::generate();
        let b64 = key.to_base64();
        let again = SealingKey::parse(&format!(" {b64}\n")).unwrap();
        assert_eq!(again.open(&key.seal("x", "l"), "l").as_deref(), Some("x"));
        let hex = hex::encode(key.0);
        assert_eq!(SealingKey::parse(&hex).unwrap().0, key.0);
        assert_eq!(SealingKey::parse(&URL_SAFE_NO_PAD.encode(key.0)).unwrap().0, key.0);
        assert!(SealingKey::parse(&STANDARD.encode([0u8; 16])).unwrap_err().contains("not 16"));
        assert!(SealingKey::parse("not a key!").is_err());
        assert_eq!(format!("{key:?}"), "SealingKey(<redacted>)");
    }

    #[test]
    fn production_takes_the_key_given_and_development_keeps_one_it_made() {
        let dir = std::env::temp_dir().join(format!("attune-outbox-key-{}", uuid::Uuid::new_v4().simple()));
        assert!(outbox_key(true, None, &dir).unwrap().is_none(), "production makes none up");
        assert!(outbox_key(true, Some("  "), &dir).unwrap().is_none());
        assert!(!dir.exists(), "nor writes one");
        assert!(outbox_key(true, Some("short"), &dir).is_err());
        let given = SealingKey::generate();
        assert_eq!(outbox_key(true, Some(&given.to_base64()), &dir).unwrap().unwrap().0, given.0);
        let made = outbox_key(false, None, &dir).unwrap().unwrap();
        assert_eq!(outbox_key(false, None, &dir).unwrap().unwrap().0, made.0, "the same key after a restart");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("outbox.key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn processes_starting_together_in_one_folder_agree_on_one_development_key() {
        let dir = std::env::temp_dir().join(format!("attune-outbox-race-{}", uuid::Uuid::new_v4().simple()));
        let keys: Vec<String> = std::thread::scope(|s| {
            let starts: Vec<_> = (0..16)
                .map(|_| {
                    s.spawn(|| outbox_key(false, None, &dir).expect("every start gets a key").unwrap().to_base64())
                })
                .collect();
            starts.into_iter().map(|t| t.join().unwrap()).collect()
        });
        assert!(keys.windows(2).all(|w| w[0] == w[1]), "one key for all: {keys:?}");
        let files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(files, vec![std::ffi::OsString::from("outbox.key")], "no draft is left behind");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

//! Secrets at rest: webhook signing secrets and processor card tokens are stored sealed with
//! XChaCha20-Poly1305 (an AEAD: a changed byte fails to open rather than decrypting to garbage),
//! under the keys of `MARKETFRONT_ENCRYPTION_KEY`.
//!
//! A sealed value reads `mfenc1:<key id>:<base64url(nonce ‖ ciphertext)>`. The key id (the
//! first 8 hex digits of the key's SHA-256) says which key sealed it, so keys can be rotated:
//! the first key of the list seals, every key of the list opens. The nonce is 24 random bytes,
//! large enough that random nonces never repeat in practice. Each value is bound to what it is
//! (its `Purpose`, as associated data), so a sealed card token pasted into a webhook secret's
//! column does not open as one.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::Rng;
use sha2::{Digest, Sha256};

/// Also spelled in SQL (`db::webhooks::unsealed_secrets`, `db::orders::unsealed_card_tokens` and
/// migration 0010's index, whose predicate a query must repeat word for word to use it): a
/// change here is a change there.
pub const PREFIX: &str = "mfenc1:";
const NONCE_LEN: usize = 24;

/// What a sealed value is; it must be opened as the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    WebhookSecret,
    CardToken,
}

impl Purpose {
    fn associated_data(self) -> &'static [u8] {
        match self {
            Purpose::WebhookSecret => b"marketfront:webhook-secret",
            Purpose::CardToken => b"marketfront:card-token",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("the value was sealed with key {0}, which MARKETFRONT_ENCRYPTION_KEY no longer lists")]
    UnknownKey(String),
    #[error("the sealed value is damaged or was sealed for something else")]
    Damaged,
}

struct SealingKey {
    id: String,
    cipher: XChaCha20Poly1305,
}

pub struct SecretBox {
    /// The first seals; all open.
    keys: Vec<SealingKey>,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|k| k.id.as_str()).collect();
        f.debug_struct("SecretBox").field("key_ids", &ids).finish()
    }
}

/// Reads `MARKETFRONT_ENCRYPTION_KEY`'s form: base64 of 32 bytes, several comma-separated.
pub fn parse_keys(text: &str) -> Result<Vec<[u8; 32]>, String> {
    let mut keys = Vec::new();
    for (i, part) in text.split(',').map(str::trim).enumerate() {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(part)
            .or_else(|_| URL_SAFE_NO_PAD.decode(part))
            .map_err(|_| format!("key {} of MARKETFRONT_ENCRYPTION_KEY is not base64", i + 1))?;
        let key: [u8; 32] = bytes.try_into().map_err(|bytes: Vec<u8>| {
            format!("key {} of MARKETFRONT_ENCRYPTION_KEY is {} bytes; it must be 32", i + 1, bytes.len())
        })?;
        keys.push(key);
    }
    Ok(keys)
}

impl SecretBox {
    pub fn new(keys: &[[u8; 32]]) -> Self {
        assert!(!keys.is_empty(), "a secret box needs at least one key");
        let keys = keys
            .iter()
            .map(|key| SealingKey {
                id: hex::encode(&Sha256::digest(key)[..4]),
                cipher: XChaCha20Poly1305::new(key.into()),
            })
            .collect();
        SecretBox { keys }
    }

    pub fn is_sealed(stored: &str) -> bool {
        stored.starts_with(PREFIX)
    }

    pub fn seal(&self, purpose: Purpose, plaintext: &str) -> String {
        let key = &self.keys[0];
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill(&mut nonce);
        let payload = Payload { msg: plaintext.as_bytes(), aad: purpose.associated_data() };
        let sealed = key.cipher.encrypt(&XNonce::from(nonce), payload).expect("sealing a short text cannot fail");
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        format!("{PREFIX}{}:{}", key.id, URL_SAFE_NO_PAD.encode(bytes))
    }

    pub fn open(&self, purpose: Purpose, stored: &str) -> Result<String, OpenError> {
        let rest = stored.strip_prefix(PREFIX).ok_or(OpenError::Damaged)?;
        let (key_id, encoded) = rest.split_once(':').ok_or(OpenError::Damaged)?;
        let key = self.keys.iter().find(|k| k.id == key_id).ok_or_else(|| OpenError::UnknownKey(key_id.into()))?;
        let bytes = URL_SAFE_NO_PAD.decode(encoded).map_err(|_| OpenError::Damaged)?;
        if bytes.len() < NONCE_LEN {
            return Err(OpenError::Damaged);
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| OpenError::Damaged)?;
        let payload = Payload { msg: sealed, aad: purpose.associated_data() };
        let plain = key.cipher.decrypt(&XNonce::from(nonce), payload).map_err(|_| OpenError::Damaged)?;
        String::from_utf8(plain).map_err(|_| OpenError::Damaged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_as_what_it_was_sealed_for() {
        let secrets = SecretBox::new(&[[1; 32]]);
        let sealed = secrets.seal(Purpose::WebhookSecret, "whsec_abc");
        assert!(SecretBox::is_sealed(&sealed) && !sealed.contains("whsec_abc"));
        assert_ne!(sealed, secrets.seal(Purpose::WebhookSecret, "whsec_abc"), "a fresh nonce each time");
        assert_eq!(secrets.open(Purpose::WebhookSecret, &sealed).as_deref(), Ok("whsec_abc"));
        assert_eq!(secrets.open(Purpose::CardToken, &sealed), Err(OpenError::Damaged));
        let mut tampered = sealed.clone();
        let last = tampered.pop().unwrap();
        tampered.push(if last == 'A' { 'B' } else { 'A' });
        assert_eq!(secrets.open(Purpose::WebhookSecret, &tampered), Err(OpenError::Damaged));
        assert_eq!(secrets.open(Purpose::WebhookSecret, "whsec_abc"), Err(OpenError::Damaged));
    }

    #[test]
    fn the_first_key_seals_and_every_key_opens() {
        let old = SecretBox::new(&[[1; 32]]);
        let rotated = SecretBox::new(&[[2; 32], [1; 32]]);
        let sealed_before = old.seal(Purpose::CardToken, "tok_visa");
        assert_eq!(rotated.open(Purpose::CardToken, &sealed_before).as_deref(), Ok("tok_visa"));
        let sealed_after = rotated.seal(Purpose::CardToken, "tok_visa");
        assert!(matches!(old.open(Purpose::CardToken, &sealed_after), Err(OpenError::UnknownKey(_))));
    }

    #[test]
    fn keys_are_read_from_base64_and_must_be_32_bytes() {
        let one = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        let two = base64::engine::general_purpose::STANDARD.encode([8u8; 32]);
        assert_eq!(parse_keys(&format!("{one}, {two}")), Ok(vec![[7; 32], [8; 32]]));
        assert!(parse_keys("not base64!").is_err());
        assert!(
            parse_keys(&base64::engine::general_purpose::STANDARD.encode([1u8; 16])).unwrap_err().contains("16 bytes")
        );
    }
}

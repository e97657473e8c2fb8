//! Signed checkpoints of the audit chain (DESIGN §7): `{origin, seq, head_hash}` in the
//! C2SP tlog-checkpoint body shape, signed with Ed25519 in the C2SP signed-note format, so any
//! `golang.org/x/mod/sumdb/note` compatible tool or witness can check them.
//!
//! Note: `body + "\n" + "— <name> <base64(key_id[4] || signature[64])>\n"`, the signature
//! covering the body including its final newline. Key id: the first 4 bytes of
//! `SHA-256(name || 0x0A || 0x01 || public_key)`. Verifier key text:
//! `<name>+<hex key id>+<base64(0x01 || public_key)>`; private key text:
//! `PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>`.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::{Signer, SigningKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const ALG_ED25519: u8 = 0x01;
/// U+2014 em dash, then one space.
const SIGNATURE_PREFIX: &str = "\u{2014} ";
const PRIVATE_KEY_PREFIX: &str = "PRIVATE+KEY+";
/// The cap Go's `note.Open` applies, so a hostile note cannot make us parse forever.
const MAX_SIGNATURE_LINES: usize = 100;

/// What a signed checkpoint vouches for: the chain of `origin` had `seq` records and the
/// last one's hash was `head_hash`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub origin: String,
    pub seq: u64,
    /// 64 lowercase hex characters.
    pub head_hash: String,
    /// Extra body lines after the hash, e.g. `trimmed-through 1000`, `time 2026-11-23T10:00:00Z`.
    #[serde(default)]
    pub extensions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error(
        "{name:?} cannot be a checkpoint origin or key name: it must be non-empty and contain \
         no spaces, '+' or control characters"
    )]
    InvalidName { name: String },
    #[error(
        "the checkpoint signing key is for origin {key_name:?} but the checkpoint origin is \
         {origin:?}; use the key generated for this origin or change the configured origin"
    )]
    KeyOriginMismatch { key_name: String, origin: String },
    #[error(
        "the checkpoint signing key is malformed: {0} (expected \
         PRIVATE+KEY+<name>+<8 hex digits>+<base64>, or the base64 of a 32-byte Ed25519 seed)"
    )]
    MalformedPrivateKey(&'static str),
    #[error(
        "the checkpoint verifier key is malformed: {0} (expected \
         <name>+<8 hex digits>+<base64 of 0x01 and the 32-byte public key>)"
    )]
    MalformedVerifierKey(&'static str),
    #[error(
        "the key id {stated} written in the key text does not match the key it carries \
         (computed {computed}): the key text was altered or mixed up with another key"
    )]
    KeyIdMismatch { stated: String, computed: String },
    #[error("key algorithm {0} is not supported: only Ed25519 (algorithm 1) is")]
    UnsupportedAlgorithm(u8),
    #[error("cannot sign checkpoint: {0}")]
    InvalidCheckpoint(String),
    #[error("the signed checkpoint is malformed: {0}")]
    MalformedNote(String),
    #[error(
        "the signature by key {name}+{key_id} does not verify: the checkpoint text was \
         altered after it was signed"
    )]
    BadSignature { name: String, key_id: String },
    #[error(
        "the checkpoint is signed by a different key named {name} (key id {found}, expected \
         {expected}): the signing key was rotated or the configured verifier key is wrong"
    )]
    SignedByOtherKey {
        name: String,
        expected: String,
        found: String,
    },
    #[error("the checkpoint carries no signature by the trusted key {name}+{key_id}")]
    NotSigned { name: String, key_id: String },
    #[error("the signed checkpoint text is malformed: {0}")]
    MalformedBody(String),
    #[error("the checkpoint is for origin {origin:?} but the verifier key is for {key_name:?}")]
    NoteOriginMismatch { origin: String, key_name: String },
}

impl Checkpoint {
    /// The checkpoint body: `origin\nseq\nbase64(hash)\n` then each extension line and `\n`.
    pub fn body(&self) -> Result<String, CheckpointError> {
        check_name(&self.origin)?;
        let hash = decode_head_hash(&self.head_hash)?;
        for ext in &self.extensions {
            if ext.is_empty() {
                return Err(CheckpointError::InvalidCheckpoint(
                    "an extension line is empty".into(),
                ));
            }
            if ext.chars().any(char::is_control) {
                return Err(CheckpointError::InvalidCheckpoint(format!(
                    "extension line {ext:?} contains a newline or another control character"
                )));
            }
        }
        let mut body = format!("{}\n{}\n{}\n", self.origin, self.seq, STANDARD.encode(hash));
        for ext in &self.extensions {
            body.push_str(ext);
            body.push('\n');
        }
        Ok(body)
    }

    /// Parses a body as produced by [`Checkpoint::body`] (ends with `\n`).
    fn parse_body(body: &str) -> Result<Self, CheckpointError> {
        let bad = |what: &str| CheckpointError::MalformedBody(what.to_string());
        let text = body
            .strip_suffix('\n')
            .ok_or_else(|| bad("the text does not end with a newline"))?;
        let mut lines = text.split('\n');
        let origin = lines.next().unwrap_or_default();
        let seq_text = lines
            .next()
            .ok_or_else(|| bad("the record count line (line 2) is missing"))?;
        let hash_text = lines
            .next()
            .ok_or_else(|| bad("the head hash line (line 3) is missing"))?;
        check_name(origin)?;
        let seq = parse_decimal(seq_text).ok_or_else(|| {
            CheckpointError::MalformedBody(format!(
                "line 2 ({seq_text:?}) is not a record count in plain decimal"
            ))
        })?;
        let hash = match STANDARD.decode(hash_text) {
            Ok(bytes) if bytes.len() == 32 => bytes,
            _ => {
                return Err(CheckpointError::MalformedBody(format!(
                    "line 3 ({hash_text:?}) is not a base64 32-byte hash"
                )))
            }
        };
        let extensions: Vec<String> = lines.map(str::to_string).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(bad("the text contains an empty line"));
        }
        Ok(Checkpoint {
            origin: origin.to_string(),
            seq,
            head_hash: hex::encode(hash),
            extensions,
        })
    }
}

/// Signs checkpoints with the gateway's Ed25519 key.
pub struct CheckpointSigner {
    name: String,
    key_id: [u8; 4],
    key: SigningKey,
}

impl fmt::Debug for CheckpointSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckpointSigner")
            .field("name", &self.name)
            .field("key_id", &hex::encode(self.key_id))
            .field("key", &"***")
            .finish()
    }
}

impl CheckpointSigner {
    /// Reads the signing key for `origin` from `text`: either `PRIVATE+KEY+<name>+<id>+<key>`
    /// (whose name must be `origin`) or the bare base64 of a 32-byte Ed25519 seed. Surrounding
    /// whitespace (a key file's final newline) is ignored.
    pub fn from_key_text(origin: &str, text: &str) -> Result<Self, CheckpointError> {
        use CheckpointError::MalformedPrivateKey as Bad;
        let text = text.trim();
        let Some(rest) = text.strip_prefix(PRIVATE_KEY_PREFIX) else {
            check_name(origin)?;
            let seed: [u8; 32] = STANDARD
                .decode(text)
                .ok()
                .and_then(|bytes| bytes.try_into().ok())
                .ok_or(Bad(
                    "it is neither PRIVATE+KEY+ text nor a base64 32-byte seed",
                ))?;
            return Ok(Self::from_seed(origin, &seed));
        };
        let (name, stated, seed) = parse_key_text(rest, Bad, "the Ed25519 seed is not 32 bytes")?;
        let signer = Self::from_seed(name, &seed);
        if signer.key_id != stated {
            return Err(CheckpointError::KeyIdMismatch {
                stated: hex::encode(stated),
                computed: hex::encode(signer.key_id),
            });
        }
        if name != origin {
            return Err(CheckpointError::KeyOriginMismatch {
                key_name: name.to_string(),
                origin: origin.to_string(),
            });
        }
        Ok(signer)
    }

    /// A fresh key for `origin` and its `PRIVATE+KEY+...` text (keep that text secret). The
    /// origin is not checked here: check it with [`check_origin`] first, or [`Self::sign`]
    /// refuses every checkpoint.
    pub fn generate(origin: &str) -> (Self, String) {
        use rand::RngCore;
        let mut seed = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut seed);
        let signer = Self::from_seed(origin, &seed);
        seed.fill(0);
        let text = signer.private_key_text();
        (signer, text)
    }

    fn from_seed(name: &str, seed: &[u8; 32]) -> Self {
        let key = SigningKey::from_bytes(seed);
        let key_id = key_id(name, key.verifying_key().as_bytes());
        CheckpointSigner {
            name: name.to_string(),
            key_id,
            key,
        }
    }

    fn private_key_text(&self) -> String {
        let mut key = [0u8; 33];
        key[0] = ALG_ED25519;
        key[1..].copy_from_slice(self.key.as_bytes());
        let text = format!(
            "{PRIVATE_KEY_PREFIX}{}+{}+{}",
            self.name,
            hex::encode(self.key_id),
            STANDARD.encode(key)
        );
        key.fill(0);
        text
    }

    /// The origin this key signs for.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The public verifier key text, `<name>+<hex key id>+<base64(0x01 || public key)>`, to give
    /// to `parapet audit verify` and to witnesses.
    pub fn verifier_key(&self) -> String {
        let mut key = [0u8; 33];
        key[0] = ALG_ED25519;
        key[1..].copy_from_slice(self.key.verifying_key().as_bytes());
        format!(
            "{}+{}+{}",
            self.name,
            hex::encode(self.key_id),
            STANDARD.encode(key)
        )
    }

    /// The signed note for `cp`.
    pub fn sign(&self, cp: &Checkpoint) -> Result<String, CheckpointError> {
        if cp.origin != self.name {
            check_name(&cp.origin)?;
            return Err(CheckpointError::KeyOriginMismatch {
                key_name: self.name.clone(),
                origin: cp.origin.clone(),
            });
        }
        Ok(self.sign_text(&cp.body()?))
    }

    /// Signs any note text (which must end with a newline and hold no blank line).
    fn sign_text(&self, text: &str) -> String {
        let signature = self.key.sign(text.as_bytes()).to_bytes();
        let mut raw = [0u8; 68];
        raw[..4].copy_from_slice(&self.key_id);
        raw[4..].copy_from_slice(&signature);
        format!(
            "{text}\n{SIGNATURE_PREFIX}{} {}\n",
            self.name,
            STANDARD.encode(raw)
        )
    }
}

/// First 4 bytes of `SHA-256(name || 0x0A || 0x01 || public_key)`.
fn key_id(name: &str, public: &[u8; 32]) -> [u8; 4] {
    let digest = Sha256::new()
        .chain_update(name.as_bytes())
        .chain_update([b'\n', ALG_ED25519])
        .chain_update(public)
        .finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

/// Reads `<name>+<hex key id>+<base64(0x01 || 32 key bytes)>`, the common tail of private and
/// verifier key texts; `bad` makes the error of the kind of text being read.
fn parse_key_text<'t>(
    text: &'t str,
    bad: fn(&'static str) -> CheckpointError,
    wrong_length: &'static str,
) -> Result<(&'t str, [u8; 4], [u8; 32]), CheckpointError> {
    let (name, rest) = text.split_once('+').ok_or(bad("the key id is missing"))?;
    let (id_text, key_text) = rest.split_once('+').ok_or(bad("the key is missing"))?;
    check_name(name)?;
    let stated = parse_key_id(id_text).ok_or(bad("the key id is not 8 hex digits"))?;
    let key = STANDARD
        .decode(key_text)
        .map_err(|_| bad("the key is not valid base64"))?;
    let (&alg, bytes) = key.split_first().ok_or(bad("the key is empty"))?;
    if alg != ALG_ED25519 {
        return Err(CheckpointError::UnsupportedAlgorithm(alg));
    }
    let bytes: [u8; 32] = bytes.try_into().map_err(|_| bad(wrong_length))?;
    Ok((name, stated, bytes))
}

fn parse_key_id(text: &str) -> Option<[u8; 4]> {
    let mut id = [0u8; 4];
    if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    hex::decode_to_slice(text, &mut id).ok()?;
    Some(id)
}

/// The signed-note rule for key names (non-empty, no whitespace, no `+`), plus no control
/// characters, which a note may not contain anyway.
fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '+')
}

/// Whether `origin` can name a checkpoint log and its key (for config validation).
pub fn check_origin(origin: &str) -> Result<(), CheckpointError> {
    check_name(origin)
}

fn check_name(name: &str) -> Result<(), CheckpointError> {
    if is_valid_name(name) {
        Ok(())
    } else {
        Err(CheckpointError::InvalidName {
            name: name.to_string(),
        })
    }
}

fn decode_head_hash(hash: &str) -> Result<[u8; 32], CheckpointError> {
    let mut bytes = [0u8; 32];
    let lowercase_hex = hash.len() == 64
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !lowercase_hex || hex::decode_to_slice(hash, &mut bytes).is_err() {
        return Err(CheckpointError::InvalidCheckpoint(format!(
            "head hash {hash:?} is not 64 lowercase hex characters"
        )));
    }
    Ok(bytes)
}

/// Plain decimal: digits only, no sign, no leading zeros.
fn parse_decimal(text: &str) -> Option<u64> {
    let plain = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if plain {
        text.parse().ok()
    } else {
        None
    }
}

mod verifier;
pub use verifier::CheckpointVerifier;

#[cfg(test)]
mod tests;

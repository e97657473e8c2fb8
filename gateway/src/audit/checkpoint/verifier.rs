//! Opening signed checkpoints with a trusted verifier key (the note format: `super`).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::{Signature, VerifyingKey};

use super::{
    is_valid_name, key_id, parse_key_text, Checkpoint, CheckpointError, MAX_SIGNATURE_LINES,
    SIGNATURE_PREFIX,
};

/// Opens signed checkpoints with one trusted public key.
#[derive(Debug, Clone)]
pub struct CheckpointVerifier {
    name: String,
    key_id: [u8; 4],
    key: VerifyingKey,
}

impl CheckpointVerifier {
    /// Reads `<name>+<hex key id>+<base64(0x01 || public key)>`; surrounding whitespace is ignored.
    pub fn from_verifier_key(text: &str) -> Result<Self, CheckpointError> {
        use CheckpointError::MalformedVerifierKey as Bad;
        let text = text.trim();
        let (name, stated, public) =
            parse_key_text(text, Bad, "the Ed25519 public key is not 32 bytes")?;
        let computed = key_id(name, &public);
        if computed != stated {
            return Err(CheckpointError::KeyIdMismatch {
                stated: hex::encode(stated),
                computed: hex::encode(computed),
            });
        }
        let key = VerifyingKey::from_bytes(&public)
            .map_err(|_| Bad("the bytes are not a valid Ed25519 public key"))?;
        Ok(CheckpointVerifier {
            name: name.to_string(),
            key_id: computed,
            key,
        })
    }

    /// The key name, which is also the origin of the checkpoints it accepts.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key id as 8 lowercase hex digits.
    pub fn key_id(&self) -> String {
        hex::encode(self.key_id)
    }

    /// Checks a signed note and returns the checkpoint it carries. A signature line by this
    /// key that fails rejects the note; lines by other keys are ignored (they may be witness
    /// cosignatures); at least one line must be by this key.
    pub fn open(&self, note: &str) -> Result<Checkpoint, CheckpointError> {
        let text = self.verified_text(note)?;
        let cp = Checkpoint::parse_body(text)?;
        if cp.origin != self.name {
            return Err(CheckpointError::NoteOriginMismatch {
                origin: cp.origin,
                key_name: self.name.clone(),
            });
        }
        Ok(cp)
    }

    /// The note's text once its signature by this key has verified.
    pub(super) fn verified_text<'a>(&self, note: &'a str) -> Result<&'a str, CheckpointError> {
        let bad = |what: String| CheckpointError::MalformedNote(what);
        if note.chars().any(|c| c < ' ' && c != '\n') {
            return Err(bad(
                "it contains a control character other than newline".into()
            ));
        }
        let split = note
            .rfind("\n\n")
            .ok_or_else(|| bad("no blank line separates the text from its signatures".into()))?;
        let (text, signatures) = (&note[..split + 1], &note[split + 2..]);
        let signatures = signatures
            .strip_suffix('\n')
            .ok_or_else(|| bad("the signature lines do not end with a newline".into()))?;
        let mut verified = false;
        let mut other_key_id = None;
        for (index, line) in signatures.split('\n').enumerate() {
            let number = index + 1;
            if number > MAX_SIGNATURE_LINES {
                return Err(bad(format!(
                    "it has more than {MAX_SIGNATURE_LINES} signatures"
                )));
            }
            let rest = line.strip_prefix(SIGNATURE_PREFIX).ok_or_else(|| {
                bad(format!(
                    "signature line {number} does not start with an em dash (U+2014) and a space"
                ))
            })?;
            let (name, encoded) = rest.split_once(' ').unwrap_or((rest, ""));
            if !is_valid_name(name) {
                return Err(bad(format!(
                    "signature line {number} has an invalid key name"
                )));
            }
            let raw = STANDARD
                .decode(encoded)
                .ok()
                .filter(|raw| raw.len() >= 5)
                .ok_or_else(|| {
                    bad(format!(
                        "signature line {number} does not hold a base64 signature"
                    ))
                })?;
            let line_key_id = &raw[..4];
            if name != self.name {
                continue;
            }
            if line_key_id != self.key_id {
                other_key_id = Some(hex::encode(line_key_id));
                continue;
            }
            if verified {
                // a repeated signature by the same key: the first one decided (as Go does)
                continue;
            }
            let signature_ok = Signature::from_slice(&raw[4..])
                .is_ok_and(|sig| self.key.verify_strict(text.as_bytes(), &sig).is_ok());
            if !signature_ok {
                return Err(CheckpointError::BadSignature {
                    name: self.name.clone(),
                    key_id: self.key_id(),
                });
            }
            verified = true;
        }
        match (verified, other_key_id) {
            (true, _) => Ok(text),
            (false, Some(found)) => Err(CheckpointError::SignedByOtherKey {
                name: self.name.clone(),
                expected: self.key_id(),
                found,
            }),
            (false, None) => Err(CheckpointError::NotSigned {
                name: self.name.clone(),
                key_id: self.key_id(),
            }),
        }
    }
}

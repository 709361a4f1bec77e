//! The admin token: reads are public, writes need `Authorization: Bearer <token>`.
//!
//! The token comes from `MOVIELENS_ADMIN_TOKEN`, or is generated at the first start, printed once
//! and stored only as its SHA-256 hash.

use poem_openapi::auth::Bearer;
use poem_openapi::SecurityScheme;
use ring::digest::{digest, SHA256};
use ring::rand::{SecureRandom, SystemRandom};
use rusqlite::{Connection, OptionalExtension};

use super::error::AppError;

/// The admin token, sent as `Authorization: Bearer <token>`.
#[derive(SecurityScheme)]
#[oai(ty = "bearer")]
pub struct AdminBearer(Bearer);

/// What the server checks tokens against.
#[derive(Clone)]
pub struct AdminAuth {
    token_hash: String,
}

fn sha256_hex(text: &str) -> String {
    digest(&SHA256, text.as_bytes()).as_ref().iter().map(|byte| format!("{byte:02x}")).collect()
}

impl AdminAuth {
    pub fn for_token(token: &str) -> Self {
        Self { token_hash: sha256_hex(token) }
    }

    /// 403 unless `bearer` carries the admin token. (A missing token is a 401 before this runs.)
    pub fn verify(&self, bearer: &AdminBearer) -> Result<(), AppError> {
        self.verify_token(&bearer.0.token)
    }

    /// Checks a raw `Authorization` header: the `Bearer` scheme in any case, one space, then the
    /// token exactly (no other white space). Missing, another scheme or no token: 401; any other
    /// token that is not exactly the admin token: 403.
    pub fn verify_header(&self, authorization: Option<&[u8]>) -> Result<(), AppError> {
        let value = authorization.ok_or(AppError::Unauthorized)?;
        let (scheme, token) = match value.iter().position(|byte| *byte == b' ') {
            Some(space) => (&value[..space], &value[space + 1..]),
            None => (value, &[][..]),
        };
        if !scheme.eq_ignore_ascii_case(b"bearer") || token.is_empty() {
            return Err(AppError::Unauthorized);
        }
        let token = std::str::from_utf8(token).map_err(|_| AppError::Forbidden)?;
        if token.bytes().any(|byte| byte.is_ascii_whitespace()) {
            return Err(AppError::Forbidden);
        }
        self.verify_token(token)
    }

    fn verify_token(&self, token: &str) -> Result<(), AppError> {
        let presented = sha256_hex(token);
        // Comparing hashes, not tokens: an early exit reveals nothing an attacker can steer.
        if presented == self.token_hash {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// Uses the configured token, else the stored hash, else generates a token, stores its hash and
    /// returns the token itself so that the caller can show it once.
    pub fn load_or_create(conn: &Connection, configured: Option<&str>) -> Result<(Self, Option<String>), AppError> {
        if let Some(token) = configured {
            return Ok((Self::for_token(token), None));
        }
        let stored: Option<String> =
            conn.query_row("SELECT token_hash FROM admin_tokens WHERE id = 1", [], |row| row.get(0)).optional()?;
        if let Some(token_hash) = stored {
            return Ok((Self { token_hash }, None));
        }
        let mut bytes = [0u8; 24];
        SystemRandom::new().fill(&mut bytes).map_err(|_| anyhow::anyhow!("the system random source failed"))?;
        let token: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
        let auth = Self::for_token(&token);
        conn.execute("INSERT INTO admin_tokens (id, token_hash) VALUES (1, ?1)", [&auth.token_hash])?;
        Ok((auth, Some(token)))
    }
}

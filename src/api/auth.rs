//! The admin token: reads are public, writes need `Authorization: Bearer <token>`.
//!
//! The token comes from `MOVIELENS_ADMIN_TOKEN`, or is generated at the first start, printed once
//! and stored only as its SHA-256 hash.

use poem_openapi::auth::Bearer;
use poem_openapi::SecurityScheme;
use ring::digest::{digest, SHA256};
use ring::rand::{SecureRandom, SystemRandom};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

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

    /// How the audit log names this token: `admin-` and the first 12 hex digits of its SHA-256,
    /// enough to tell tokens apart and too few to help anyone guess one.
    pub fn token_id(&self) -> String {
        format!("admin-{}", self.token_hash.chars().take(12).collect::<String>())
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

    /// 403 unless `token` is exactly the admin token (also the web pages' sign-in check).
    pub fn verify_token(&self, token: &str) -> Result<(), AppError> {
        let presented = sha256_hex(token);
        // Comparing hashes, not tokens: an early exit reveals nothing an attacker can steer.
        if presented == self.token_hash {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// Uses the configured token, else the stored hash, else generates a token, stores its hash and
    /// returns the token itself so that the caller can show it once. Two first starts at once
    /// agree on one token: the write lock is taken before the read, and only one insert lands.
    pub fn load_or_create(conn: &mut Connection, configured: Option<&str>) -> Result<(Self, Option<String>), AppError> {
        if let Some(token) = configured {
            return Ok((Self::configured(token)?, None));
        }
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if let Some(token_hash) = stored_hash(&tx)? {
            return Ok((Self { token_hash }, None));
        }
        let token = random_hex(24)?;
        let auth = Self::for_token(&token);
        tx.execute(
            "INSERT INTO admin_tokens (id, token_hash) VALUES (1, ?1) ON CONFLICT DO NOTHING",
            [&auth.token_hash],
        )?;
        // Re-read: if another process's insert won, its token is the one to use, and ours is not shown.
        let stored = stored_hash(&tx)?.ok_or_else(|| anyhow::anyhow!("the admin token was not stored"))?;
        tx.commit()?;
        let shown = (stored == auth.token_hash).then_some(token);
        Ok((Self { token_hash: stored }, shown))
    }

    /// For a read-only database: the configured token, else the stored hash, else a hash no token
    /// matches (nothing can be stored, and writes are refused anyway).
    pub fn load(conn: &Connection, configured: Option<&str>) -> Result<Self, AppError> {
        if let Some(token) = configured {
            return Self::configured(token);
        }
        match stored_hash(conn)? {
            Some(token_hash) => Ok(Self { token_hash }),
            None => Ok(Self { token_hash: format!("unmatchable:{}", random_hex(16)?) }),
        }
    }

    /// A configured token. An empty one would silently lock every write out: refuse it at start.
    pub fn configured(token: &str) -> Result<Self, AppError> {
        if token.trim().is_empty() {
            return Err(AppError::Internal(anyhow::anyhow!(
                "the configured admin token (MOVIELENS_ADMIN_TOKEN or --admin-token) is empty; set a real \
                 token, or unset it to have one generated"
            )));
        }
        Ok(Self::for_token(token))
    }
}

fn stored_hash(conn: &Connection) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT token_hash FROM admin_tokens WHERE id = 1", [], |row| row.get(0)).optional()
}

fn random_hex(bytes: usize) -> Result<String, AppError> {
    let mut buffer = vec![0u8; bytes];
    SystemRandom::new().fill(&mut buffer).map_err(|_| anyhow::anyhow!("the system random source failed"))?;
    Ok(buffer.iter().map(|byte| format!("{byte:02x}")).collect())
}

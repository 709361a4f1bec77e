//! Cross-site request forgery checks for every form the pages accept: the form's `csrf` field
//! must equal the secret its session (or, for the sign-in form, its CSRF cookie) holds, and a
//! request that says where it came from (`Origin`, `Sec-Fetch-Site`) must come from this site.

use poem::Request;
use ring::rand::{SecureRandom, SystemRandom};

use crate::api::host::Origin;

/// A new random 256-bit token, as 64 hex digits.
pub fn random_token() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    SystemRandom::new().fill(&mut bytes).map_err(|_| anyhow::anyhow!("the system random source failed"))?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

/// Compares two tokens in time that depends only on their lengths, so that a guess learns
/// nothing from how long the refusal took.
pub fn tokens_match(expected: &str, presented: &str) -> bool {
    let (expected, presented) = (expected.as_bytes(), presented.as_bytes());
    let differences = expected.iter().zip(presented).fold(0u8, |acc, (a, b)| acc | (a ^ b));
    expected.len() == presented.len() && !expected.is_empty() && differences == 0
}

/// Refuses a request that a browser says came from another site: an `Origin` header that is not
/// this site's origin (`null` included), or `Sec-Fetch-Site: cross-site`. Tools that send
/// neither header (curl, tests) pass; they still need the CSRF token.
pub fn check_origin(request: &Request) -> Result<(), String> {
    let header = |name: &str| request.headers().get(name).map(|value| value.to_str().unwrap_or("(not text)"));
    if let Some(origin) = header("origin") {
        let ours = request.extensions().get::<Origin>().map(|origin| scheme_and_authority(&origin.0));
        if ours.as_deref() != Some(origin.trim().to_ascii_lowercase().as_str()) {
            return Err(format!(
                "the request came from another site (Origin: {origin}); forms are accepted only from {}",
                ours.unwrap_or_default()
            ));
        }
    }
    if header("sec-fetch-site").is_some_and(|site| site.eq_ignore_ascii_case("cross-site")) {
        return Err("the browser says the request came from another site (Sec-Fetch-Site: cross-site)".to_string());
    }
    Ok(())
}

/// `https://movies.example` of `https://movies.example/base`, lower-case: what browsers send
/// as `Origin`.
fn scheme_and_authority(url: &str) -> String {
    let url = url.to_ascii_lowercase();
    match url.split_once("://") {
        Some((scheme, rest)) => format!("{scheme}://{}", rest.split('/').next().unwrap_or_default()),
        None => url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_only_when_equal_and_not_empty() {
        assert!(tokens_match("abc", "abc"));
        assert!(!tokens_match("abc", "abd") && !tokens_match("abc", "ab") && !tokens_match("abc", "abcd"));
        assert!(!tokens_match("", ""));
        assert_eq!(scheme_and_authority("https://Movies.example/base"), "https://movies.example");
    }
}

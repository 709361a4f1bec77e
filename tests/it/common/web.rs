//! A minimal browser for the web pages' tests: no redirects followed, cookies kept by hand.

use ureq::http::HeaderMap;

/// One HTTP answer.
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The `Set-Cookie` header for cookie `name`, whole (`name=value; Path=/; ...`).
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        let prefix = format!("{name}=");
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find(|value| value.starts_with(&prefix))
            .map(str::to_string)
    }

    /// The value of cookie `name` as set by this answer.
    pub fn cookie_value(&self, name: &str) -> Option<String> {
        let set = self.set_cookie(name)?;
        Some(set.split(';').next()?.split_once('=')?.1.to_string())
    }

    /// The value of the form field `csrf` in the page (the first one).
    pub fn csrf_field(&self) -> String {
        let at = self.body.find("name=\"csrf\" value=\"").expect("the page has a csrf field");
        let rest = &self.body[at + "name=\"csrf\" value=\"".len()..];
        rest[..rest.find('"').unwrap()].to_string()
    }
}

/// Sends a request without following redirects.
pub fn request(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&str>) -> Answer {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().into();
    let mut request = ureq::http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(body.unwrap_or_default().to_string()).unwrap();
    let mut response = agent.run(request).expect("the request is answered");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    Answer { status, headers, body: response.body_mut().read_to_string().unwrap_or_default() }
}

/// A form body from its fields.
pub fn form(fields: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish()
}

/// POSTs a form with the given cookies (`name=value; ...`) and extra headers.
pub fn post_form(url: &str, cookie: &str, fields: &[(&str, &str)], extra: &[(&str, &str)]) -> Answer {
    let mut headers = vec![("content-type", "application/x-www-form-urlencoded"), ("cookie", cookie)];
    headers.extend_from_slice(extra);
    request("POST", url, &headers, Some(&form(fields)))
}

/// GETs `url` with the given cookies.
pub fn get_with_cookie(url: &str, cookie: &str) -> Answer {
    request("GET", url, &[("cookie", cookie)], None)
}

/// The sign-in page's CSRF cookie (`name=value`) and the token its form carries.
pub fn open_sign_in(base: &str) -> (String, String) {
    let page = request("GET", &format!("{base}/login"), &[], None);
    assert_eq!(page.status, 200, "{}", page.body);
    let value = page.cookie_value("movielens_login_csrf").expect("the sign-in page sets its CSRF cookie");
    (format!("movielens_login_csrf={value}"), page.csrf_field())
}

/// Signs in with `token` and returns the answer to the form.
pub fn sign_in_answer(base: &str, token: &str, next: &str) -> Answer {
    let (cookie, csrf) = open_sign_in(base);
    post_form(&format!("{base}/login"), &cookie, &[("token", token), ("next", next), ("csrf", csrf.as_str())], &[])
}

/// Signs in with `token` and returns the session cookie (`movielens_session=...`).
pub fn sign_in(base: &str, token: &str) -> String {
    let answer = sign_in_answer(base, token, "/web/session");
    assert_eq!(answer.status, 303, "{}", answer.body);
    let value = answer.cookie_value("movielens_session").expect("a session cookie");
    format!("movielens_session={value}")
}

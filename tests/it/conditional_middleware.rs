//! The conditional-request middleware around endpoints the API does not have yet: one that sets
//! its own ETag (as the response cache does), streamed bodies, and bodies that are not JSON.

use futures_util::stream;
use futures_util::StreamExt;
use movielens::api::conditional::ConditionalRequests;
use poem::endpoint::make_sync;
use poem::http::{header, Method, StatusCode};
use poem::{Body, Endpoint, EndpointExt, Request, Response};

async fn call(endpoint: &impl Endpoint<Output = Response>, method: Method, if_none_match: Option<&str>) -> Response {
    let mut request = Request::builder().method(method).uri("/api/thing".parse().unwrap());
    if let Some(value) = if_none_match {
        request = request.header(header::IF_NONE_MATCH, value);
    }
    endpoint.call(request.finish()).await.expect("the endpoint answers")
}

fn etag(response: &Response) -> Option<&str> {
    response.headers().get(header::ETAG).map(|value| value.to_str().unwrap())
}

#[tokio::test]
async fn an_etag_the_response_already_has_is_kept_and_honoured_without_hashing() {
    let cached = make_sync(|_| {
        Response::builder()
            .header(header::ETAG, "W/\"cache-v7\"")
            .header(header::CACHE_CONTROL, "max-age=120")
            .header(header::VARY, "accept")
            .header("x-cache", "HIT")
            .content_type("application/json")
            .body("{\"cached\": true}")
    })
    .with(ConditionalRequests);
    let response = call(&cached, Method::GET, None).await;
    assert_eq!(etag(&response), Some("W/\"cache-v7\""));
    assert_eq!(response.into_body().into_string().await.unwrap(), "{\"cached\": true}");

    let response = call(&cached, Method::GET, Some("\"cache-v7\"")).await;
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
    let headers = response.headers();
    assert_eq!(etag(&response), Some("W/\"cache-v7\""));
    assert_eq!(headers[header::CACHE_CONTROL], "max-age=120");
    assert_eq!(headers[header::VARY], "accept");
    assert_eq!(headers["x-cache"], "HIT");
    assert!(headers.get(header::CONTENT_TYPE).is_none());
    assert!(response.into_body().into_bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_streamed_json_body_is_passed_on_intact_and_untagged() {
    let streamed = make_sync(|_| {
        let ready = stream::iter([Ok::<_, std::io::Error>(b"[1,".to_vec())]);
        let later = stream::once(async {
            // Not ready on the first poll: the middleware must not wait for it.
            tokio::task::yield_now().await;
            Ok(b"2,3]".to_vec())
        });
        Response::builder().content_type("application/json").body(Body::from_bytes_stream(ready.chain(later)))
    })
    .with(ConditionalRequests);
    let response = call(&streamed, Method::GET, Some("*")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(etag(&response), None);
    assert_eq!(response.into_body().into_string().await.unwrap(), "[1,2,3]");
}

#[tokio::test]
async fn a_json_body_in_several_ready_chunks_is_tagged_as_one() {
    let chunked = make_sync(|_| {
        let chunks = stream::iter(["{\"a\":", "1}"].map(|chunk| Ok::<_, std::io::Error>(chunk.as_bytes().to_vec())));
        Response::builder().content_type("application/json").body(Body::from_bytes_stream(chunks))
    })
    .with(ConditionalRequests);
    let whole =
        make_sync(|_| Response::builder().content_type("application/json").body("{\"a\":1}")).with(ConditionalRequests);
    let response = call(&chunked, Method::GET, None).await;
    let tag = etag(&response).expect("tagged").to_string();
    assert_eq!(Some(tag.as_str()), etag(&call(&whole, Method::GET, None).await), "the tag is the body's");
    assert_eq!(response.into_body().into_string().await.unwrap(), "{\"a\":1}");
}

#[tokio::test]
async fn bodies_that_are_not_json_or_too_large_to_hold_are_not_tagged() {
    let html =
        make_sync(|_| Response::builder().content_type("text/html").body("<p>docs</p>")).with(ConditionalRequests);
    let response = call(&html, Method::GET, Some("*")).await;
    assert_eq!((response.status(), etag(&response)), (StatusCode::OK, None));

    let huge = make_sync(|_| {
        let chunks = (0..9).map(|_| Ok::<_, std::io::Error>(vec![b' '; 1024 * 1024]));
        Response::builder().content_type("application/json").body(Body::from_bytes_stream(stream::iter(chunks)))
    })
    .with(ConditionalRequests);
    let response = call(&huge, Method::GET, Some("*")).await;
    assert_eq!((response.status(), etag(&response)), (StatusCode::OK, None));
    assert_eq!(response.into_body().into_bytes().await.unwrap().len(), 9 * 1024 * 1024, "nothing lost");
}

#[tokio::test]
async fn other_methods_pass_through_untouched() {
    let echo = make_sync(|request| {
        Response::builder().content_type("application/json").body(format!("\"{}\"", request.method()))
    })
    .with(ConditionalRequests);
    for method in [Method::POST, Method::PUT, Method::DELETE, Method::PATCH, Method::OPTIONS] {
        let response = call(&echo, method.clone(), Some("*")).await;
        assert_eq!((response.status(), etag(&response)), (StatusCode::OK, None), "{method}");
        assert_eq!(response.into_body().into_string().await.unwrap(), format!("\"{method}\""));
    }
}

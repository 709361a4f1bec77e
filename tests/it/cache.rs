//! The cache module on both backends: moka in process, and a real `redis-server` the tests start.
//! Each scenario runs as `<scenario>::in_memory` and `<scenario>::on_redis`.

use crate::common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::eventually;
use common::redis_server::RedisServer;
use movielens::cache::{Cache, CacheConfig, CacheStatus, CachedResponse};

const MINUTE: Duration = Duration::from_secs(60);

fn config(url: Option<String>) -> CacheConfig {
    CacheConfig {
        url,
        breaker_cooldown: Duration::from_millis(200),
        redis_timeout: Duration::from_millis(250),
        ..CacheConfig::default()
    }
}

/// Runs a scenario `async fn(Cache, Option<&mut RedisServer>)` on both backends.
macro_rules! on_both_backends {
    ($scenario:ident) => {
        mod $scenario {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn in_memory() {
                let cache = movielens::cache::Cache::new(&super::config(None)).await.unwrap();
                super::$scenario(cache, None).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_redis() {
                let Some(mut server) = super::RedisServer::start_or_skip() else { return };
                let cache = movielens::cache::Cache::new(&super::config(Some(server.url()))).await.unwrap();
                super::$scenario(cache, Some(&mut server)).await;
            }
        }
    };
}

async fn load_value(value: &str) -> Result<String, std::convert::Infallible> {
    Ok(value.to_string())
}

on_both_backends!(a_miss_is_followed_by_hits_until_the_key_is_deleted);
async fn a_miss_is_followed_by_hits_until_the_key_is_deleted(cache: Cache, _: Option<&mut RedisServer>) {
    assert_eq!(cache.get::<Vec<u32>>("manual:movies").await, None);
    cache.set("manual:movies", &vec![1u32, 2, 3], MINUTE).await;
    assert_eq!(cache.get::<Vec<u32>>("manual:movies").await, Some(vec![1, 2, 3]));

    let first = cache.get_or_set("view:genres", MINUTE, || load_value("drama")).await.unwrap();
    let second = cache.get_or_set("view:genres", MINUTE, || load_value("changed")).await.unwrap();
    assert_eq!((first.value.as_str(), first.status), ("drama", CacheStatus::Miss));
    assert_eq!((second.value.as_str(), second.status), ("drama", CacheStatus::Hit));

    assert!(cache.delete("view:genres").await);
    let third = cache.get_or_set("view:genres", MINUTE, || load_value("comedy")).await.unwrap();
    assert_eq!((third.value.as_str(), third.status), ("comedy", CacheStatus::Miss));

    let stats = cache.stats().await;
    let of = |prefix: &str| stats.prefixes.iter().find(|row| row.prefix == prefix).map(|row| (row.hits, row.misses));
    assert_eq!(of("manual"), Some((1, 1)));
    assert_eq!(of("view"), Some((1, 2)));
    assert_eq!((stats.hits, stats.misses), (2, 3));
}

on_both_backends!(an_entry_expires_after_its_ttl);
async fn an_entry_expires_after_its_ttl(cache: Cache, _: Option<&mut RedisServer>) {
    cache.set("manual:short", &"soon gone", Duration::from_millis(300)).await;
    cache.set("manual:long", &"stays", MINUTE).await;
    eventually("the short entry's expiry", || async { cache.get::<String>("manual:short").await.is_none() }).await;
    assert_eq!(cache.get::<String>("manual:long").await.as_deref(), Some("stays"));
}

on_both_backends!(delete_prefix_removes_exactly_the_keys_that_start_with_it);
async fn delete_prefix_removes_exactly_the_keys_that_start_with_it(cache: Cache, _: Option<&mut RedisServer>) {
    let keys = ["view:/api/genres", "view:/api/genres?page=2", "view:/api/movies", "glob*[x]?", "globby", "viewer"];
    for key in keys {
        cache.set(key, &key, MINUTE).await;
    }
    assert_eq!(cache.delete_prefix("view:/api/genres").await, 2);
    // Glob characters in a prefix match only themselves.
    assert_eq!(cache.delete_prefix("glob*").await, 1);
    let left: Vec<&str> = {
        let mut left = Vec::new();
        for key in keys {
            if cache.get::<String>(key).await.is_some() {
                left.push(key);
            }
        }
        left
    };
    assert_eq!(left, ["view:/api/movies", "globby", "viewer"]);
}

on_both_backends!(incr_counts_from_zero_in_steps_of_any_size);
async fn incr_counts_from_zero_in_steps_of_any_size(cache: Cache, _: Option<&mut RedisServer>) {
    assert_eq!(cache.incr("counter:visits", 1).await, Some(1));
    assert_eq!(cache.incr("counter:visits", 5).await, Some(6));
    assert_eq!(cache.incr("counter:visits", -2).await, Some(4));
    assert_eq!(cache.incr("counter:other", 1).await, Some(1));
}

on_both_backends!(clear_removes_our_entries_and_no_one_elses);
async fn clear_removes_our_entries_and_no_one_elses(cache: Cache, server: Option<&mut RedisServer>) {
    cache.set("manual:a", &1, MINUTE).await;
    cache.set("view:b", &2, MINUTE).await;
    let version = cache.bump_data_version().await;
    if let Some(server) = &server {
        server.command(&["SET", "someone-else:1:key", "theirs"]);
    }
    cache.set("manual:a", &1, MINUTE).await;
    cache.clear().await;
    assert_eq!(cache.get::<i32>("manual:a").await, None);
    assert_eq!(cache.get::<i32>("view:b").await, None);
    assert_eq!(cache.data_version().await, version, "clear keeps the data version");
    if let Some(server) = server {
        assert!(server.command(&["GET", "someone-else:1:key"]).contains("theirs"));
    }
}

on_both_backends!(a_data_version_bump_makes_every_older_entry_unreachable);
async fn a_data_version_bump_makes_every_older_entry_unreachable(cache: Cache, _: Option<&mut RedisServer>) {
    let before = cache.data_version().await;
    cache.get_or_set("view:genres", MINUTE, || load_value("old")).await.unwrap();
    assert_eq!(cache.bump_data_version().await, before + 1);
    assert_eq!(cache.data_version().await, before + 1);
    let after = cache.get_or_set("view:genres", MINUTE, || load_value("new")).await.unwrap();
    assert_eq!((after.value.as_str(), after.status), ("new", CacheStatus::Miss));
}

on_both_backends!(a_value_computed_across_a_write_is_never_served);
async fn a_value_computed_across_a_write_is_never_served(cache: Cache, _: Option<&mut RedisServer>) {
    // The read began before the write's bump: what it computed may be old, so it is not reused.
    let writer = cache.clone();
    let raced = cache
        .get_or_set("view:genres", MINUTE, || async move {
            writer.bump_data_version().await;
            load_value("read before the write").await
        })
        .await
        .unwrap();
    assert_eq!(raced.status, CacheStatus::Miss);
    let next = cache.get_or_set("view:genres", MINUTE, || load_value("fresh")).await.unwrap();
    assert_eq!((next.value.as_str(), next.status), ("fresh", CacheStatus::Miss));

    // The manual pattern: fetch, compute, store stamped with the fetch's version.
    let fetched = cache.fetch::<String>("manual:movies").await;
    cache.bump_data_version().await;
    cache.set_stamped("manual:movies", &"stale".to_string(), MINUTE, fetched.data_version).await;
    assert_eq!(cache.get::<String>("manual:movies").await, None);
}

on_both_backends!(fifty_concurrent_misses_on_one_key_compute_once);
async fn fifty_concurrent_misses_on_one_key_compute_once(cache: Cache, _: Option<&mut RedisServer>) {
    let computations = Arc::new(AtomicUsize::new(0));
    // A semaphore rather than a Notify: if the misses did not share one load, every loader is
    // released and the count below fails instead of hanging.
    let release = Arc::new(tokio::sync::Semaphore::new(0));
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (cache, computations, release) = (cache.clone(), computations.clone(), release.clone());
        tasks.push(tokio::spawn(async move {
            cache
                .get_or_set("flight:key", MINUTE, || async move {
                    computations.fetch_add(1, Ordering::SeqCst);
                    let _permit = release.acquire().await.unwrap();
                    load_value("computed once").await
                })
                .await
                .unwrap()
        }));
    }
    // Every caller counts its miss just before it joins the flight; hold the loader until all have.
    eventually("fifty misses", || async { cache.stats().await.misses == 50 }).await;
    release.add_permits(50);
    for task in tasks {
        let loaded = task.await.unwrap();
        assert_eq!((loaded.value.as_str(), loaded.status), ("computed once", CacheStatus::Miss));
    }
    assert_eq!(computations.load(Ordering::SeqCst), 1);
    assert_eq!(cache.get::<String>("flight:key").await.as_deref(), Some("computed once"));
}

on_both_backends!(a_failed_load_is_not_cached_and_waiters_load_again);
async fn a_failed_load_is_not_cached_and_waiters_load_again(cache: Cache, _: Option<&mut RedisServer>) {
    let failed: Result<_, &str> = cache.get_or_set::<String, _, _, _>("view:x", MINUTE, || async { Err("boom") }).await;
    assert_eq!(failed.unwrap_err(), "boom");
    let next = cache.get_or_set("view:x", MINUTE, || load_value("ok")).await.unwrap();
    assert_eq!(next.status, CacheStatus::Miss);
}

on_both_backends!(whole_responses_round_trip_and_errors_are_not_stored);
async fn whole_responses_round_trip_and_errors_are_not_stored(cache: Cache, _: Option<&mut RedisServer>) {
    let response = CachedResponse {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into()), ("vary".into(), "accept".into())],
        body: bytes::Bytes::from_static(br#"{"genres":["Drama"]}"#),
    };
    let ok = response.clone();
    let first = cache.get_or_set_response("view:/api/genres", MINUTE, || async move { Ok::<_, ()>(ok) }).await.unwrap();
    let second = cache.get_or_set_response("view:/api/genres", MINUTE, || async { Err(()) }).await.unwrap();
    assert_eq!((first.status, second.status), (CacheStatus::Miss, CacheStatus::Hit));
    assert_eq!(second.value, response);
    assert_eq!(cache.fetch_response("view:/api/genres").await.value, Some(response));

    let refused = cache.get_or_set_response("view:/api/oops", MINUTE, || async { Err::<CachedResponse, _>(500) }).await;
    assert_eq!(refused.unwrap_err(), 500);
    assert_eq!(cache.fetch_response("view:/api/oops").await.value, None);
    // A JSON entry is not a response, and the other way round.
    cache.set("view:json", &"text", MINUTE).await;
    assert_eq!(cache.fetch_response("view:json").await.value, None);
    assert_eq!(cache.get::<String>("view:/api/genres").await, None);
}

on_both_backends!(hostile_keys_and_mismatched_types_are_plain_misses);
async fn hostile_keys_and_mismatched_types_are_plain_misses(cache: Cache, _: Option<&mut RedisServer>) {
    let long = "k".repeat(10_000);
    for key in ["with space", "new\nline", "ünï©ødé 🎬", "", ":::", long.as_str()] {
        cache.set(key, &42u32, MINUTE).await;
        assert_eq!(cache.get::<u32>(key).await, Some(42), "key {key:?}");
        assert_eq!(cache.get::<Vec<String>>(key).await, None, "key {key:?} read as another type");
    }
}

on_both_backends!(a_load_cancelled_midway_hands_the_key_to_a_waiter);
async fn a_load_cancelled_midway_hands_the_key_to_a_waiter(cache: Cache, _: Option<&mut RedisServer>) {
    // A client that disconnects drops its request, and with it the load it was leading.
    let loading = Arc::new(tokio::sync::Notify::new());
    let leader = {
        let (cache, loading) = (cache.clone(), loading.clone());
        tokio::spawn(async move {
            cache
                .get_or_set("view:slow", MINUTE, || async move {
                    loading.notify_one();
                    std::future::pending::<Result<String, std::convert::Infallible>>().await
                })
                .await
        })
    };
    loading.notified().await;
    let waiter = {
        let cache = cache.clone();
        tokio::spawn(async move { cache.get_or_set("view:slow", MINUTE, || load_value("from the waiter")).await })
    };
    eventually("the waiter joining the load", || async { cache.stats().await.misses == 2 }).await;
    leader.abort();
    let loaded = tokio::time::timeout(Duration::from_secs(20), waiter).await.expect("the waiter is not stuck");
    assert_eq!(loaded.unwrap().unwrap().value, "from the waiter");
}

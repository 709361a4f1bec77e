//! The Redis backend against a real `redis-server`: two instances sharing it, an outage
//! mid-test, a Redis that is down at startup, and the in-memory byte bound.

use crate::common;

use std::time::{Duration, Instant};

use common::eventually;
use common::redis_server::RedisServer;
use movielens::cache::{Cache, CacheConfig, CacheError, CacheStatus};

const MINUTE: Duration = Duration::from_secs(60);

fn redis_config(server: &RedisServer) -> CacheConfig {
    CacheConfig {
        url: Some(server.url()),
        redis_timeout: Duration::from_millis(250),
        breaker_cooldown: Duration::from_millis(200),
        ..CacheConfig::default()
    }
}

fn now_unix_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64
}

async fn load_value(value: &str) -> Result<String, std::convert::Infallible> {
    Ok(value.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_redis_share_values_and_see_each_others_bumps() {
    let Some(server) = RedisServer::start_or_skip() else { return };
    let a = Cache::new(&redis_config(&server)).await.unwrap();
    let b = Cache::new(&redis_config(&server)).await.unwrap();

    a.get_or_set("view:genres", MINUTE, || load_value("from a")).await.unwrap();
    let on_b = b.get_or_set("view:genres", MINUTE, || load_value("from b")).await.unwrap();
    assert_eq!((on_b.value.as_str(), on_b.status), ("from a", CacheStatus::Hit));

    // A write on b: a's very next read must not serve the old entry.
    b.bump_data_version().await;
    let on_a = a.get_or_set("view:genres", MINUTE, || load_value("after the write")).await.unwrap();
    assert_eq!((on_a.value.as_str(), on_a.status), ("after the write", CacheStatus::Miss));
    assert_eq!(a.data_version().await, b.data_version().await);
    assert_eq!(b.get::<String>("view:genres").await.as_deref(), Some("after the write"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_killed_calls_return_fast_as_misses_and_it_is_used_again_once_restarted() {
    let Some(mut server) = RedisServer::start_or_skip() else { return };
    let cache = Cache::new(&redis_config(&server)).await.unwrap();
    cache.set("manual:movies", &"cached", MINUTE).await;
    let version_before = cache.data_version().await;
    let killed_at = now_unix_ms();
    server.kill();

    let started = Instant::now();
    for round in 0..100 {
        assert_eq!(cache.get::<String>("manual:movies").await, None);
        cache.set("manual:movies", &"skipped", MINUTE).await;
        let loaded = cache.get_or_set("view:genres", MINUTE, || load_value("computed")).await.unwrap();
        assert_eq!((loaded.value.as_str(), loaded.status), ("computed", CacheStatus::Miss), "round {round}");
    }
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(10), "300 calls with Redis down took {elapsed:?}");

    // A write while Redis is down still moves this instance's view of the data version.
    let bumped = cache.bump_data_version().await;
    assert!(bumped > version_before);
    assert_eq!(cache.data_version().await, bumped);

    let stats = cache.stats().await;
    let redis = stats.redis.expect("the Redis backend reports its health");
    assert!(!redis.up, "stats say Redis is down: {redis:?}");
    assert!(redis.since_unix_ms >= killed_at, "the outage began after the kill: {redis:?}");
    assert!(redis.last_error.is_some());
    assert!(redis.skipped_writes >= 1);
    assert_eq!(redis.outages, 1);
    assert_eq!((stats.entries, stats.bytes), (None, None));

    server.restart();
    eventually("the cache being used again", || async {
        cache.set("manual:back", &"again", MINUTE).await;
        cache.get::<String>("manual:back").await.is_some()
    })
    .await;
    let redis = cache.stats().await.redis.unwrap();
    assert!(redis.up, "stats say Redis is up again: {redis:?}");
    // The bump made during the outage reached the shared counter, before anything was read.
    assert!(cache.data_version().await >= 1);
    assert!(!server.command(&["GET", "movielens:data_version"]).starts_with("$-1"), "the counter exists again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_frozen_the_breaker_stops_calls_from_waiting_out_the_timeout() {
    let Some(server) = RedisServer::start_or_skip() else { return };
    let cache = Cache::new(&redis_config(&server)).await.unwrap();
    cache.set("manual:movies", &"cached", MINUTE).await;
    server.pause();
    // Without the breaker each call would wait its 250 ms: 300 calls, 75 s.
    let started = Instant::now();
    for _ in 0..100 {
        assert_eq!(cache.get::<String>("manual:movies").await, None);
        cache.set("manual:other", &1, MINUTE).await;
        assert_eq!(cache.incr("counter:x", 1).await, None);
    }
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(15), "300 calls to a frozen Redis took {elapsed:?}");
    let redis = cache.stats().await.redis.unwrap();
    assert!(!redis.up && redis.last_error.is_some(), "{redis:?}");

    server.resume();
    eventually("the cache being used again", || async {
        cache.get::<String>("manual:movies").await.is_some() || {
            cache.set("manual:movies", &"again", MINUTE).await;
            false
        }
    })
    .await;
    assert!(cache.stats().await.redis.unwrap().up);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bump_missed_during_an_outage_reaches_the_other_instances_when_redis_returns() {
    let Some(mut server) = RedisServer::start_or_skip() else { return };
    let a = Cache::new(&redis_config(&server)).await.unwrap();
    server.kill();
    let at_kill = a.data_version().await;
    a.bump_data_version().await;
    server.restart();
    // Redis came back empty; a fresh instance b stores an entry under version 0 before a uses
    // Redis again. Once a is back, its bump must have moved the shared counter past it.
    let b = Cache::new(&redis_config(&server)).await.unwrap();
    b.get_or_set("view:genres", MINUTE, || load_value("from b, before a's bump")).await.unwrap();
    eventually("a using Redis again", || async { a.stats().await.redis.unwrap().up }).await;
    let on_b = b.get_or_set("view:genres", MINUTE, || load_value("fresh")).await.unwrap();
    assert_eq!((on_b.value.as_str(), on_b.status), ("fresh", CacheStatus::Miss));
    assert!(a.data_version().await > at_kill);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_down_at_startup_is_not_an_error_and_is_used_once_it_starts() {
    let Some(mut server) = RedisServer::start_or_skip() else { return };
    server.kill();
    let cache = Cache::new(&redis_config(&server)).await.expect("a Redis that is down does not stop the start");
    assert!(!cache.stats().await.redis.unwrap().up);
    assert_eq!(cache.get::<u32>("manual:x").await, None);
    server.restart();
    eventually("the cache being used", || async {
        cache.set("manual:x", &7u32, MINUTE).await;
        cache.get::<u32>("manual:x").await == Some(7)
    })
    .await;
}

#[tokio::test]
async fn a_malformed_cache_url_is_a_clear_error() {
    let config = CacheConfig { url: Some("http://127.0.0.1:6379".into()), ..CacheConfig::default() };
    let err = Cache::new(&config).await.err().expect("an http URL is refused");
    assert!(matches!(err, CacheError::BadUrl(_)), "{err}");
    let stderr = common::movielens_err(&["serve", "--cache-url", "not a url"]);
    assert!(stderr.contains("--cache-url") && stderr.contains("not a Redis URL"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_in_memory_cache_stays_within_its_byte_bound_under_a_key_scan() {
    let max_bytes = 64 * 1024;
    let cache = Cache::new(&CacheConfig { max_bytes, ..CacheConfig::default() }).await.unwrap();
    let value = "x".repeat(200);
    for round in 0..40 {
        for index in 0..500 {
            cache.set(&format!("scan:/api/movies?page={round}-{index}"), &value, MINUTE).await;
        }
        cache.run_pending_tasks().await;
        let stats = cache.stats().await;
        let bytes = stats.bytes.unwrap();
        assert!(bytes <= max_bytes, "round {round}: {bytes} bytes held, bound {max_bytes}");
    }
    let stats = cache.stats().await;
    assert!(stats.evictions > 0, "a scan 40 times the bound evicts: {stats:?}");
    assert_eq!(stats.max_bytes, Some(max_bytes));
    assert!(stats.entries.unwrap() > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_redis_refuses_do_not_open_the_breaker() {
    let Some(server) = RedisServer::start_or_skip() else { return };
    let cache = Cache::new(&redis_config(&server)).await.unwrap();
    cache.set("manual:value", &"not a number", MINUTE).await;
    for _ in 0..10 {
        assert_eq!(cache.incr("manual:value", 1).await, None, "INCRBY on a cached value is refused");
    }
    assert_eq!(cache.get::<String>("manual:value").await.as_deref(), Some("not a number"));
    assert!(cache.stats().await.redis.unwrap().up);
}

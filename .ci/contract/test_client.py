"""Drive the live MovieLens API through a client generated from openapi/openapi.json.

run.sh generates the client with openapi-python-client, installs it, and runs this
file with pytest against a server that serves the real ml-latest-small data set.

Environment:
    MOVIELENS_BASE_URL     e.g. http://127.0.0.1:8000 (no trailing /api)
    MOVIELENS_ADMIN_TOKEN  the admin token the server was started with
"""

from __future__ import annotations

import os
import uuid

import pytest

from movie_lens_api_client import AuthenticatedClient, Client
from movie_lens_api_client.api.caching import (
    cache_clear,
    cache_manual,
    cache_partial,
    cache_per_view,
    cache_stats,
)
from movie_lens_api_client.api.health import health
from movie_lens_api_client.api.lab_connection_reuse import lab_connection_pool
from movie_lens_api_client.api.lab_f_expressions import lab_f_update
from movie_lens_api_client.api.lab_indexes import lab_index_compare
from movie_lens_api_client.api.lab_n1_queries import lab_n_plus_one
from movie_lens_api_client.api.lab_prefetch_related import lab_prefetch_related
from movie_lens_api_client.api.lab_q_filters import lab_q_filters
from movie_lens_api_client.api.lab_select_related import lab_select_related
from movie_lens_api_client.api.lab_values_and_values_list import lab_values_list
from movie_lens_api_client.api.movies import get_movie, list_movies
from movie_lens_api_client.api.ratings import create_rating, delete_rating
from movie_lens_api_client.models.error import Error
from movie_lens_api_client.models.movie_detail import MovieDetail
from movie_lens_api_client.models.movie_sort import MovieSort
from movie_lens_api_client.models.new_rating import NewRating
from movie_lens_api_client.models.page_movie_summary import PageMovieSummary
from movie_lens_api_client.models.rating import Rating
from movie_lens_api_client.types import UNSET

BASE_URL = os.environ.get("MOVIELENS_BASE_URL", "").rstrip("/")
TOKEN = os.environ.get("MOVIELENS_ADMIN_TOKEN", "")

pytestmark = pytest.mark.skipif(
    not BASE_URL or not TOKEN, reason="MOVIELENS_BASE_URL and MOVIELENS_ADMIN_TOKEN must be set"
)


@pytest.fixture()
def client() -> Client:
    # raise_on_unexpected_status: a status code the spec does not document is an error.
    with Client(base_url=BASE_URL, raise_on_unexpected_status=True, timeout=30.0) as c:
        yield c


@pytest.fixture()
def admin() -> AuthenticatedClient:
    with AuthenticatedClient(
        base_url=BASE_URL, token=TOKEN, raise_on_unexpected_status=True, timeout=30.0
    ) as c:
        yield c


def assert_error(resp, status: int, code: str | None = None) -> Error:
    assert resp.status_code == status, resp.content
    err = resp.parsed
    assert isinstance(err, Error), resp.content
    assert err.message
    assert err.request_id
    assert resp.headers.get("x-request-id") == err.request_id
    if code is not None:
        assert err.code == code, err
    return err


def test_health(client: Client) -> None:
    resp = health.sync_detailed(client=client)
    assert resp.status_code == 200, resp.content
    assert resp.parsed.status == "ok"


def test_list_movies_genre_year_sort(client: Client) -> None:
    resp = list_movies.sync_detailed(
        client=client,
        genre=["Comedy"],
        year_min=2000,
        sort=MovieSort("title"),
        page_size=25,
    )
    assert resp.status_code == 200, resp.content
    page = resp.parsed
    assert isinstance(page, PageMovieSummary)
    assert page.count > len(page.results) > 0
    assert page.next_ is not UNSET  # more than one page
    assert page.previous is UNSET  # first page
    for m in page.results:
        assert "Comedy" in m.genres, m
        assert m.year is not UNSET and m.year >= 2000, m
    titles = [m.title for m in page.results]
    assert titles == sorted(titles), titles


def test_list_movies_year_range_and_descending_sort(client: Client) -> None:
    resp = list_movies.sync_detailed(
        client=client,
        genre=["Animation"],
        year_min=1990,
        year_max=1999,
        min_ratings=50,
        sort=MovieSort("-rating_count"),
        page_size=10,
    )
    assert resp.status_code == 200, resp.content
    page = resp.parsed
    assert isinstance(page, PageMovieSummary)
    assert page.results
    counts = [m.rating_count for m in page.results]
    assert counts == sorted(counts, reverse=True), counts
    for m in page.results:
        assert "Animation" in m.genres and 1990 <= m.year <= 1999 and m.rating_count >= 50, m
    # Toy Story is the most-rated 1990s animation in ml-latest-small (215 ratings).
    assert page.results[0].id == 1 and page.results[0].rating_count == 215, page.results[0]


def test_list_movies_without_genre(client: Client) -> None:
    resp = list_movies.sync_detailed(client=client, page_size=5)  # no genre argument
    assert resp.status_code == 200, resp.content
    assert resp.parsed.count == 9742


def test_list_movies_unknown_genre_is_400(client: Client) -> None:
    resp = list_movies.sync_detailed(client=client, genre=["NoSuchGenre"])
    assert_error(resp, 400)


def test_get_movie_toy_story(client: Client) -> None:
    resp = get_movie.sync_detailed(movie_id=1, client=client)
    assert resp.status_code == 200, resp.content
    movie = resp.parsed
    assert isinstance(movie, MovieDetail)
    assert movie.id == 1
    assert movie.title == "Toy Story (1995)"
    assert movie.year == 1995
    assert {"Animation", "Children", "Comedy"} <= set(movie.genres)
    assert movie.ratings.count == 215
    assert sum(b.count for b in movie.ratings.histogram) == 215
    assert [b.rating for b in movie.ratings.histogram] == [x / 2 for x in range(1, 11)]
    assert 3.5 < movie.ratings.mean < 4.5
    assert movie.links is not UNSET and movie.links.imdb_id == "0114709"


def test_get_movie_unknown_is_404(client: Client) -> None:
    resp = get_movie.sync_detailed(movie_id=987654321, client=client)
    assert_error(resp, 404)


def test_create_rating_without_token_is_401(client: Client) -> None:
    body = NewRating(user_id=1, movie_id=1, rating=4.5)
    resp = create_rating.sync_detailed(client=client, body=body)
    assert_error(resp, 401)


def test_create_rating_with_wrong_token_is_403() -> None:
    with AuthenticatedClient(
        base_url=BASE_URL, token="wrong-" + uuid.uuid4().hex, raise_on_unexpected_status=True
    ) as bad:
        resp = create_rating.sync_detailed(
            client=bad, body=NewRating(user_id=1, movie_id=1, rating=4.5)
        )
    assert_error(resp, 403)


def test_create_then_delete_rating_with_token(admin: AuthenticatedClient, client: Client) -> None:
    # Movie 2 (Jumanji), so the Toy Story figures above are never disturbed.
    before = get_movie.sync_detailed(movie_id=2, client=client).parsed.ratings.count
    resp = create_rating.sync_detailed(
        client=admin, body=NewRating(user_id=1, movie_id=2, rating=3.5, timestamp=1_000_000_000)
    )
    assert resp.status_code == 201, resp.content
    rating = resp.parsed
    assert isinstance(rating, Rating)
    assert (rating.user_id, rating.movie_id, rating.rating, rating.timestamp) == (
        1,
        2,
        3.5,
        1_000_000_000,
    )
    assert rating.movie_title == "Jumanji (1995)"
    assert get_movie.sync_detailed(movie_id=2, client=client).parsed.ratings.count == before + 1

    # Deleting also needs the token.
    assert_error(delete_rating.sync_detailed(rating_id=rating.id, client=client), 401)
    resp = delete_rating.sync_detailed(rating_id=rating.id, client=admin)
    assert resp.status_code == 204, resp.content
    assert get_movie.sync_detailed(movie_id=2, client=client).parsed.ratings.count == before
    assert_error(delete_rating.sync_detailed(rating_id=rating.id, client=admin), 404)


def test_lab_counts_statements_truly(client: Client) -> None:
    for operation, expected in ((lab_n_plus_one, 11), (lab_select_related, 1), (lab_prefetch_related, 3)):
        resp = operation.sync_detailed(client=client)
        assert resp.status_code == 200, resp.content
        report = resp.parsed
        assert report.queries_count == expected, report
        assert len(report.queries) == expected
        assert len(report.data) == 10
    n_plus_one = lab_n_plus_one.sync_detailed(client=client, limit=5).parsed
    assert [group.count for group in n_plus_one.similar_queries] == [5]
    assert n_plus_one.data[0].title == "Toy Story (1995)"


def test_lab_q_filters_and_the_filter_language(client: Client) -> None:
    resp = lab_q_filters.sync_detailed(client=client, q="genre:Comedy AND year>=2015", limit=3)
    assert resp.status_code == 200, resp.content
    filters = resp.parsed.data.filters
    assert len(filters) == 4
    # Cheaper conditions first: the year comparison is tested before the genre function.
    assert filters[3].params == [2015, "Comedy"]
    assert all(run.queries_count == 2 for run in filters)
    assert resp.parsed.queries_count == 8
    assert_error(lab_q_filters.sync_detailed(client=client, q="year>="), 400, "invalid_request")
    page = list_movies.sync_detailed(client=client, filter_="genre:Comedy AND year>=2015", page_size=5).parsed
    assert isinstance(page, PageMovieSummary)
    assert page.count == filters[3].total


def test_lab_values_list_flat(client: Client) -> None:
    report = lab_values_list.sync_detailed(client=client, limit=3, flat=True).parsed
    assert report.data == [1, 2, 3]


def test_cache_clear_then_miss_then_hit_through_the_client(admin: AuthenticatedClient, client: Client) -> None:
    assert_error(cache_clear.sync_detailed(client=client), 401)
    assert cache_clear.sync_detailed(client=admin).status_code == 204
    first = cache_manual.sync_detailed(client=client).parsed
    second = cache_manual.sync_detailed(client=client).parsed
    assert (first.cache_status.value, second.cache_status.value) == ("MISS", "HIT")
    assert second.data[0].title == "Toy Story (1995)"
    miss = cache_per_view.sync_detailed(client=client)
    hit = cache_per_view.sync_detailed(client=client)
    assert (miss.headers["x-cache"], hit.headers["x-cache"]) == ("MISS", "HIT")
    assert (miss.parsed.cache_status.value, hit.parsed.cache_status.value) == ("MISS", "HIT")
    assert hit.parsed.timestamp == miss.parsed.timestamp
    partial = cache_partial.sync_detailed(client=client).parsed
    assert len(partial.expensive_data) == 10
    stats = cache_stats.sync_detailed(client=client).parsed
    assert stats.backend == "memory" and stats.hits >= 2


def test_lab_f_update_loses_nothing_with_f(admin: AuthenticatedClient, client: Client) -> None:
    assert_error(lab_f_update.sync_detailed(client=client), 401)
    resp = lab_f_update.sync_detailed(client=admin, concurrency=4, increments=200)
    assert resp.status_code == 200, resp.content
    race = resp.parsed.data
    assert race.f_expression.final_value == 200
    assert race.f_expression.lost_updates == 0
    assert race.read_modify_write.final_value + race.read_modify_write.lost_updates == 200


def test_lab_index_compare_and_connection_pool(client: Client) -> None:
    report = lab_index_compare.sync_detailed(client=client, runs=3).parsed
    assert any("USING COVERING INDEX ratings_user_id" in line for line in report.data.indexed.plan)
    assert any(line.startswith("SCAN ratings") for line in report.data.unindexed.plan)
    assert report.data.speedup > 0
    pool = lab_connection_pool.sync_detailed(client=client).parsed
    assert pool.queries_count == 0
    assert pool.data.checkouts >= 1

#!/usr/bin/env python3
"""Times the web admin's list pages, signed in, one request at a time over one connection.

    list_pages.py BASE_URL TOKEN ROUNDS

Signs in through /login as a browser does (the form's CSRF token and cookie), then requests each
page below ROUNDS times in turn and prints, per page, the rows it showed and the median, p95 and
worst time to the last byte. Standard library only; prints figures, asserts nothing.
"""
import http.client
import json
import re
import statistics
import sys
import time
import urllib.parse

def pages(connection):
    """(label, path) per page: searches that match many and few rows, filters, sorts and a deep
    page per model, with terms taken from the data served (movie 1, its links, a title word)."""
    connection.request("GET", "/api/movies/1")
    movie = json.loads(connection.getresponse().read())
    title = movie["title"]
    word = max(re.findall(r"[A-Za-z]{4,}", title) or ["the"], key=len)
    imdb = (movie.get("links") or {}).get("imdb_id", "0114709")
    q = urllib.parse.quote
    return [
        ("movies, no search", "/admin/movies"),
        (f"movies, title word {word!r}", f"/admin/movies?q={q(word)}"),
        ("movies, rare title", "/admin/movies?q=zyzzyva"),
        ("movies, genre filter + 'the'", "/admin/movies?q=the&genre=Horror"),
        ("movies, by title desc, page 200", "/admin/movies?sort=-title&page=200"),
        ("ratings, no search", "/admin/ratings"),
        ("ratings, title 'the'", "/admin/ratings?q=the"),
        ("ratings, movie 1's title", f"/admin/ratings?q={q(title)}"),
        ("ratings, rare title", "/admin/ratings?q=zyzzyva"),
        ("ratings, rating filter", "/admin/ratings?rating=0.5"),
        ("ratings, rating + movie 1's title", f"/admin/ratings?rating=5.0&q={q(title)}"),
        ("ratings, by rating desc", "/admin/ratings?sort=-rating"),
        ("ratings, page 2000", "/admin/ratings?page=2000"),
        ("tags, no search", "/admin/tags"),
        ("tags, common tag", "/admin/tags?q=funny"),
        ("tags, rare tag", "/admin/tags?q=zyzzyva"),
        ("tags, two letters", "/admin/tags?q=zq"),
        ("tags, by tag", "/admin/tags?sort=tag"),
        (f"tags, title word {word!r}", f"/admin/tags?q={q(word)}"),
        ("links, no search", "/admin/links"),
        ("links, movie 1's imdb id", f"/admin/links?q={imdb}"),
        ("links, rare title", "/admin/links?q=zyzzyva"),
        ("links, by tmdb desc", "/admin/links?sort=-tmdb"),
        ("genres, search", "/admin/genres?q=dr"),
    ]


def sign_in(connection, token):
    connection.request("GET", "/login?next=/admin")
    page = connection.getresponse()
    body = page.read().decode()
    login_cookie = page.getheader("Set-Cookie").split(";")[0]
    csrf = re.search(r'name="csrf" value="([^"]+)"', body).group(1)
    form = urllib.parse.urlencode({"token": token, "next": "/admin", "csrf": csrf})
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": login_cookie}
    connection.request("POST", "/login", body=form, headers=headers)
    answer = connection.getresponse()
    answer.read()
    if answer.status != 303:
        sys.exit(f"sign-in failed: {answer.status}")
    return answer.getheader("Set-Cookie").split(";")[0]


def main():
    base, token, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    host = urllib.parse.urlsplit(base).netloc
    connection = http.client.HTTPConnection(host, timeout=60)
    cookie = sign_in(connection, token)
    print(f"{'page':<36} {'rows':>5} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}")
    worst_median = 0.0
    for label, path in pages(connection):
        times, rows = [], 0
        for _ in range(rounds):
            started = time.perf_counter()
            connection.request("GET", path, headers={"Cookie": cookie})
            answer = connection.getresponse()
            body = answer.read()
            times.append((time.perf_counter() - started) * 1000)
            if answer.status != 200:
                sys.exit(f"{path}: {answer.status} {body[:300]!r}")
            rows = 0 if b"Nothing matches" in body else body.count(b"<tr") - 1
        times.sort()
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        median = statistics.median(times)
        worst_median = max(worst_median, median)
        print(f"{label:<36} {rows:>5} {median:>10.2f} {p95:>8.2f} {times[-1]:>8.2f}")
    print(f"slowest page median: {worst_median:.2f} ms")


if __name__ == "__main__":
    main()

"""Django's cache framework (django.core.cache.backends.redis.RedisCache) pointed at the
router: the calls a Django site makes, with their documented results.

Usage: python3 django_cache.py <router port> [defaults]. Exit status 0 and "ok" on success.

With `defaults` the router runs with its default `--multi-cross-slot refuse`: set_many (a
MULTI holding a cross-slot MSET) must then fail with EXECABORT and change nothing, and
everything else must work.
"""

import sys
import time

import django
from django.conf import settings

port = int(sys.argv[1])
defaults = sys.argv[2:] == ["defaults"]
settings.configure(
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}",
        }
    }
)
django.setup()

from django.core.cache import cache  # noqa: E402


def check(cond, what):
    if not cond:
        print(f"FAIL: {what}")
        sys.exit(1)


cache.clear()
cache.set("a", 1)
check(cache.get("a") == 1, "set/get int")
cache.set("obj", {"x": [1, 2, "three"]})
check(cache.get("obj") == {"x": [1, 2, "three"]}, "pickled object")
check(cache.get("missing") is None, "missing key")
check(cache.get("missing", "dflt") == "dflt", "default")
check(cache.add("a", 2) is False, "add existing")
check(cache.add("new", 3) is True, "add new")
check(cache.get("a") == 1, "add did not overwrite")

data = {f"k{i}": i for i in range(50)}
if defaults:
    import redis  # noqa: E402

    try:
        cache.set_many(data)
        check(False, "cross-slot set_many must fail with the default router")
    except redis.exceptions.ResponseError as e:
        # redis-py reports the first queued command's error (CROSSSLOT, code stripped).
        check("don't hash to the same slot" in str(e), f"set_many error {e}")
    check(cache.get_many(list(data)) == {}, "a refused set_many wrote nothing")
    for k, v in data.items():
        cache.set(k, v)
else:
    cache.set_many(data)
got = cache.get_many(list(data) + ["nope"])
check(got == data, f"get_many {got}")
cache.delete_many([f"k{i}" for i in range(25)])
check(cache.get("k0") is None and cache.get("k30") == 30, "delete_many")
check(cache.has_key("k30"), "has_key present")
check(not cache.has_key("k1"), "has_key absent")

check(cache.incr("new") == 4, "incr")
check(cache.incr("new", 10) == 14, "incr by")
check(cache.decr("new", 4) == 10, "decr")
try:
    cache.incr("no-such-key")
    check(False, "incr of a missing key must raise ValueError")
except ValueError:
    pass

check(cache.delete("a") is True, "delete existing")
check(cache.delete("a") is False, "delete missing")
check(cache.get_or_set("gos", lambda: 5) == 5, "get_or_set")
check(cache.get_or_set("gos", lambda: 6) == 5, "get_or_set keeps")

cache.set("big", "x" * 200_000)
check(cache.get("big") == "x" * 200_000, "big value")

# Timeouts: a short one expires, touch extends, None never expires.
cache.set("short", "v", timeout=1)
cache.set("touched", "v", timeout=1)
check(cache.touch("touched", 100) is True, "touch existing")
check(cache.touch("no-such-key", 100) is False, "touch missing")
cache.set("forever", "v", timeout=None)
time.sleep(1.5)
check(cache.get("short") is None, "timeout expired")
check(cache.get("touched") == "v", "touch extended the timeout")
check(cache.get("forever") == "v", "timeout None")
cache.set("zero", "v", timeout=0)
check(cache.get("zero") is None, "timeout 0 deletes")

cache.clear()
check(cache.get("k30") is None and cache.get("forever") is None, "clear")
print("ok")

"""redis-py's RedisCluster against a six-node cluster: discovery from one seed node, then
set/get on every shard, MSET/MGET of keys sharing a hash tag, a cross-slot MGET split by the
client, a cluster pipeline, and CROSSSLOT for a multi-key command across slots.

Usage: python3 cluster_client.py <port of any node>. Exit status 0 and "ok" on success.
"""

import sys

from redis.cluster import RedisCluster
from redis.exceptions import ResponseError

port = int(sys.argv[1])


def check(cond, what):
    if not cond:
        print(f"FAIL: {what}")
        sys.exit(1)


rc = RedisCluster(host="127.0.0.1", port=port, decode_responses=True)
check(len(rc.get_primaries()) == 3, f"3 primaries, got {rc.get_primaries()}")
check(len(rc.get_replicas()) == 3, f"3 replicas, got {rc.get_replicas()}")

# Plain keys land on every shard (slots of foo, bar, hello: 12182, 5061, 866).
owners = set()
for i in range(300):
    key = f"py:key:{i}"
    check(rc.set(key, f"v{i}") is True, f"SET {key}")
    owners.add(rc.get_node_from_key(key).name)
for i in range(300):
    check(rc.get(f"py:key:{i}") == f"v{i}", f"GET py:key:{i}")
check(len(owners) == 3, f"keys spread over 3 primaries, got {owners}")

# Multi-key commands within one hash tag.
check(rc.mset({"{user1}.a": "1", "{user1}.b": "2", "{user1}.c": "3"}) is True, "MSET by tag")
check(rc.mget("{user1}.a", "{user1}.b", "{user1}.c", "{user1}.none") == ["1", "2", "3", None], "MGET by tag")
check(rc.incrby("{user1}.a", 10) == 11, "INCRBY")
check(rc.delete("{user1}.b", "{user1}.c") == 2, "DEL by tag")

# Across slots: the client splits MGET per slot; the server refuses a raw cross-slot MGET.
check(rc.mget_nonatomic(["py:key:1", "py:key:2", "py:key:3"]) == ["v1", "v2", "v3"], "mget_nonatomic")
try:
    rc.execute_command("MGET", "py:key:1", "py:key:2", target_nodes=rc.get_node_from_key("py:key:1"))
    check(False, "cross-slot MGET must fail")
except ResponseError as e:
    check("don't hash to the same slot" in str(e), f"cross-slot error, got {e}")

# A cluster pipeline: commands grouped per node, replies in order.
pipe = rc.pipeline()
for i in range(50):
    pipe.set(f"py:pipe:{i}", i)
for i in range(50):
    pipe.get(f"py:pipe:{i}")
pipe.incr("{user1}.a")
replies = pipe.execute()
check(replies[:50] == [True] * 50, f"pipeline SETs: {replies[:50]}")
check(replies[50:100] == [str(i) for i in range(50)], f"pipeline GETs: {replies[50:100]}")
check(replies[100] == 12, f"pipeline INCR: {replies[100]}")

# Key count over the primaries.
total = rc.dbsize(target_nodes=RedisCluster.PRIMARIES)  # redis-py sums the replies
check(total == 300 + 1 + 50, f"DBSIZE over primaries: {total}")
rc.close()
print("ok")

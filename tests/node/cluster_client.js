// ioredis's Cluster against a six-node cluster: discovery from one seed node, then set/get
// on every shard, MSET/MGET of keys sharing a hash tag, a pipeline (ioredis sends it to one
// node, so its keys share a slot), and CROSSSLOT for a cross-slot MGET.
//
// Usage: node cluster_client.js <port of any node>. Exit status 0 and "ok" on success.
"use strict";
const Redis = require("ioredis");

const port = Number(process.argv[2]);

function check(cond, what) {
  if (!cond) {
    console.log(`FAIL: ${what}`);
    process.exit(1);
  }
}

async function main() {
  const cluster = new Redis.Cluster([{ host: "127.0.0.1", port }], {
    redisOptions: { connectTimeout: 5000 },
    slotsRefreshTimeout: 5000,
  });
  await new Promise((resolve, reject) => {
    cluster.once("ready", resolve);
    cluster.once("error", reject);
  });
  check(cluster.nodes("master").length === 3, `3 masters, got ${cluster.nodes("master").length}`);
  check(cluster.nodes("slave").length === 3, `3 replicas, got ${cluster.nodes("slave").length}`);

  for (let i = 0; i < 300; i++) {
    check((await cluster.set(`js:key:${i}`, `v${i}`)) === "OK", `SET js:key:${i}`);
  }
  for (let i = 0; i < 300; i++) {
    check((await cluster.get(`js:key:${i}`)) === `v${i}`, `GET js:key:${i}`);
  }
  let dbsizes = await Promise.all(cluster.nodes("master").map((n) => n.dbsize()));
  check(dbsizes.every((n) => n > 0), `keys on every master: ${dbsizes}`);

  check((await cluster.mset("{user2}.a", "1", "{user2}.b", "2")) === "OK", "MSET by tag");
  const got = await cluster.mget("{user2}.a", "{user2}.b", "{user2}.none");
  check(JSON.stringify(got) === JSON.stringify(["1", "2", null]), `MGET by tag: ${got}`);

  let crossSlot = null;
  try {
    await cluster.mget("js:key:1", "js:key:2");
  } catch (e) {
    crossSlot = String(e.message);
  }
  check(crossSlot !== null && crossSlot.includes("CROSSSLOT"), `cross-slot MGET: ${crossSlot}`);

  const pipe = cluster.pipeline();
  for (let i = 0; i < 50; i++) pipe.set(`{pipe}:${i}`, String(i));
  for (let i = 0; i < 50; i++) pipe.get(`{pipe}:${i}`);
  pipe.incrby("{pipe}:0", 5);
  const replies = await pipe.exec();
  check(replies.every(([err]) => err === null), `pipeline errors: ${replies.filter(([e]) => e)}`);
  check(replies.slice(0, 50).every(([, r]) => r === "OK"), "pipeline SETs");
  check(replies.slice(50, 100).every(([, r], i) => r === String(i)), "pipeline GETs");
  check(replies[100][1] === 5, `pipeline INCRBY: ${replies[100][1]}`);

  dbsizes = await Promise.all(cluster.nodes("master").map((n) => n.dbsize()));
  const total = dbsizes.reduce((a, b) => a + b, 0);
  check(total === 300 + 2 + 50, `DBSIZE over masters: ${total}`);
  await cluster.quit();
  console.log("ok");
}

main().catch((e) => {
  console.log(`FAIL: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});

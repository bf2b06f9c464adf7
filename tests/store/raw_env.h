// Raw LMDB access to a closed store, for tests that damage it on purpose.
#pragma once

#include <string>
#include <string_view>

#include <catch2/catch.hpp>
#include <lmdb.h>

namespace chorus::test {

// Opens the environment at `path` and a write transaction, committed when
// destroyed. REQUIRES: the store is closed.
struct RawEnv {
  MDB_env* env = nullptr;
  MDB_txn* txn = nullptr;
  explicit RawEnv(const std::string& path) {
    REQUIRE(mdb_env_create(&env) == 0);
    mdb_env_set_maxdbs(env, 32);
    REQUIRE(mdb_env_open(env, path.c_str(), 0, 0640) == 0);
    REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
  }
  MDB_dbi dbi(const char* name, unsigned flags = 0) {
    MDB_dbi d;
    REQUIRE(mdb_dbi_open(txn, name, flags, &d) == 0);
    return d;
  }
  void put(MDB_dbi d, std::string_view k, std::string_view v) {
    MDB_val kk{k.size(), const_cast<char*>(k.data())}, vv{v.size(), const_cast<char*>(v.data())};
    REQUIRE(mdb_put(txn, d, &kk, &vv, 0) == 0);
  }
  std::string get(MDB_dbi d, std::string_view k) {
    MDB_val kk{k.size(), const_cast<char*>(k.data())}, vv;
    REQUIRE(mdb_get(txn, d, &kk, &vv) == 0);
    return std::string(static_cast<char*>(vv.mv_data), vv.mv_size);
  }
  ~RawEnv() {
    if (txn) REQUIRE(mdb_txn_commit(txn) == 0);
    mdb_env_close(env);
  }
};

}  // namespace chorus::test

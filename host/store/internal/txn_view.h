// TxnView: an open LMDB transaction seen by code that reads inside it (a
// read transaction of a Reader call, or the writer's transaction for the
// operations that read before they write), with what error messages need.
// The functions that take one never begin or end the transaction.
#pragma once

#include <string>

#include <lmdb.h>

#include "store/internal/databases.h"

namespace chorus::store {

struct TxnView {
  MDB_txn* txn;
  const Dbs& dbs;
  const std::string& path;  // the store's, for messages
};

}  // namespace chorus::store

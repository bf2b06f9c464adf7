// Env: opening and checking the LMDB environment, the transaction gate and
// map growth. Formats are in docs/store-format.md.
#include "store/env.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <fmt/core.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/uuid.h"
#include "store/store_format.h"

namespace chorus::store {
namespace {

// LMDB forbids opening one environment twice in a process (closing either
// breaks the other's locks); this set refuses it.
std::mutex g_open_mu;
std::set<std::string>& open_paths() {
  static std::set<std::string> s;
  return s;
}

const std::shared_ptr<spdlog::logger>& logger() {
  static auto l = log::get("store");
  return l;
}

}  // namespace

Status mdb_status(int rc, std::string_view path, std::string_view what) {
  if (rc == 0) return Status::OK();
  const std::string msg = fmt::format("store {}: {}: {}", path, what, mdb_strerror(rc));
  switch (rc) {
    case MDB_MAP_FULL:
      return Status::ResourceExhausted(msg + " (the map is at its maximum size, store.map.max)");
    case MDB_TXN_FULL:
    case MDB_READERS_FULL:
    case MDB_DBS_FULL:
    case ENOSPC:
    case EDQUOT:
      return Status::ResourceExhausted(msg);
    case EACCES:
    case EPERM:
    case EROFS:
      return Status::PermissionDenied(msg);
    case ENOENT:
      return Status::NotFound(msg);
    case MDB_NOTFOUND:
      return Status::NotFound(msg);
    case MDB_KEYEXIST:
      return Status::AlreadyExists(msg);
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
      return Status::Corruption(msg);
    case MDB_VERSION_MISMATCH:
      return Status::NotSupported(msg);
    case MDB_MAP_RESIZED:
      return Status::Unavailable(msg);
    default:
      return rc > 0 ? Status::IOError(msg) : Status::Internal(msg);
  }
}

// ---- TxnGate ----

void TxnGate::enter_shared() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !exclusive_ && waiting_exclusive_ == 0; });
  ++active_;
}

void TxnGate::exit_shared() {
  std::lock_guard lock(mu_);
  if (--active_ == 0 && waiting_exclusive_ > 0) cv_.notify_all();
}

void TxnGate::enter_exclusive() {
  std::unique_lock lock(mu_);
  ++waiting_exclusive_;
  cv_.wait(lock, [&] { return active_ == 0 && !exclusive_; });
  --waiting_exclusive_;
  exclusive_ = true;
}

void TxnGate::exit_exclusive() {
  {
    std::lock_guard lock(mu_);
    exclusive_ = false;
  }
  cv_.notify_all();
}

// ---- Env ----

Env::ReadTxn& Env::ReadTxn::operator=(ReadTxn&& o) noexcept {
  if (this != &o) {
    end();
    env_ = o.env_;
    txn_ = o.txn_;
    o.txn_ = nullptr;
  }
  return *this;
}

void Env::ReadTxn::end() noexcept {
  if (txn_) {
    mdb_txn_abort(txn_);
    txn_ = nullptr;
    env_->gate_.exit_shared();
  }
}

Result<std::unique_ptr<Env>> Env::open(const StoreOptions& options) {
  namespace fs = std::filesystem;
  if (options.path.empty()) return Status::InvalidArgument("store: path is empty");
  std::unique_ptr<Env> env(new Env());
  env->path_ = options.path;
  env->read_only_ = options.read_only;
  env->map_max_ = std::max<uint64_t>(options.map_max, options.map_initial);
  env->map_growth_ = std::max<uint64_t>(options.map_growth, 1u << 20);

  std::error_code ec;
  if (options.read_only) {
    if (!fs::exists(fs::path(options.path) / "data.mdb", ec))
      return Status::NotFound(fmt::format("store {}: no store here (no data.mdb)", options.path));
  } else {
    fs::create_directories(options.path, ec);
    if (ec) return mdb_status(ec.value(), options.path, "cannot create the store directory");
  }
  if (!fs::is_directory(options.path, ec))
    return Status::InvalidArgument(fmt::format("store {}: not a directory", options.path));

  char real[PATH_MAX];
  if (!::realpath(options.path.c_str(), real))
    return mdb_status(errno, options.path, "cannot resolve the path");
  {
    std::lock_guard lock(g_open_mu);
    if (!open_paths().insert(real).second)
      return Status::FailedPrecondition(
          fmt::format("store {}: already open in this process (LMDB allows one open per process)",
                      options.path));
  }
  env->registry_key_ = real;

  int rc = mdb_env_create(&env->env_);
  if (rc != 0) return mdb_status(rc, options.path, "mdb_env_create");
  mdb_env_set_maxdbs(env->env_, kMaxNamedDbs);
  mdb_env_set_maxreaders(env->env_, kMaxReaders);
  if (!options.read_only) {
    const long page = ::sysconf(_SC_PAGESIZE);
    uint64_t initial = options.map_initial;
    if (page > 0) initial = (initial + page - 1) / page * page;
    mdb_env_set_mapsize(env->env_, initial);
  }
  unsigned flags = MDB_NOTLS | MDB_NORDAHEAD;
  if (options.read_only) flags |= MDB_RDONLY;
  if (!options.read_only && options.durability != Durability::kAlways) flags |= MDB_NOSYNC;
  // `always`: a commit syncs its data pages but not its meta page; the
  // writer's syncer thread makes it durable with one fdatasync, beside the
  // next transaction, and only then are its appends completed (writer.h).
  // LMDB stays consistent either way: a crash before that sync keeps the
  // previous meta page, whose data pages are all on disk.
  if (!options.read_only && options.durability == Durability::kAlways) flags |= MDB_NOMETASYNC;
  rc = mdb_env_open(env->env_, options.path.c_str(), flags, 0640);
  if (rc != 0) {
    Status s = mdb_status(rc, options.path, "cannot open the LMDB environment");
    if (rc == MDB_INVALID)
      s = Status::Corruption(
          fmt::format("store {}: data.mdb is not an LMDB environment (or its header is damaged)",
                      options.path));
    return s;  // ~Env closes the handle and leaves the open set
  }
  env->check_readers();
  CHORUS_RETURN_IF_ERROR(env->open_databases());
  return env;
}

Env::~Env() {
  if (env_) mdb_env_close(env_);
  if (!registry_key_.empty()) {
    std::lock_guard lock(g_open_mu);
    open_paths().erase(registry_key_);
  }
}

int Env::check_readers() {
  int dead = 0;
  if (mdb_reader_check(env_, &dead) == 0 && dead > 0)
    logger()->info("store {}: cleared {} stale reader slot{} of dead processes", path_, dead,
                   dead == 1 ? "" : "s");
  return dead;
}

Status Env::open_databases() {
  MDB_txn* txn = nullptr;
  const unsigned txn_flags = read_only_ ? MDB_RDONLY : 0;
  int rc = mdb_txn_begin(env_, nullptr, txn_flags, &txn);
  if (rc == MDB_MAP_RESIZED) {
    mdb_env_set_mapsize(env_, 0);
    rc = mdb_txn_begin(env_, nullptr, txn_flags, &txn);
  }
  if (rc != 0) return mdb_status(rc, path_, "begin the opening transaction");
  auto fail = [&](Status s) {
    mdb_txn_abort(txn);
    return s;
  };

  // The unnamed database lists the named ones: a non-empty environment
  // without `meta` is someone else's LMDB, not a chorus store.
  MDB_dbi main_dbi;
  rc = mdb_dbi_open(txn, nullptr, 0, &main_dbi);
  if (rc != 0) return fail(mdb_status(rc, path_, "open the main database"));
  MDB_stat main_stat;
  mdb_stat(txn, main_dbi, &main_stat);

  rc = mdb_dbi_open(txn, db::kMeta, read_only_ ? 0 : MDB_CREATE, &dbs_.meta);
  if (rc == MDB_NOTFOUND || (rc == MDB_INCOMPATIBLE))
    return fail(Status::Corruption(
        fmt::format("store {}: not a chorus store ({} database{} but no '{}')", path_,
                    main_stat.ms_entries, main_stat.ms_entries == 1 ? "" : "s", db::kMeta)));
  if (rc != 0) return fail(mdb_status(rc, path_, "open database 'meta'"));

  MDB_val k = to_val(meta_key::kFormat), v;
  rc = mdb_get(txn, dbs_.meta, &k, &v);
  if (rc == MDB_NOTFOUND) {
    if (read_only_ || main_stat.ms_entries > 0)
      return fail(Status::Corruption(
          fmt::format("store {}: not a chorus store (no format version in 'meta')", path_)));
    // A new store: the format version and counters (docs/store-format.md "meta").
    format_ = kStoreFormatVersion;
    char b[8];
    auto put = [&](std::string_view key, std::string_view val) {
      MDB_val mk = to_val(key), mv = to_val(val);
      return mdb_put(txn, dbs_.meta, &mk, &mv, 0);
    };
    put_be32(b, kStoreFormatVersion);
    rc = put(meta_key::kFormat, {b, 4});
    const Uuid id = new_uuid_v7();
    if (rc == 0) rc = put(meta_key::kStoreId, {reinterpret_cast<const char*>(id.bytes.data()), 16});
    put_be64(b, static_cast<uint64_t>(wall_clock_ns()));
    if (rc == 0) rc = put(meta_key::kCreated, {b, 8});
    put_be64(b, 1);
    if (rc == 0) rc = put(meta_key::kNextStreamId, {b, 8});
    if (rc == 0) rc = put(meta_key::kNextGroupId, {b, 8});
    put_be32(b, 1);
    if (rc == 0) rc = put(meta_key::kNextTypeId, {b, 4});
    if (rc != 0) return fail(mdb_status(rc, path_, "initialise 'meta'"));
    logger()->info("store {}: created (format {})", path_, kStoreFormatVersion);
  } else if (rc != 0) {
    return fail(mdb_status(rc, path_, "read the format version"));
  } else {
    if (v.mv_size != 4)
      return fail(Status::Corruption(fmt::format(
          "store {}: format version in 'meta' is {} bytes (expected 4)", path_, v.mv_size)));
    format_ = get_be32(static_cast<const char*>(v.mv_data));
    if (format_ > kStoreFormatVersion)
      return fail(Status::NotSupported(fmt::format(
          "store {}: format version {} is newer than this build reads (up to {}); it was "
          "written by a newer chorus; refusing to open it",
          path_, format_, kStoreFormatVersion)));
    if (format_ == 0)
      return fail(Status::Corruption(fmt::format("store {}: format version 0", path_)));
  }

  for (size_t i = 1; i < std::size(kDatabases); ++i) {  // meta is open
    const char* name = kDatabases[i].name;
    rc = mdb_dbi_open(txn, name, read_only_ ? 0 : MDB_CREATE, &(dbs_.*kDatabases[i].handle));
    if (rc == MDB_NOTFOUND)
      return fail(
          Status::Corruption(fmt::format("store {}: database '{}' is missing", path_, name)));
    if (rc != 0) return fail(mdb_status(rc, path_, fmt::format("open database '{}'", name)));
  }
  rc = mdb_txn_commit(txn);
  if (rc != 0) return mdb_status(rc, path_, "commit the opening transaction");
  return Status::OK();
}

Result<Env::ReadTxn> Env::begin_read() {
  for (int attempt = 0;; ++attempt) {
    gate_.enter_shared();
    MDB_txn* txn = nullptr;
    const int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn);
    if (rc == 0) return ReadTxn(this, txn);
    gate_.exit_shared();
    if (rc != MDB_MAP_RESIZED || attempt >= 3)
      return mdb_status(rc, path_, "begin a read transaction");
    // Another process grew the map: adopt its size with no transaction open.
    gate_.enter_exclusive();
    mdb_env_set_mapsize(env_, 0);
    gate_.exit_exclusive();
  }
}

Result<MDB_txn*> Env::begin_write() {
  gate_.enter_shared();
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(env_, nullptr, 0, &txn);
  if (rc == MDB_MAP_RESIZED) {
    gate_.exit_shared();
    gate_.enter_exclusive();
    mdb_env_set_mapsize(env_, 0);
    gate_.exit_exclusive();
    gate_.enter_shared();
    rc = mdb_txn_begin(env_, nullptr, 0, &txn);
  }
  if (rc != 0) {
    gate_.exit_shared();
    return mdb_status(rc, path_, "begin the write transaction");
  }
  return txn;
}

Status Env::end_write(MDB_txn* txn, bool commit, int* rc_out) {
  int rc = 0;
  if (commit) {
    rc = mdb_txn_commit(txn);
  } else {
    mdb_txn_abort(txn);
  }
  gate_.exit_shared();
  if (rc_out) *rc_out = rc;
  return mdb_status(rc, path_, "commit");
}

void Env::info(MDB_envinfo& info, MDB_stat& st) const {
  // Both read the meta pages inside the map: never while it is being moved.
  gate_.enter_shared();
  mdb_env_info(env_, &info);
  mdb_env_stat(env_, &st);
  gate_.exit_shared();
}

Env::Usage Env::usage() const {
  MDB_envinfo info;
  MDB_stat st;
  this->info(info, st);
  return {info.me_mapsize, (static_cast<uint64_t>(info.me_last_pgno) + 1) * st.ms_psize};
}

uint64_t Env::map_size() const {
  return usage().size;
}

uint64_t Env::used_bytes() const {
  return usage().used;
}

namespace {
// Less free space than a quarter of the map (or 16 MiB): time to grow.
bool short_of_space(uint64_t size, uint64_t used) {
  const uint64_t free = size > used ? size - used : 0;
  return free < std::max<uint64_t>(size / 4, 16u << 20);
}
}  // namespace

bool Env::should_grow() const {
  const Usage u = usage();
  return u.size < map_max_ && short_of_space(u.size, u.used);
}

Status Env::grow(uint64_t need_free) {
  const auto [size, used] = usage();
  if (size >= map_max_)
    return Status::ResourceExhausted(fmt::format(
        "store {}: the map is full at its maximum size of {} bytes (store.map.max)", path_, size));
  uint64_t target = size;
  while (target < map_max_ &&
         (target < used + need_free || target == size || short_of_space(target, used))) {
    target = target < map_growth_ ? target * 2 : target + map_growth_;
  }
  target = std::min(target, map_max_);
  const long page = ::sysconf(_SC_PAGESIZE);
  if (page > 0) target = target / page * page;
  gate_.enter_exclusive();
  const int rc = mdb_env_set_mapsize(env_, target);
  gate_.exit_exclusive();
  if (rc != 0) return mdb_status(rc, path_, "grow the map");
  logger()->info("store {}: map grown from {} to {} bytes ({} in use)", path_, size, target, used);
  return Status::OK();
}

Status Env::sync() {
  return mdb_status(mdb_env_sync(env_, 1), path_, "sync");
}

Status Env::sync_file() {
  mdb_filehandle_t fd = -1;
  if (int rc = mdb_env_get_fd(env_, &fd); rc != 0) return mdb_status(rc, path_, "sync");
  if (::fdatasync(fd) != 0) {
    const int err = errno;
    return Status::IOError(
        fmt::format("store {}: fdatasync of the data file failed: {}", path_, std::strerror(err)));
  }
  return Status::OK();
}

}  // namespace chorus::store

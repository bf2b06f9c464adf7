// Env: opening the LMDB environment (flags, the one-open-per-process rule),
// transactions under the gate, map growth and syncs.
#include "store/internal/env.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <fmt/core.h>

#include "store/internal/log.h"
#include "store/internal/store_format.h"

namespace chorus::store {
namespace {

// LMDB forbids opening one environment twice in a process (closing either
// breaks the other's locks); this set refuses it.
std::mutex g_open_mu;
std::set<std::string>& open_paths() {
  static std::set<std::string> s;
  return s;
}

}  // namespace

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
  CHORUS_ASSIGN_OR_RETURN(env->format_,
                          open_databases(env->env_, env->read_only_, env->path_, env->dbs_));
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
    store_log()->info("store {}: cleared {} stale reader slot{} of dead processes", path_, dead,
                      dead == 1 ? "" : "s");
  return dead;
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

Status Env::commit_write(MDB_txn* txn, int* rc_out) {
  const int rc = mdb_txn_commit(txn);
  gate_.exit_shared();
  *rc_out = rc;
  return mdb_status(rc, path_, "commit");
}

void Env::abort_write(MDB_txn* txn) {
  mdb_txn_abort(txn);
  gate_.exit_shared();
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
  store_log()->info("store {}: map grown from {} to {} bytes ({} in use)", path_, size, target,
                    used);
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

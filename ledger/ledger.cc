// Ledger::Open, the catalog of scenarios and branches, snapshots and waits.

#include <algorithm>

#include <rocksdb/write_batch.h>

#include <fmt/format.h>

#include "ledger/canonical.h"
#include "ledger/clock.h"
#include "ledger/date.h"
#include "ledger/quote.h"
#include "ledger/rocks_ledger.h"
#include "ledger/tree.h"

namespace demarche::ledger {
namespace {

constexpr std::string_view kMain = "main";

rocksdb::Slice AsSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

uint32_t CutoffKey(const v1::Branch& b) {
  return IsSet(b.date_cutoff()) ? SortKey(b.date_cutoff()) : UINT32_MAX;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Ledger>> Ledger::Open(const std::string& path,
                                                     const Options& options) {
  auto store = Store::Open(path, options);
  if (!store.ok()) return store.status();
  auto ledger = std::make_unique<RocksLedger>(*std::move(store), options);
  if (absl::Status s = ledger->LoadCatalog(); !s.ok()) return s;
  if (absl::Status s = ledger->BuildMissingTrees(); !s.ok()) return s;
  return ledger;
}

rocksdb::WriteOptions RocksLedger::WriteOpts() const {
  rocksdb::WriteOptions w;
  w.sync = options_.sync;
  return w;
}

absl::Status RocksLedger::LoadCatalog() {
  std::unordered_map<uint32_t, std::shared_ptr<ScenarioState>> by_sid;
  {
    std::unique_ptr<rocksdb::Iterator> it(
        store_->db->NewIterator(rocksdb::ReadOptions(), store_->scenarios));
    for (it->Seek(std::string(1, keys::kScenarioRecordTag)); it->Valid(); it->Next()) {
      auto sid =
          keys::DecodeScenarioRecordKey(std::string_view(it->key().data(), it->key().size()));
      if (!sid) break;  // past the 'R' records
      auto state = std::make_shared<ScenarioState>();
      state->sid = *sid;
      if (!state->record.ParseFromArray(it->value().data(), static_cast<int>(it->value().size())))
        return absl::DataLossError(fmt::format("scenario record {} does not parse", *sid));
      for (const auto& p : state->record.roster()) state->roster.insert(p.code());
      next_sid_ = std::max(next_sid_, *sid + 1);
      by_sid[*sid] = state;
      scenarios_[state->record.name()] = state;
    }
    if (!it->status().ok()) return FromRocks(it->status(), "loading scenarios");
  }
  std::unique_ptr<rocksdb::Iterator> it(
      store_->db->NewIterator(rocksdb::ReadOptions(), store_->branches));
  for (it->Seek(std::string(1, keys::kBranchRecordTag)); it->Valid(); it->Next()) {
    auto ids = keys::DecodeBranchRecordKey(std::string_view(it->key().data(), it->key().size()));
    if (!ids) break;
    auto scenario = by_sid.find(ids->sid);
    if (scenario == by_sid.end())
      return absl::DataLossError(fmt::format("branch record of unknown scenario {}", ids->sid));
    auto b = std::make_shared<BranchState>();
    b->sid = ids->sid;
    b->bid = ids->bid;
    if (!b->record.ParseFromArray(it->value().data(), static_cast<int>(it->value().size())))
      return absl::DataLossError(
          fmt::format("branch record {}/{} does not parse", ids->sid, ids->bid));
    b->cutoff_key = CutoffKey(b->record);
    auto head = store_->Get(store_->branches, keys::BranchHeadKey(ids->sid, ids->bid));
    if (!head.ok()) return head.status();
    std::optional<keys::Head> decoded = *head ? keys::DecodeHead(**head) : std::nullopt;
    if (!decoded)
      return absl::DataLossError(
          fmt::format("branch \"{}\" has no readable head", b->record.name()));
    b->head = *decoded;
    scenario->second->next_bid = std::max(scenario->second->next_bid, ids->bid + 1);
    scenario->second->branches[b->record.name()] = b;
  }
  if (!it->status().ok()) return FromRocks(it->status(), "loading branches");
  for (auto& [name, s] : scenarios_) {
    for (auto& [bname, b] : s->branches) {
      if (b->record.parent().empty()) continue;
      auto parent = s->branches.find(b->record.parent());
      if (parent == s->branches.end())
        return absl::DataLossError(
            fmt::format("branch \"{}\" has no parent \"{}\"", bname, b->record.parent()));
      b->parent = parent->second;
    }
  }
  return absl::OkStatus();
}

absl::Status RocksLedger::BuildMissingTrees() {
  if (!store_->tree_missing) return absl::OkStatus();
  std::vector<const BranchState*> branches;
  for (const auto& [name, s] : scenarios_)
    for (const auto& [bname, b] : s->branches) branches.push_back(b.get());
  // Parents first: a parent's bid is below its children's.
  std::sort(branches.begin(), branches.end(), [](const BranchState* a, const BranchState* b) {
    return std::pair(a->sid, a->bid) < std::pair(b->sid, b->bid);
  });
  if (absl::Status s = BuildTrees(*store_, branches); !s.ok()) return s;
  store_->tree_missing = false;
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<ScenarioState>> RocksLedger::FindScenario(
    std::string_view name) const {
  std::shared_lock lock(catalog_mu_);
  auto it = scenarios_.find(name);
  if (it == scenarios_.end())
    return absl::NotFoundError(fmt::format("scenario {} not found", Quote(name)));
  return it->second;
}

absl::StatusOr<RocksLedger::Resolved> RocksLedger::Resolve(std::string_view scenario,
                                                           std::string_view branch) const {
  std::shared_lock lock(catalog_mu_);
  auto s = scenarios_.find(scenario);
  if (s == scenarios_.end())
    return absl::NotFoundError(fmt::format("scenario {} not found", Quote(scenario)));
  auto b = s->second->branches.find(branch);
  if (b == s->second->branches.end())
    return absl::NotFoundError(
        fmt::format("branch {} not found in scenario {}", Quote(branch), Quote(scenario)));
  return Resolved{s->second, b->second};
}

v1::Branch RocksLedger::BranchView(const BranchState& b) const {
  v1::Branch view = b.record;
  keys::Head head = b.Head();
  view.set_head_seq(head.seq);
  view.set_head_hash(head.hash);
  return view;
}

// ---- Scenarios ---------------------------------------------------------------

absl::StatusOr<v1::Scenario> RocksLedger::CreateScenario(const v1::Scenario& scenario,
                                                         std::string_view created_by) {
  if (absl::Status s = ValidateScenario(scenario); !s.ok()) return s;
  std::lock_guard create(create_mu_);
  {
    std::shared_lock lock(catalog_mu_);
    if (scenarios_.contains(scenario.name()))
      return absl::AlreadyExistsError(
          fmt::format("scenario \"{}\" already exists", scenario.name()));
  }
  auto state = std::make_shared<ScenarioState>();
  state->sid = next_sid_;
  state->record = scenario;
  state->record.DiscardUnknownFields();
  *state->record.mutable_created_at() = NowTimestamp();
  state->record.set_created_by(std::string(created_by));
  for (const auto& p : scenario.roster()) state->roster.insert(p.code());

  auto main = std::make_shared<BranchState>();
  main->sid = state->sid;
  main->bid = state->next_bid++;
  main->record.set_scenario(scenario.name());
  main->record.set_name(std::string(kMain));
  main->record.set_owner(std::string(created_by));
  main->record.set_description("the recorded history");
  *main->record.mutable_created_at() = state->record.created_at();
  main->cutoff_key = UINT32_MAX;
  main->head = keys::Head{0, ZeroHash()};

  rocksdb::WriteBatch batch;
  batch.Put(store_->scenarios, keys::ScenarioNameKey(scenario.name()), keys::EncodeU32(state->sid));
  batch.Put(store_->scenarios, keys::ScenarioRecordKey(state->sid), CanonicalBytes(state->record));
  batch.Put(store_->branches, keys::BranchNameKey(state->sid, kMain), keys::EncodeU32(main->bid));
  batch.Put(store_->branches, keys::BranchRecordKey(state->sid, main->bid),
            CanonicalBytes(main->record));
  batch.Put(store_->branches, keys::BranchHeadKey(state->sid, main->bid),
            keys::EncodeHead(main->head));
  if (absl::Status st = store_->guard->CheckWritable(); !st.ok()) return st;
  rocksdb::Status s = store_->db->Write(WriteOpts(), &batch);
  if (!s.ok()) return FromRocks(s, "creating scenario");

  state->branches[std::string(kMain)] = main;
  std::unique_lock lock(catalog_mu_);
  ++next_sid_;
  scenarios_[scenario.name()] = state;
  return state->record;
}

absl::StatusOr<v1::Scenario> RocksLedger::GetScenario(std::string_view name) {
  auto s = FindScenario(name);
  if (!s.ok()) return s.status();
  return (*s)->record;
}

absl::StatusOr<std::vector<v1::Scenario>> RocksLedger::ListScenarios() {
  std::shared_lock lock(catalog_mu_);
  std::vector<v1::Scenario> out;
  out.reserve(scenarios_.size());
  for (const auto& [name, s] : scenarios_) out.push_back(s->record);
  return out;
}

// ---- Branches ------------------------------------------------------------------

absl::StatusOr<v1::Branch> RocksLedger::CreateBranch(std::string_view scenario,
                                                     std::string_view name, std::string_view parent,
                                                     uint64_t after_seq,
                                                     const std::optional<v1::PartialDate>& cutoff,
                                                     std::string_view owner,
                                                     std::string_view description) {
  if (absl::Status s = ValidateName(name, "name"); !s.ok()) return s;
  if (absl::Status s = ValidateText(description, kMaxDescriptionBytes, "description"); !s.ok())
    return s;
  // A cutoff with year 0 is "unset", as in the Branch message.
  const bool has_cutoff =
      cutoff.has_value() && (cutoff->year() || cutoff->month() || cutoff->day());
  if (has_cutoff) {
    if (absl::Status s = ValidateDate(*cutoff, "date_cutoff"); !s.ok()) return s;
  }
  std::lock_guard create(create_mu_);
  auto resolved = Resolve(scenario, parent);
  if (!resolved.ok()) {
    if (!FindScenario(scenario).ok()) return resolved.status();
    return absl::NotFoundError(
        fmt::format("parent: branch {} not found in scenario {}", Quote(parent), Quote(scenario)));
  }
  ScenarioState& sc = *resolved->scenario;
  {
    std::shared_lock lock(catalog_mu_);
    if (sc.branches.contains(name))
      return absl::AlreadyExistsError(
          fmt::format("branch \"{}\" already exists in scenario \"{}\"", name, scenario));
  }
  const BranchState& p = *resolved->branch;
  const uint64_t parent_head = p.Head().seq;
  if (absl::Status s = CheckWithinHead(after_seq, parent_head, "after_seq", parent); !s.ok())
    return s;

  // The fork's first event chains to the parent's event at the fork point
  // (physically, whatever the cutoff hides).
  std::string fork_hash = ZeroHash();
  if (after_seq > 0) {
    auto at =
        EventAtSeq(*store_, sc.sid, Lineage(p, after_seq, /*honour_cutoffs=*/false), after_seq);
    if (!at.ok()) return at.status();
    if (!at->has_value())
      return absl::DataLossError(
          fmt::format("branch \"{}\" has no stored event at seq {}", parent, after_seq));
    fork_hash = (*at)->hash();
  }

  auto b = std::make_shared<BranchState>();
  b->sid = sc.sid;
  b->bid = sc.next_bid;
  b->parent = resolved->branch;
  b->record.set_scenario(std::string(scenario));
  b->record.set_name(std::string(name));
  b->record.set_parent(std::string(parent));
  b->record.set_fork_after_seq(after_seq);
  if (has_cutoff) *b->record.mutable_date_cutoff() = *cutoff;
  b->record.set_owner(std::string(owner));
  b->record.set_description(std::string(description));
  *b->record.mutable_created_at() = NowTimestamp();
  b->cutoff_key = CutoffKey(b->record);
  b->head = keys::Head{after_seq, fork_hash};

  rocksdb::WriteBatch batch;
  batch.Put(store_->branches, keys::BranchNameKey(sc.sid, name), keys::EncodeU32(b->bid));
  batch.Put(store_->branches, keys::BranchRecordKey(sc.sid, b->bid), CanonicalBytes(b->record));
  batch.Put(store_->branches, keys::BranchHeadKey(sc.sid, b->bid), keys::EncodeHead(b->head));
  if (absl::Status st = store_->guard->CheckWritable(); !st.ok()) return st;
  rocksdb::Status s = store_->db->Write(WriteOpts(), &batch);
  if (!s.ok()) return FromRocks(s, "creating branch");

  std::unique_lock lock(catalog_mu_);
  ++sc.next_bid;
  sc.branches[std::string(name)] = b;
  lock.unlock();
  return BranchView(*b);
}

absl::StatusOr<v1::Branch> RocksLedger::GetBranch(std::string_view scenario,
                                                  std::string_view name) {
  auto r = Resolve(scenario, name);
  if (!r.ok()) return r.status();
  return BranchView(*r->branch);
}

absl::StatusOr<std::vector<v1::Branch>> RocksLedger::ListBranches(std::string_view scenario) {
  auto sc = FindScenario(scenario);
  if (!sc.ok()) return sc.status();
  std::vector<std::shared_ptr<BranchState>> states;
  {
    std::shared_lock lock(catalog_mu_);
    for (const auto& [name, b] : (*sc)->branches) {
      if (name == kMain)
        states.insert(states.begin(), b);
      else
        states.push_back(b);
    }
  }
  std::vector<v1::Branch> out;
  out.reserve(states.size());
  for (const auto& b : states) out.push_back(BranchView(*b));
  return out;
}

// ---- Waiting -------------------------------------------------------------------

absl::StatusOr<uint64_t> RocksLedger::WaitForHead(std::string_view scenario,
                                                  std::string_view branch, uint64_t known_head,
                                                  int64_t timeout_ms) {
  auto r = Resolve(scenario, branch);
  if (!r.ok()) return r.status();
  BranchState& b = *r->branch;
  std::unique_lock lock(b.head_mu);
  // Clamped so now() + timeout cannot overflow; callers loop on long waits.
  constexpr int64_t kMaxWaitMs = int64_t{30} * 24 * 3600 * 1000;
  b.head_cv.wait_for(lock,
                     std::chrono::milliseconds(std::clamp<int64_t>(timeout_ms, 0, kMaxWaitMs)),
                     [&] { return b.head.seq > known_head || shutdown_.load(); });
  return b.head.seq;
}

void RocksLedger::Shutdown() {
  shutdown_ = true;
  std::shared_lock lock(catalog_mu_);
  for (const auto& [name, s] : scenarios_) {
    for (const auto& [bname, b] : s->branches) {
      // Taking head_mu orders the flag before any waiter's predicate check.
      std::lock_guard head_lock(b->head_mu);
      b->head_cv.notify_all();
    }
  }
}

// ---- Markers -------------------------------------------------------------------

absl::Status RocksLedger::PutMarker(std::string_view name, std::string_view value) {
  if (name.empty() || name.size() > 200)
    return absl::InvalidArgumentError("marker name: must be 1..200 bytes");
  if (absl::Status st = store_->guard->CheckWritable(); !st.ok()) return st;
  rocksdb::WriteOptions wo;
  wo.sync = true;
  return FromRocks(store_->db->Put(wo, store_->meta, keys::MarkerKey(name), AsSlice(value)),
                   "writing marker");
}

absl::StatusOr<std::optional<std::string>> RocksLedger::GetMarker(std::string_view name) {
  if (name.empty() || name.size() > 200)
    return absl::InvalidArgumentError("marker name: must be 1..200 bytes");
  return store_->Get(store_->meta, keys::MarkerKey(name));
}

StorageHealth RocksLedger::Health() {
  return StorageHealth{store_->guard->Health(), store_->guard->FreeBytes(),
                       store_->guard->min_free_bytes()};
}

// ---- Snapshots -----------------------------------------------------------------

absl::Status RocksLedger::PutSnapshot(std::string_view scenario, std::string_view branch,
                                      std::string_view key, std::string_view value) {
  auto r = Resolve(scenario, branch);
  if (!r.ok()) return r.status();
  // Snapshots would eat into the reserve kept for appends.
  if (absl::Status st = store_->guard->CheckWritable(); !st.ok()) return st;
  // A cache: losing the latest writes on a crash is harmless, so no fsync.
  return FromRocks(
      store_->db->Put(rocksdb::WriteOptions(), store_->snapshots,
                      keys::SnapshotKey(r->branch->sid, r->branch->bid, key), AsSlice(value)),
      "writing snapshot");
}

absl::StatusOr<std::optional<std::pair<std::string, std::string>>> RocksLedger::SeekSnapshot(
    std::string_view scenario, std::string_view branch, std::string_view key) {
  auto r = Resolve(scenario, branch);
  if (!r.ok()) return r.status();
  const std::string prefix = keys::BranchPrefix(r->branch->sid, r->branch->bid);
  rocksdb::Slice lower(prefix);
  rocksdb::ReadOptions ro;
  ro.iterate_lower_bound = &lower;
  // A snapshot is as large as the state (tens of MB) and is read once per
  // query: cached, its block would sit in (and overflow) the block cache.
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(store_->db->NewIterator(ro, store_->snapshots));
  it->SeekForPrev(keys::SnapshotKey(r->branch->sid, r->branch->bid, key));
  if (!it->status().ok()) return FromRocks(it->status(), "seeking snapshot");
  if (!it->Valid() || !it->key().starts_with(lower)) return std::nullopt;
  return std::make_pair(
      std::string(it->key().data() + prefix.size(), it->key().size() - prefix.size()),
      it->value().ToString());
}

absl::Status RocksLedger::DeleteSnapshots(std::string_view scenario, std::string_view branch,
                                          std::string_view from_key, std::string_view to_key) {
  auto r = Resolve(scenario, branch);
  if (!r.ok()) return r.status();
  const std::string prefix = keys::BranchPrefix(r->branch->sid, r->branch->bid);
  const std::string begin = keys::SnapshotKey(r->branch->sid, r->branch->bid, from_key);
  // The prefix is (sid, bid) with bid < UINT32_MAX in practice; a successor exists.
  std::optional<std::string> end = keys::PrefixSuccessor(prefix);
  if (!end) return absl::InternalError("snapshot key range has no end");
  if (!to_key.empty()) end = keys::SnapshotKey(r->branch->sid, r->branch->bid, to_key);
  if (*end <= begin) return absl::OkStatus();
  return FromRocks(store_->db->DeleteRange(rocksdb::WriteOptions(), store_->snapshots, begin, *end),
                   "deleting snapshots");
}

}  // namespace demarche::ledger

// Append: static validation and each event's client encoding (with the
// hash over it) in the caller's thread, or ahead of it (PrepareBatch), then
// group commit per branch. Callers queue their request; the first one
// becomes the leader, takes every queued request, checks each against the
// head it would land on (idempotency, expected head, references — including
// events staged earlier in the same group), seals each event under its
// envelope, writes all accepted ones in one WriteBatch with one fsync,
// publishes the new head and answers each caller. Serial execution order is
// the queue order, so the result is the same as one-at-a-time appends; only
// the number of fsyncs shrinks. AppendAsync queues without waiting: when no
// leader is active a CommitPool thread leads instead (Drain), committing
// group after group, answering through callbacks, and making way for other
// branches waiting for a thread.
//
// Idempotency, precisely (per request, against the lineage visible from the
// branch, cutoffs honoured):
//  * every id already present with identical client content: the stored
//    events are returned, replayed = true, nothing is written, expected_head
//    is not checked (a retry after a lost reply must succeed);
//  * an id present with different content: ALREADY_EXISTS naming the id and
//    its seq;
//  * some ids present (identical content) and some new: ALREADY_EXISTS naming
//    the first present id. Batches are all or nothing, so such a batch is not
//    a retry of one; the client should resend only the new events.
#include <deque>

#include <rocksdb/write_batch.h>

#include <fmt/format.h>

#include "absl/container/flat_hash_map.h"
#include "ledger/canonical.h"
#include "ledger/clock.h"
#include "ledger/date.h"
#include "ledger/rocks_ledger.h"
#include "ledger/tree.h"

namespace demarche::ledger {
namespace {

// Built for every event (most paths fit the short-string buffer): plain
// appends cost a fraction of a fmt::format call.
std::string EventPath(size_t i) {
  std::string out = "events[";
  out += std::to_string(i);
  out += ']';
  return out;
}

// Events staged by earlier requests of the current group, by client id (a
// view of the staged event's own id: the events stay put until the group is
// written).
using Overlay = absl::flat_hash_map<std::string_view, const v1::Event*>;

class Stager {
 public:
  // `tree`: the branch's Merkle frontier at the group's start, advanced by
  // every staged event (a copy: the branch keeps its own until the write).
  Stager(const Store& store, const ScenarioState& scenario, const BranchState& branch,
         std::vector<Segment> segments, rocksdb::WriteBatch* batch, tlog::Frontier* tree)
      : store_(store),
        scenario_(scenario),
        branch_(branch),
        segments_(std::move(segments)),
        batch_(batch),
        tree_(tree) {}

  // Checks one request against `head` and, if accepted, adds its events to
  // the batch and advances `head` and `high_water` (the branch's, as
  // keys::CopiedInDateIndex). Accepted content is moved into the result.
  absl::StatusOr<AppendResult> Stage(AppendRequest& r, keys::Head* head, uint32_t* high_water);
  void Remember(const AppendResult& result) {
    for (const v1::Event& e : result.events) overlay_[e.id()] = &e;
  }

 private:
  // What a reference to `id` resolves to in the lineage (staged or stored),
  // if anything: from the ids entry, or from the event itself for entries
  // written before the entry kept it.
  absl::StatusOr<std::optional<ReferenceTarget>> LookupTarget(const std::string& id) const {
    if (auto it = overlay_.find(id); it != overlay_.end()) return ReferenceTargetOf(*it->second);
    auto found = LookupId(store_, scenario_.sid, segments_, id);
    if (!found.ok()) return found.status();
    if (!found->has_value()) return std::nullopt;
    if ((*found)->location.target) return UnpackReferenceTarget(*(*found)->location.target);
    auto event = Read(**found, id);
    if (!event.ok()) return event.status();
    return ReferenceTargetOf(*event);
  }

  // The visible lineage event with this id (staged or stored), if any.
  absl::StatusOr<std::optional<v1::Event>> Lookup(const std::string& id) const {
    if (auto it = overlay_.find(id); it != overlay_.end()) return *it->second;
    auto found = LookupId(store_, scenario_.sid, segments_, id);
    if (!found.ok()) return found.status();
    if (!found->has_value()) return std::nullopt;
    return Read(**found, id);
  }

  absl::StatusOr<v1::Event> Read(const Located& found, const std::string& id) const {
    auto event = store_.GetEvent(scenario_.sid, found.segment->bid, found.location.seq);
    if (!event.ok()) return event.status();
    if (!event->has_value())
      return absl::DataLossError(fmt::format(
          "ids index names seq {} for \"{}\" but no event is stored", found.location.seq, id));
    return **std::move(event);
  }

  const Store& store_;
  const ScenarioState& scenario_;
  const BranchState& branch_;
  const std::vector<Segment> segments_;  // up to the committed head
  rocksdb::WriteBatch* batch_;
  tlog::Frontier* tree_;
  Overlay overlay_;
};

absl::StatusOr<AppendResult> Stager::Stage(AppendRequest& r, keys::Head* head,
                                           uint32_t* high_water) {
  const std::string& branch_name = branch_.record.name();
  const size_t n = r.content.size();

  // 1. Idempotency.
  std::vector<v1::Event> existing;
  size_t first_existing = n;
  for (size_t i = 0; i < n; ++i) {
    auto found = Lookup(r.content[i].id());
    if (!found.ok()) return found.status();
    if (!found->has_value()) continue;
    const v1::Event& stored = **found;
    if (CanonicalBytes(ClientContent(stored)) != r.prepared->encoded[i].bytes())
      return absl::AlreadyExistsError(
          fmt::format("{}.id: \"{}\" already exists at seq {} with different content", EventPath(i),
                      stored.id(), stored.seq()));
    if (first_existing == n) first_existing = i;
    existing.push_back(stored);
  }
  if (existing.size() == n) {
    AppendResult result;
    result.events = std::move(existing);
    result.replayed = true;
    result.head_seq = head->seq;
    return result;
  }
  if (!existing.empty())
    return absl::AlreadyExistsError(fmt::format(
        "{}.id: \"{}\" already exists at seq {}; a batch must be all new events or an exact "
        "retry of recorded ones",
        EventPath(first_existing), r.content[first_existing].id(), existing.front().seq()));

  // 2. Optimistic concurrency.
  if (r.expected_head != kAnyHead && r.expected_head != head->seq)
    return absl::FailedPreconditionError(fmt::format(
        "expected_head {} but branch \"{}\" head is {}", r.expected_head, branch_name, head->seq));

  // 3. References: to the lineage, or to an earlier event of this batch.
  absl::flat_hash_map<std::string_view, const v1::Event*> batch_ids;
  batch_ids.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    for (const Reference& ref : ReferencesOf(r.content[i], EventPath(i))) {
      std::optional<ReferenceTarget> target;
      if (auto it = batch_ids.find(ref.id); it != batch_ids.end()) {
        target = ReferenceTargetOf(*it->second);
      } else {
        auto found = LookupTarget(ref.id);
        if (!found.ok()) return found.status();
        target = *found;
      }
      if (absl::Status s = CheckReference(ref, target ? &*target : nullptr, branch_name); !s.ok())
        return s;
    }
    batch_ids[r.content[i].id()] = &r.content[i];
  }

  // 4. Envelopes, chain and writes.
  AppendResult result;
  result.events.reserve(n);
  v1::Event envelope;  // the fields every event of the request shares, then each one's
  envelope.set_scenario(scenario_.record.name());
  envelope.set_branch(branch_name);
  *envelope.mutable_recorded_at() = NowTimestamp();
  envelope.set_recorded_by(r.recorded_by);
  std::string bytes;  // one buffer for the batch (WriteBatch::Put copies)
  for (size_t i = 0; i < n; ++i) {
    v1::Event& e = result.events.emplace_back(std::move(r.content[i]));
    envelope.set_seq(head->seq + 1);
    envelope.set_prev_hash(head->hash);
    r.prepared->encoded[i].Seal(envelope, &e, &bytes);
    const uint32_t sort_key = SortKey(e.occurred());
    batch_->Put(store_.events, keys::EncodeEventKey({branch_.sid, branch_.bid, e.seq()}), bytes);
    tree_->Append(tlog::LeafHash(bytes), [&](int level, uint64_t index, const std::string& h) {
      PutTreeNode(store_, branch_, level, index, h, batch_);
    });
    batch_->Put(
        store_.ids, keys::EncodeIdKey(branch_.sid, branch_.bid, e.id()),
        keys::EncodeIdLocation({e.seq(), sort_key, PackReferenceTarget(ReferenceTargetOf(e))}));
    batch_->Put(
        store_.dates, keys::EncodeDateKey({branch_.sid, branch_.bid, sort_key, e.seq()}),
        keys::CopiedInDateIndex(sort_key, *high_water) ? rocksdb::Slice(bytes) : rocksdb::Slice());
    *high_water = std::max(*high_water, sort_key);
    if (e.move().has_correction())
      batch_->Put(store_.corrections, keys::EncodeEventKey({branch_.sid, branch_.bid, e.seq()}),
                  rocksdb::Slice());
    head->seq = e.seq();
    head->hash = e.hash();
  }
  result.head_seq = head->seq;
  return result;
}

}  // namespace

absl::StatusOr<std::shared_ptr<PreparedBatch>> RocksLedger::Prepare(
    const Resolved& r, std::string_view branch, std::vector<v1::Event> events) const {
  if (events.empty()) return absl::InvalidArgumentError("events: at least one event required");
  if (events.size() > options_.max_batch_events)
    return absl::ResourceExhaustedError(fmt::format("events: {} events exceed max_batch_events {}",
                                                    events.size(), options_.max_batch_events));
  const EventRules rules{r.scenario->record.name(), &r.scenario->roster, branch,
                         options_.max_event_bytes};
  auto prepared = std::make_shared<PreparedBatch>();
  prepared->scenario = r.scenario;
  prepared->branch = std::string(branch);
  prepared->content = std::move(events);
  prepared->encoded.reserve(prepared->content.size());
  std::unordered_map<std::string_view, size_t> seen;
  for (size_t i = 0; i < prepared->content.size(); ++i) {
    const std::string path = EventPath(i);
    v1::Event& c = prepared->content[i];
    MakeClientContent(&c);
    if (absl::Status s = CheckEventSize(c, path, rules); !s.ok()) return s;
    if (absl::Status s = ValidateEvent(c, path, rules); !s.ok()) return s;
    auto [it, fresh] = seen.emplace(c.id(), i);
    if (!fresh)
      return absl::InvalidArgumentError(
          fmt::format("{}.id: \"{}\" repeats events[{}].id", path, c.id(), it->second));
    prepared->encoded.emplace_back(c);
  }
  return prepared;
}

absl::Status RocksLedger::Queueable(const Resolved& r, std::string_view branch, AppendBatch batch,
                                    std::string_view recorded_by, AppendRequest* req) const {
  std::shared_ptr<PreparedBatch> prepared = std::move(batch.prepared);
  if (prepared != nullptr) {
    if (!batch.events.empty())
      return absl::InvalidArgumentError("events: a prepared batch carries its own events");
    if (prepared->queued)
      return absl::FailedPreconditionError("events: this prepared batch was already appended");
  }
  if (prepared == nullptr || prepared->scenario != r.scenario || prepared->branch != branch) {
    auto fresh = Prepare(
        r, branch, prepared != nullptr ? std::move(prepared->content) : std::move(batch.events));
    if (!fresh.ok()) return fresh.status();
    prepared = *std::move(fresh);
  }
  prepared->queued = true;
  req->content = std::move(prepared->content);
  req->prepared = std::move(prepared);
  req->expected_head = batch.expected_head;
  req->recorded_by = std::string(recorded_by);
  return absl::OkStatus();
}

absl::Status RocksLedger::PrepareBatch(std::string_view scenario, std::string_view branch,
                                       AppendBatch* batch) {
  if (batch->prepared != nullptr)
    return absl::FailedPreconditionError("events: the batch is already prepared");
  auto r = Resolve(scenario, branch);
  if (!r.ok()) return r.status();
  auto prepared = Prepare(*r, branch, std::move(batch->events));
  batch->events.clear();
  if (!prepared.ok()) return prepared.status();
  batch->prepared = *std::move(prepared);
  return absl::OkStatus();
}

void RocksLedger::Commit(const Resolved& r, const std::vector<AppendRequest*>& mine) {
  BranchState& b = *r.branch;
  // Queued together, so one leader takes them all into the same group.
  std::unique_lock lock(b.queue_mu);
  b.queue.insert(b.queue.end(), mine.begin(), mine.end());
  AppendRequest& first = *mine.front();
  if (!b.leader_active) {
    b.leader_active = true;
    first.leader = true;
  }
  b.queue_cv.wait(lock, [&] { return first.done || first.leader; });
  if (first.done) return;

  // Leader: commit everything queued so far (our own requests included).
  std::vector<std::unique_ptr<AppendRequest>> answered = CommitQueued(*r.scenario, b, lock);
  const bool pool_leads = HandOverLocked(b);
  lock.unlock();
  b.queue_cv.notify_all();
  if (pool_leads) ScheduleDrain(r);
  for (auto& a : answered) std::move(a->on_done)(std::move(a->result));
}

std::vector<std::unique_ptr<AppendRequest>> RocksLedger::CommitQueued(
    const ScenarioState& scenario, BranchState& b, std::unique_lock<std::mutex>& lock) {
  std::vector<AppendRequest*> group(b.queue.begin(), b.queue.end());
  b.queue.clear();
  lock.unlock();
  CommitGroup(scenario, b, group);
  lock.lock();
  std::vector<std::unique_ptr<AppendRequest>> answered;
  for (AppendRequest* g : group) {
    if (g->on_done) {
      answered.emplace_back(g);
    } else {
      g->done = true;
    }
  }
  return answered;
}

bool RocksLedger::HandOverLocked(BranchState& b) {
  if (b.queue.empty()) {
    b.leader_active = false;
  } else if (b.queue.front()->on_done) {
    return true;
  } else {
    b.queue.front()->leader = true;
  }
  return false;
}

void RocksLedger::ScheduleDrain(const Resolved& r) {
  commit_pool_.Schedule([this, r] { Drain(r); });
}

void RocksLedger::Drain(const Resolved& r) {
  BranchState& b = *r.branch;
  std::unique_lock lock(b.queue_mu);
  while (!b.queue.empty()) {
    std::vector<std::unique_ptr<AppendRequest>> answered = CommitQueued(*r.scenario, b, lock);
    // A branch whose queue never empties must not hold the thread while
    // other branches wait for one: it takes its next turn behind them.
    const bool yield = !b.queue.empty() && commit_pool_.JobsWaiting();
    lock.unlock();
    b.queue_cv.notify_all();  // waiting callers whose requests this group held
    if (yield) ScheduleDrain(r);
    for (auto& a : answered) std::move(a->on_done)(std::move(a->result));
    if (yield) return;
    lock.lock();
  }
  b.leader_active = false;
}

absl::StatusOr<AppendResult> RocksLedger::Append(std::string_view scenario, std::string_view branch,
                                                 std::vector<v1::Event> events,
                                                 uint64_t expected_head,
                                                 std::string_view recorded_by) {
  auto r = Resolve(scenario, branch);
  if (!r.ok()) return r.status();
  // Static checks need no lock: they run in the caller's thread.
  AppendRequest req;
  if (absl::Status s =
          Queueable(*r, branch, {std::move(events), expected_head, nullptr}, recorded_by, &req);
      !s.ok())
    return s;
  Commit(*r, {&req});
  return std::move(req.result);
}

void RocksLedger::AppendAsync(std::string_view scenario, std::string_view branch,
                              std::vector<v1::Event> events, uint64_t expected_head,
                              std::string_view recorded_by, AppendDone done) {
  auto r = Resolve(scenario, branch);
  if (!r.ok()) return std::move(done)(r.status());
  auto req = std::make_unique<AppendRequest>();
  if (absl::Status s = Queueable(*r, branch, {std::move(events), expected_head, nullptr},
                                 recorded_by, req.get());
      !s.ok())
    return std::move(done)(s);
  req->on_done = std::move(done);
  BranchState& b = *r->branch;
  bool lead = false;
  {
    std::lock_guard lock(b.queue_mu);
    b.queue.push_back(req.release());  // freed by the committer once answered
    lead = !b.leader_active;
    b.leader_active = true;
  }
  if (lead) ScheduleDrain(*r);
}

std::vector<absl::StatusOr<AppendResult>> RocksLedger::AppendInOrder(
    std::string_view scenario, std::string_view branch, std::vector<AppendBatch> batches,
    std::string_view recorded_by) {
  std::vector<absl::StatusOr<AppendResult>> results;
  if (batches.empty()) return results;
  auto r = Resolve(scenario, branch);
  if (!r.ok()) {
    results.push_back(r.status());
    return results;
  }
  std::deque<AppendRequest> reqs;  // stable addresses for the queue
  std::vector<AppendRequest*> mine;
  absl::Status invalid;
  for (AppendBatch& batch : batches) {
    AppendRequest& req = reqs.emplace_back();
    invalid = Queueable(*r, branch, std::move(batch), recorded_by, &req);
    if (!invalid.ok()) break;
    req.after = mine.empty() ? nullptr : mine.back();
    mine.push_back(&req);
  }
  if (!mine.empty()) Commit(*r, mine);
  for (AppendRequest* req : mine) {
    results.push_back(std::move(req->result));
    if (!results.back().ok()) return results;
  }
  if (!invalid.ok()) results.push_back(invalid);
  return results;
}

void RocksLedger::CommitGroup(const ScenarioState& scenario, BranchState& branch,
                              const std::vector<AppendRequest*>& group) {
  keys::Head head = branch.Head();
  if (!branch.high_water) {
    absl::StatusOr<uint32_t> loaded = store_->DateHighWater(branch.sid, branch.bid);
    if (!loaded.ok()) {
      for (AppendRequest* r : group) r->result = loaded.status();
      return;
    }
    branch.high_water = *loaded;
  }
  uint32_t high_water = *branch.high_water;
  if (!branch.frontier) {
    auto loaded = tlog::Frontier::Of(head.seq, TreeReader(*store_, branch));
    if (!loaded.ok()) {
      for (AppendRequest* r : group) r->result = loaded.status();
      return;
    }
    branch.frontier = *std::move(loaded);
  }
  tlog::Frontier tree = *branch.frontier;
  // Sized for the group up front: grown by doubling, a batch of large events
  // was copied a dozen times. The client content's size was computed (and
  // cached) by CheckEventSize; keys, envelope and hash add less than 256.
  size_t reserve = 0;
  for (const AppendRequest* r : group)
    for (const v1::Event& e : r->content) reserve += static_cast<size_t>(e.GetCachedSize()) + 256;
  rocksdb::WriteBatch batch(reserve);
  Stager stager(*store_, scenario, branch, Lineage(branch, head.seq), &batch, &tree);
  std::vector<AppendRequest*> written;
  for (AppendRequest* r : group) {
    if (r->after != nullptr && !r->after->result.ok()) {
      // Its batches run in order: nothing after one that failed.
      r->result = absl::AbortedError("an earlier batch of this run failed");
      continue;
    }
    r->result = stager.Stage(*r, &head, &high_water);
    if (!r->result.ok()) continue;
    stager.Remember(*r->result);
    if (!r->result->replayed) written.push_back(r);
  }
  if (written.empty()) return;

  batch.Put(store_->branches, keys::BranchHeadKey(branch.sid, branch.bid), keys::EncodeHead(head));
  // The checkpoint of the new head goes into the same write (checkpoints.cc).
  std::unique_lock<std::mutex> signing;
  std::shared_ptr<const SignedCheckpoint> checkpoint;
  if (options_.checkpoint_signer) {
    signing = std::unique_lock(branch.checkpoints.mu);
    checkpoint = StageCheckpoint(branch, head.seq, tree.Root(), &batch);
  }
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  absl::Status s = store_->guard->CheckWritable();
  if (s.ok()) s = FromRocks(store_->db->Write(wo, &batch), "appending");
  if (!s.ok()) {
    // Replays may have matched events of this group: fail every request.
    for (AppendRequest* r : group)
      if (r->result.ok()) r->result = s;
    return;
  }
  branch.high_water = high_water;
  branch.frontier = std::move(tree);
  if (checkpoint) branch.checkpoints.latest.store(std::move(checkpoint));
  {
    std::lock_guard lock(branch.head_mu);
    branch.head = head;
  }
  branch.head_cv.notify_all();
}

}  // namespace demarche::ledger

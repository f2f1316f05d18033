// The RocksDB implementation of Ledger. Its methods are spread over
// ledger.cc (open, catalog, scenarios, branches, snapshots, waits),
// proofs.cc (the Merkle tree's roots and proofs), checkpoints.cc (their
// signed checkpoints),
// append.cc (validation, idempotency, group commit), read.cc (iterators,
// lookups) and verify.cc (the hash-chain audit).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "ledger/canonical.h"
#include "ledger/catalog.h"
#include "ledger/commit_pool.h"
#include "ledger/ledger.h"
#include "ledger/store.h"

namespace demarche::ledger {

// A batch's events as Prepare leaves them: statically valid client content,
// each with its encoding and the hash state over it.
struct PreparedBatch {
  std::shared_ptr<const ScenarioState> scenario;  // checked against its roster
  std::string branch;
  std::vector<v1::Event> content;  // moved out when queued
  std::vector<PreparedContent> encoded;
  bool queued = false;
};

// One Append call waiting in a branch's group-commit queue.
struct AppendRequest {
  std::vector<v1::Event> content;           // client content, statically validated
  std::shared_ptr<PreparedBatch> prepared;  // content[i]'s encoding is encoded[i]
  uint64_t expected_head = kAnyHead;
  std::string recorded_by;
  absl::StatusOr<AppendResult> result = absl::UnknownError("append not processed");
  bool done = false;    // result is final (guarded by the branch's queue_mu)
  bool leader = false;  // this caller must commit the next group
  // Set by AppendAsync: the committer calls it (and frees the request)
  // instead of marking it done for a waiting caller.
  AppendDone on_done;
  // The previous batch of an AppendInOrder run (same group, earlier in it):
  // this one is not appended if that one failed.
  const AppendRequest* after = nullptr;
};

class RocksLedger final : public Ledger {
 public:
  RocksLedger(std::shared_ptr<Store> store, const Options& options)
      : store_(std::move(store)), options_(options) {}
  absl::Status LoadCatalog();
  // Builds the Merkle trees of a ledger from before them (Store::tree_missing).
  absl::Status BuildMissingTrees();

  absl::StatusOr<v1::Scenario> CreateScenario(const v1::Scenario& scenario,
                                              std::string_view created_by) override;
  absl::StatusOr<v1::Scenario> GetScenario(std::string_view name) override;
  absl::StatusOr<std::vector<v1::Scenario>> ListScenarios() override;

  absl::StatusOr<v1::Branch> CreateBranch(std::string_view scenario, std::string_view name,
                                          std::string_view parent, uint64_t after_seq,
                                          const std::optional<v1::PartialDate>& cutoff,
                                          std::string_view owner,
                                          std::string_view description) override;
  absl::StatusOr<v1::Branch> GetBranch(std::string_view scenario, std::string_view name) override;
  absl::StatusOr<std::vector<v1::Branch>> ListBranches(std::string_view scenario) override;

  absl::StatusOr<AppendResult> Append(std::string_view scenario, std::string_view branch,
                                      std::vector<v1::Event> events, uint64_t expected_head,
                                      std::string_view recorded_by) override;
  std::vector<absl::StatusOr<AppendResult>> AppendInOrder(std::string_view scenario,
                                                          std::string_view branch,
                                                          std::vector<AppendBatch> batches,
                                                          std::string_view recorded_by) override;
  void AppendAsync(std::string_view scenario, std::string_view branch,
                   std::vector<v1::Event> events, uint64_t expected_head,
                   std::string_view recorded_by, AppendDone done) override;
  absl::Status PrepareBatch(std::string_view scenario, std::string_view branch,
                            AppendBatch* batch) override;

  absl::StatusOr<std::unique_ptr<EventIterator>> Read(std::string_view scenario,
                                                      std::string_view branch,
                                                      const ReadOptions& options) override;
  absl::StatusOr<std::unique_ptr<EventIterator>> ReadByOccurred(
      std::string_view scenario, std::string_view branch, uint32_t from_key, uint32_t to_key,
      uint64_t max_seq, EventFields fields, uint64_t from_seq) override;
  absl::StatusOr<v1::Event> GetEvent(std::string_view scenario, std::string_view branch,
                                     uint64_t seq) override;
  absl::StatusOr<v1::Event> FindEvent(std::string_view scenario, std::string_view branch,
                                      std::string_view id) override;
  absl::StatusOr<uint64_t> WaitForHead(std::string_view scenario, std::string_view branch,
                                       uint64_t known_head, int64_t timeout_ms) override;

  absl::StatusOr<VerifyResult> Verify(std::string_view scenario, std::string_view branch) override;

  // proofs.cc
  absl::StatusOr<std::string> TreeRoot(std::string_view scenario, std::string_view branch,
                                       uint64_t size) override;
  absl::StatusOr<std::vector<std::string>> InclusionProof(std::string_view scenario,
                                                          std::string_view branch, uint64_t index,
                                                          uint64_t size) override;
  absl::StatusOr<std::vector<std::string>> ConsistencyProof(std::string_view scenario,
                                                            std::string_view branch, uint64_t size1,
                                                            uint64_t size2) override;
  absl::StatusOr<std::vector<std::string>> StoredEvents(std::string_view scenario,
                                                        std::string_view branch, uint64_t from_seq,
                                                        size_t count) override;

  // checkpoints.cc
  absl::StatusOr<SignedCheckpoint> Checkpoint(std::string_view scenario,
                                              std::string_view branch) override;
  std::string VerifierKey() const override;

  absl::Status PutSnapshot(std::string_view scenario, std::string_view branch, std::string_view key,
                           std::string_view value) override;
  absl::StatusOr<std::optional<std::pair<std::string, std::string>>> SeekSnapshot(
      std::string_view scenario, std::string_view branch, std::string_view key) override;
  absl::Status DeleteSnapshots(std::string_view scenario, std::string_view branch,
                               std::string_view from_key, std::string_view to_key) override;

  absl::Status PutMarker(std::string_view name, std::string_view value) override;
  absl::StatusOr<std::optional<std::string>> GetMarker(std::string_view name) override;
  StorageHealth Health() override;
  void Shutdown() override;

  // The raw database, for tests that tamper with stored bytes in place.
  Store& store_for_testing() { return *store_; }

 private:
  struct Resolved {
    std::shared_ptr<ScenarioState> scenario;
    std::shared_ptr<BranchState> branch;
  };
  absl::StatusOr<std::shared_ptr<ScenarioState>> FindScenario(std::string_view name) const;
  absl::StatusOr<Resolved> Resolve(std::string_view scenario, std::string_view branch) const;
  v1::Branch BranchView(const BranchState& b) const;
  // checkpoints.cc; with branch.checkpoints.mu held. Reads and checks the
  // stored checkpoint once; then signs the tree at (size, root) and puts it
  // into `batch`, or returns null if the branch may not be signed.
  absl::Status LoadCheckpoint(BranchState& branch);
  std::shared_ptr<const SignedCheckpoint> StageCheckpoint(BranchState& branch, uint64_t size,
                                                          std::string root,
                                                          rocksdb::WriteBatch* batch);
  rocksdb::WriteOptions WriteOpts() const;

  // append.cc
  // The work that needs no lock (event rules, sizes, repeated ids; each
  // event's encoding), run in the caller's thread or ahead by PrepareBatch.
  absl::StatusOr<std::shared_ptr<PreparedBatch>> Prepare(const Resolved& r, std::string_view branch,
                                                         std::vector<v1::Event> events) const;
  // Fills `req` from a batch, preparing it unless that was done for this
  // scenario and branch.
  absl::Status Queueable(const Resolved& r, std::string_view branch, AppendBatch batch,
                         std::string_view recorded_by, AppendRequest* req) const;
  // Queues `mine` (prepared, in order) on the branch and returns once a
  // group leader, perhaps this caller, has committed them.
  void Commit(const Resolved& r, const std::vector<AppendRequest*>& mine);
  // Commits everything queued on the branch as one group, with queue_mu
  // held on entry and on return (released while writing). Marks the
  // waiting callers' requests done and returns the asynchronous ones, to be
  // answered once queue_mu is released.
  std::vector<std::unique_ptr<AppendRequest>> CommitQueued(const ScenarioState& scenario,
                                                           BranchState& branch,
                                                           std::unique_lock<std::mutex>& lock);
  // Gives the branch's queue a leader after one finishes (queue_mu held):
  // the next waiting caller, or, when that request is asynchronous, a pool
  // thread; true if the caller must ScheduleDrain once queue_mu is released.
  bool HandOverLocked(BranchState& branch);
  // Hands the branch's leadership to a pool thread (queue_mu not held: the
  // pool may run the turn on this thread).
  void ScheduleDrain(const Resolved& r);
  // A pool thread's turn as the branch's leader: commits group after group
  // until the queue is empty, or until another job waits for a thread (then
  // it schedules its next turn behind it).
  void Drain(const Resolved& r);
  void CommitGroup(const ScenarioState& scenario, BranchState& branch,
                   const std::vector<AppendRequest*>& group);

  std::shared_ptr<Store> store_;
  const Options options_;
  std::atomic<bool> shutdown_{false};

  // Creations (scenarios, branches) are serialized so the name checks and
  // id allocation need no catalog lock while writing.
  std::mutex create_mu_;
  mutable std::shared_mutex catalog_mu_;  // guards the maps below
  std::map<std::string, std::shared_ptr<ScenarioState>, std::less<>> scenarios_;
  uint32_t next_sid_ = 1;

  // Last, so that it is destroyed first: its threads finish their groups
  // while the store and branches still exist.
  CommitPool commit_pool_{options_.commit_threads};
};

}  // namespace demarche::ledger

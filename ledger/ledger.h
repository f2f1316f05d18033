// demarche ledger: an append-only, hash-chained event log per scenario branch,
// stored in one RocksDB data directory.
//
// Thread-safe: one Ledger may be shared by any number of threads. Appends to
// one branch are serialized (the expected-head check and the write are one
// atomic step); reads never block appends.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "demarche/v1/event.pb.h"
#include "demarche/v1/scenario.pb.h"
#include "ledger/event_iterator.h"
#include "tlog/note.h"

namespace demarche::ledger {

struct Options {
  // Create the data directory (and its parents) if it does not exist.
  bool create_if_missing = true;
  // fsync the WAL on every append (durable). Turn off only for bulk loads.
  bool sync = true;
  // Largest accepted event, serialized client content, in bytes. Both limits
  // fail an Append with RESOURCE_EXHAUSTED naming the limit.
  size_t max_event_bytes = 64 * 1024;
  // Most events in one Append batch.
  size_t max_batch_events = 10000;
  // RocksDB block cache size in bytes.
  size_t block_cache_bytes = 64 << 20;
  // All column families' memtables together (RocksDB's WriteBufferManager
  // flushes the largest when they pass it). Without it each of the eight
  // families may hold two 64 MB memtables.
  size_t memtable_budget_bytes = 64 << 20;
  // Writes are refused (RESOURCE_EXHAUSTED, "read-only: disk full ...")
  // while the data directory's filesystem has less free space than this,
  // leaving RocksDB room to flush and compact; they resume by themselves
  // when space is freed. 0 = no check (RocksDB still stops writing when a
  // write finds the disk full, and resumes once space is freed).
  uint64_t min_free_disk_bytes = 64 << 20;
  // Signs each branch's checkpoint (Ledger::Checkpoint) with every commit
  // group, in the group's write. Null: no checkpoints.
  std::shared_ptr<const tlog::Signer> checkpoint_signer;
  // Most threads committing AppendAsync's groups at once (each holds one
  // branch while its queue lasts); started as needed.
  int commit_threads = 16;
};

// expected_head value meaning "append wherever the head is".
inline constexpr uint64_t kAnyHead = UINT64_MAX;

struct AppendResult {
  // The stored events with their envelopes, in seq order.
  std::vector<v1::Event> events;
  // True if every event was already present (an idempotent retry): nothing
  // was written.
  bool replayed = false;
  uint64_t head_seq = 0;  // branch head after the append
};

// Receives the result of Ledger::AppendAsync.
using AppendDone = absl::AnyInvocable<void(absl::StatusOr<AppendResult>) &&>;

// A batch checked and encoded ahead of its append (Ledger::PrepareBatch).
// Opaque: defined by the implementation.
struct PreparedBatch;

// One batch of Ledger::AppendInOrder: `events`, or (once PrepareBatch has
// taken them in) `prepared`.
struct AppendBatch {
  std::vector<v1::Event> events;
  uint64_t expected_head = kAnyHead;
  // Appended once. A caller may keep a copy of the pointer so that the
  // batch's encodings are freed on its own thread, after the append.
  std::shared_ptr<PreparedBatch> prepared;
};

struct VerifyResult {
  bool ok = true;
  uint64_t checked = 0;        // events whose hash and link matched
  uint64_t first_bad_seq = 0;  // when !ok: the first event that does not match
  std::string reason;          // when !ok: what does not match
};

// A signed checkpoint of a branch's tree: a C2SP signed note whose text is
// the tlog-checkpoint "<key name>/<scenario>/<branch>\n<size>\n<root>\n".
struct SignedCheckpoint {
  uint64_t size = 0;
  std::string root;  // 32 bytes
  std::string note;
};

// Whether the ledger can write now (Ledger::Health).
struct StorageHealth {
  // OK, or what a write would be refused with: RESOURCE_EXHAUSTED
  // "read-only: disk full ..." (resumes by itself once space is freed),
  // UNAVAILABLE for a ledger opened read-only.
  absl::Status writable;
  int64_t free_bytes = -1;  // on the data directory's filesystem; -1 unknown
  uint64_t min_free_bytes = 0;
};

enum class Direction { kForward, kBackward };

struct ReadOptions {
  Direction direction = Direction::kForward;
  // First seq to return (inclusive). 0 = from the start (forward) or from the
  // head (backward).
  uint64_t from_seq = 0;
  // Ignore events with seq above this (a "known at" bound). 0 = no bound.
  uint64_t max_seq = 0;
  // Only the correction events (the replay engine's look for corrections),
  // found through an index: the read costs what they number, not the
  // branch's length.
  bool corrections_only = false;
};

// What a read parses of each stored event.
enum class EventFields {
  kAll,
  // What a fold reads (ParseMoveFields in ledger/canonical.h): id, dates,
  // parties, move and seq. Sources, summary and the rest of the envelope are
  // left empty; a replay, which never shows them, parses and frees less.
  kMove,
};

class Ledger {
 public:
  // Opens (or creates) the data directory at `path`.
  static absl::StatusOr<std::unique_ptr<Ledger>> Open(const std::string& path,
                                                      const Options& options = {});
  virtual ~Ledger() = default;

  // ---- Scenarios ---------------------------------------------------------
  // Creates a scenario with its trunk branch "main". ALREADY_EXISTS if the
  // name is taken; INVALID_ARGUMENT naming the field for a bad name/roster.
  virtual absl::StatusOr<v1::Scenario> CreateScenario(const v1::Scenario& scenario,
                                                      std::string_view created_by) = 0;
  virtual absl::StatusOr<v1::Scenario> GetScenario(std::string_view name) = 0;
  virtual absl::StatusOr<std::vector<v1::Scenario>> ListScenarios() = 0;

  // ---- Branches ------------------------------------------------------------
  // Forks `parent` after seq `after_seq` (0 <= after_seq <= parent head),
  // optionally with a date cutoff. O(1): copies no events. The branch's own
  // events continue at after_seq + 1 and its first event chains to the
  // parent's event at after_seq. With a cutoff, inherited events are visible
  // only if SortKey(occurred) <= SortKey(cutoff): a partial cutoff means the
  // start of its period ("2003-12" keeps events dated "2003-12" but not
  // 2003-12-09); cutoffs of nested forks combine. A cutoff with year 0 is no
  // cutoff. Errors: INVALID_ARGUMENT (name, cutoff), ALREADY_EXISTS (name
  // taken, including "main"), NOT_FOUND (scenario, parent), OUT_OF_RANGE
  // (after_seq beyond the parent's head).
  virtual absl::StatusOr<v1::Branch> CreateBranch(std::string_view scenario, std::string_view name,
                                                  std::string_view parent, uint64_t after_seq,
                                                  const std::optional<v1::PartialDate>& cutoff,
                                                  std::string_view owner,
                                                  std::string_view description) = 0;
  virtual absl::StatusOr<v1::Branch> GetBranch(std::string_view scenario,
                                               std::string_view name) = 0;
  // All branches of a scenario, main first, then by name.
  virtual absl::StatusOr<std::vector<v1::Branch>> ListBranches(std::string_view scenario) = 0;

  // ---- Appending ---------------------------------------------------------------
  // Validates every event, assigns the envelope (seq, recorded_at, recorded_by,
  // prev_hash, hash) and writes the whole batch in one WriteBatch: all or
  // nothing. FAILED_PRECONDITION (with the current head in the message) if
  // expected_head is not kAnyHead and differs from the branch head.
  // Idempotent by event id: a batch whose events all exist (visible in the
  // lineage) with the same client content returns them (replayed = true)
  // without checking expected_head, so a retry after a lost reply succeeds; an
  // id that exists with different content is ALREADY_EXISTS naming it and its
  // seq; so is a batch mixing existing and new ids (resend only the new ones).
  // Empty batch or invalid event: INVALID_ARGUMENT naming the field path
  // ("events[3].move.aid.unit: ..."); size limits: RESOURCE_EXHAUSTED.
  // Concurrent appends to one branch are group-committed (one WriteBatch and
  // one fsync for all queued callers), each answered as if run alone.
  // Takes the events by value and stores them without copying: a caller that
  // no longer needs them should std::move them in.
  virtual absl::StatusOr<AppendResult> Append(std::string_view scenario, std::string_view branch,
                                              std::vector<v1::Event> events, uint64_t expected_head,
                                              std::string_view recorded_by) = 0;

  // Append without waiting for the commit: `done` is called exactly once
  // with what Append would return, on this thread when the request is
  // refused before it is queued (an unknown branch, an invalid event), else
  // on a ledger thread that commits its group, after the events are durable
  // and the head is published. `done` must not block: the other requests of
  // the group wait for it. Servers use it so that no thread sleeps through
  // each request's fsync.
  virtual void AppendAsync(std::string_view scenario, std::string_view branch,
                           std::vector<v1::Event> events, uint64_t expected_head,
                           std::string_view recorded_by, AppendDone done) = 0;

  // Appends `batches` to one branch in order with the results consecutive
  // Append calls would give, but in one group commit (one WriteBatch, one
  // fsync): a stream whose batches queue up while the disk syncs pays one
  // sync for all of them. Stops at the first batch that fails: the answer
  // holds one result per batch up to and including that failure, earlier
  // batches stay appended and later ones are not. An error that is not about
  // one batch (unknown branch, a failed write) is the answer's only element.
  virtual std::vector<absl::StatusOr<AppendResult>> AppendInOrder(std::string_view scenario,
                                                                  std::string_view branch,
                                                                  std::vector<AppendBatch> batches,
                                                                  std::string_view recorded_by) = 0;

  // Does for `batch`, ahead of AppendInOrder, the work that needs no lock:
  // the checks Append makes before queuing (each event's rules and size,
  // repeated ids: the same errors, naming the field) and each event's
  // client encoding with the hash state over it. It takes batch->events in
  // (as client content). For a thread that reads batches while another
  // appends them: the branch's one committing thread then only adds each
  // event's envelope. A batch prepared for another scenario or branch is
  // prepared again. The events are taken even when refused;
  // FAILED_PRECONDITION if the batch is already prepared.
  virtual absl::Status PrepareBatch(std::string_view scenario, std::string_view branch,
                                    AppendBatch* batch) = 0;

  // ---- Reading ---------------------------------------------------------------
  // The branch's lineage (inherited events, honouring the fork's date cutoff,
  // then its own) in seq order. Streams; never loads the branch into memory.
  // Seqs are gapless except where a cutoff hides inherited events. Iterators
  // keep the database open and may outlive the Ledger.
  virtual absl::StatusOr<std::unique_ptr<EventIterator>> Read(std::string_view scenario,
                                                              std::string_view branch,
                                                              const ReadOptions& options) = 0;
  // The lineage ordered by (occurred sort key, seq), restricted to events whose
  // occurred sort key lies in [from_key, to_key] (see ledger/date.h), whose
  // seq <= max_seq (0 = no bound) and, at from_key itself, seq >= from_seq
  // (a fold resuming after (from_key, from_seq - 1) reads nothing before
  // it), each parsed as `fields` says.
  virtual absl::StatusOr<std::unique_ptr<EventIterator>> ReadByOccurred(
      std::string_view scenario, std::string_view branch, uint32_t from_key, uint32_t to_key,
      uint64_t max_seq, EventFields fields, uint64_t from_seq) = 0;
  // One event of the lineage by seq, or by client id. NOT_FOUND if absent.
  virtual absl::StatusOr<v1::Event> GetEvent(std::string_view scenario, std::string_view branch,
                                             uint64_t seq) = 0;
  virtual absl::StatusOr<v1::Event> FindEvent(std::string_view scenario, std::string_view branch,
                                              std::string_view id) = 0;

  // Blocks until the branch head exceeds `known_head`, the timeout passes or
  // the ledger shuts down; returns the head then. For live subscriptions.
  virtual absl::StatusOr<uint64_t> WaitForHead(std::string_view scenario, std::string_view branch,
                                               uint64_t known_head, int64_t timeout_ms) = 0;

  // ---- Audit -----------------------------------------------------------------
  // Walks the branch lineage's hash chain from seq 1 and reports the first
  // event whose stored bytes, hash, link or seq does not match, or whose
  // date-index entry (what reads by date and replays read) is missing,
  // misfiled or holds the wrong copy. The walk covers the physical chain,
  // including inherited events a cutoff hides; a long chain is walked on two
  // threads. See ledger/canonical.h for what is hashed.
  virtual absl::StatusOr<VerifyResult> Verify(std::string_view scenario,
                                              std::string_view branch) = 0;

  // ---- Merkle tree (RFC 6962; tlog/merkle.h) --------------------------------
  // Each branch lineage is a verifiable log: leaf i is SHA-256(0x00 || the
  // stored bytes of the event at seq i + 1), over the physical chain. A
  // fork's tree at its fork point is its parent's tree there. Sizes are at
  // most the head (OUT_OF_RANGE naming `tree_size`, `size2`); proofs need
  // O(log n) reads. Errors of impossible arguments as in merkle.h.
  virtual absl::StatusOr<std::string> TreeRoot(std::string_view scenario, std::string_view branch,
                                               uint64_t size) = 0;
  virtual absl::StatusOr<std::vector<std::string>> InclusionProof(std::string_view scenario,
                                                                  std::string_view branch,
                                                                  uint64_t index,
                                                                  uint64_t size) = 0;
  virtual absl::StatusOr<std::vector<std::string>> ConsistencyProof(std::string_view scenario,
                                                                    std::string_view branch,
                                                                    uint64_t size1,
                                                                    uint64_t size2) = 0;
  // The signed checkpoint of the branch's tree at its head: the one the last
  // commit group signed, or one signed now if the head has none (a new
  // fork, a ledger from before signing). Never one that the tree does not
  // extend: once the stored checkpoint disagrees with the tree (a rewritten
  // data directory) every call is DATA_LOSS. FAILED_PRECONDITION without
  // Options::checkpoint_signer.
  virtual absl::StatusOr<SignedCheckpoint> Checkpoint(std::string_view scenario,
                                                      std::string_view branch) = 0;
  // The verifier key of the checkpoints (tlog/note.h), "" without a signer.
  virtual std::string VerifierKey() const = 0;
  // The stored bytes (the leaves' entries) of the lineage's events at seqs
  // from_seq, from_seq + 1, ... up to `count` of them, fewer if the head
  // comes first; cutoffs ignored. INVALID_ARGUMENT "from_seq" for 0.
  virtual absl::StatusOr<std::vector<std::string>> StoredEvents(std::string_view scenario,
                                                                std::string_view branch,
                                                                uint64_t from_seq,
                                                                size_t count) = 0;
  // The one at `seq`; NOT_FOUND beyond the head.
  absl::StatusOr<std::string> StoredEvent(std::string_view scenario, std::string_view branch,
                                          uint64_t seq);

  // ---- Snapshots (a cache for replay; may be deleted at any time) ----------
  // Opaque keys ordered bytewise, scoped to one branch.
  virtual absl::Status PutSnapshot(std::string_view scenario, std::string_view branch,
                                   std::string_view key, std::string_view value) = 0;
  // The snapshot with the greatest key <= `key`, if any: (key, value).
  virtual absl::StatusOr<std::optional<std::pair<std::string, std::string>>> SeekSnapshot(
      std::string_view scenario, std::string_view branch, std::string_view key) = 0;
  // Removes every snapshot of the branch with from_key <= key < to_key
  // (to_key "" = no upper bound; both "" = all).
  virtual absl::Status DeleteSnapshots(std::string_view scenario, std::string_view branch,
                                       std::string_view from_key, std::string_view to_key) = 0;

  // ---- Markers ---------------------------------------------------------------
  // Small named facts about the data directory that are not events, such as
  // how far a bundle load got (ledger/import.h). Written durably; the only
  // values in the ledger that may be overwritten. Names are 1..200 bytes.
  virtual absl::Status PutMarker(std::string_view name, std::string_view value) = 0;
  // nullopt if never written.
  virtual absl::StatusOr<std::optional<std::string>> GetMarker(std::string_view name) = 0;

  // ---- Health ----------------------------------------------------------------
  // Cheap enough to poll every second. Reads are unaffected by what it says.
  virtual StorageHealth Health() = 0;

  // Wakes every WaitForHead and makes further waits return at once; call
  // before shutting a server down.
  virtual void Shutdown() = 0;
};

}  // namespace demarche::ledger

// Import and export of events as JSON Lines (one v1::Event per line in
// protobuf's JSON mapping), and loading of bundled histories (data/<scenario>/:
// scenario.json, events.jsonl, branches/<name>.json + <name>.jsonl).
//
// Imports are idempotent: an event whose id is already in the branch lineage
// with the same client content is skipped, so re-importing a file (or resuming
// an interrupted import) writes only what is missing. An id present with
// different content is an error. Errors name the input line and the field:
// "line 17: move.demand.text: required".
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/ledger.h"

namespace demarche::ledger {

struct ImportProgress {
  uint64_t lines = 0;            // input lines read so far (blank ones included)
  uint64_t events = 0;           // events parsed so far
  uint64_t appended = 0;         // events written so far
  uint64_t already_present = 0;  // events skipped because the lineage has them
};

struct ImportOptions {
  // Events per Ledger::Append call (each batch is all or nothing). 1..the
  // ledger's max_batch_events.
  size_t batch_size = 1000;
  // The principal recorded on appended events.
  std::string recorded_by = "import";
  // Called after every batch, and at the end if the totals changed since (or
  // nothing was reported yet), e.g. for a progress bar.
  std::function<void(const ImportProgress&)> progress;
};

struct ImportResult {
  ImportProgress totals;
  uint64_t head_seq = 0;  // branch head after the import
};

// Reads `in` to the end and appends its events to scenario/branch in batches
// (Append with kAnyHead). Blank lines are skipped. Envelope fields present in
// the input (as written by ExportJsonLines) are ignored. Batches written
// before an error stay written; re-running the import after fixing the input
// continues where it stopped.
absl::StatusOr<ImportResult> ImportJsonLines(Ledger& ledger, std::string_view scenario,
                                             std::string_view branch, std::istream& in,
                                             const ImportOptions& options = {});

// Writes the branch's lineage (inherited events, then its own), one event per
// line with its envelope (seq, recorded_at, recorded_by, hashes). Returns the
// number of events written.
absl::StatusOr<uint64_t> ExportJsonLines(Ledger& ledger, std::string_view scenario,
                                         std::string_view branch, std::ostream& out);

struct LoadResult {
  bool scenario_created = false;
  std::vector<std::string> branches_created;
  uint64_t events_appended = 0;  // over main and every branch
  uint64_t events_present = 0;   // skipped because already recorded
};

// Loads a bundle directory: creates the scenario from scenario.json if it
// does not exist, imports events.jsonl into main, then for every
// branches/<name>.json (a v1::BundleBranch) creates the branch if absent -
// forking its parent (default "main") right after the event named by
// fork_after_event - and imports branches/<name>.jsonl into it. Branches whose
// parent is another bundled branch are created after that parent. Loading a
// bundle that is already loaded writes nothing. An existing branch whose
// parent or fork point differs from the bundle's is FAILED_PRECONDITION.
absl::StatusOr<LoadResult> LoadBundle(Ledger& ledger, const std::string& dir,
                                      std::string_view recorded_by);

// LoadBundle, once per data directory: a marker in the ledger
// ("bundle/<scenario>") says "loading" from before the scenario is created
// until every event and branch is in, then "loaded". A load cut short (the
// process killed) is resumed by the next call, which writes only what is
// missing; a finished one is not read again, so later changes to its
// scenario never conflict with the bundle. A scenario that exists with no
// marker (a data directory older than markers) is checked like a resume.
struct LoadOnceResult {
  enum class Outcome { kAlreadyLoaded, kLoaded, kResumed };
  Outcome outcome = Outcome::kLoaded;
  std::string scenario;
  LoadResult load;  // empty for kAlreadyLoaded
};
absl::StatusOr<LoadOnceResult> LoadBundleOnce(Ledger& ledger, const std::string& dir,
                                              std::string_view recorded_by);

// The scenarios whose bundle load began and has not finished.
absl::StatusOr<std::vector<std::string>> UnfinishedBundleLoads(Ledger& ledger);

}  // namespace demarche::ledger
